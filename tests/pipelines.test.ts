/**
 * Components, pipelines, step reuse and sweeps, end to end through the CLI against a real server
 * running real step processes (python3 scripts in tests/fixtures/pipeline).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const FIX = path.resolve(import.meta.dirname, 'fixtures/pipeline');

describe('components, pipelines and sweeps', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  const cli = (args: string[], cwd = FIX) => runCli(args, { url: server.url, cwd });
  const showJson = async (name: string) => JSON.parse((await cli(['job', 'show', '--name', name, '--output', 'json'])).stdout);
  /** Submits with --stream and returns the finished job as JSON. */
  const runPipeline = async (args: string[], cwd = FIX) => {
    const res = await cli(['job', 'create', ...args, '--stream', '--output', 'json'], cwd);
    const job = JSON.parse(res.stdout);
    return { ...res, job };
  };
  /** A scratch folder with the fixture's components and scripts, for pipelines written by a test. */
  const scratch = (files: Record<string, string>) => {
    const dir = tempDir('stratus-pipeline-');
    fs.cpSync(FIX, dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };

  before(async () => {
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
  });
  after(async () => { await server.close(); });

  let first: Record<string, any>;
  let sweepJob: Record<string, any>;

  test('a three-step pipeline of local components passes folders from step to step', async () => {
    const { code, stderr, job } = await runPipeline(['--file', 'pipeline.yml']);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /'settings\.default_datastore' is accepted but not applied/);
    assert.equal(job.type, 'pipeline');
    assert.equal(job.status, 'Completed');
    assert.deepEqual(Object.keys(job.jobs), ['prep', 'train', 'evaluate']);
    for (const step of Object.values<any>(job.jobs)) {
      assert.equal(step.status, 'Completed');
      assert.equal(step.reused, false);
    }
    assert.deepEqual(job.jobs.evaluate.depends_on.sort(), ['prep', 'train']);
    first = job;
    // Each step is a child run of the pipeline's MLflow run.
    const train = await showJson(job.jobs.train.job_name);
    const run = (await client.runs.get(train.properties['mlflow.run_id'])).run;
    assert.equal(run.data.tags?.find((t: any) => t.key === 'mlflow.parentRunId')?.value, job.properties['mlflow.run_id']);
    assert.equal(train.inputs.epochs.value, 5);
    // The evaluate step read train's model folder and prep's data folder.
    const dl = tempDir();
    const got = await cli(['job', 'download', '--name', job.jobs.evaluate.job_name, '--output-name', 'report', '--download-path', dl]);
    assert.equal(got.code, 0, got.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(dl, job.jobs.evaluate.job_name, 'named-outputs/report/report.json'), 'utf8'));
    assert.ok(report.accuracy > 0.5, JSON.stringify(report));
    // The pipeline's own output is the train step's model folder.
    const asset = await cli(['data', 'create', '--name', 'iris-model', '--type', 'uri_folder', '--path', `azureml://jobs/${job.name}/outputs/trained_model`, '--output', 'json']);
    assert.equal(asset.code, 0, asset.stderr);
    const listed = await cli(['job', 'list', '--parent-job-name', job.name, '--output', 'json']);
    assert.equal(JSON.parse(listed.stdout).length, 3);
    const top = JSON.parse((await cli(['job', 'list', '--output', 'json'])).stdout);
    assert.ok(top.every((j: any) => !j.parent_job_name), 'job list shows top-level jobs only');
  });

  test('an identical rerun reuses every step and says from which job', async () => {
    const { code, stderr, job } = await runPipeline(['--file', 'pipeline.yml']);
    assert.equal(code, 0, stderr);
    assert.equal(job.status, 'Completed');
    for (const step of ['prep', 'train', 'evaluate']) {
      assert.equal(job.jobs[step].reused, true, step);
      assert.equal(job.jobs[step].reused_from, first.jobs[step].job_name);
    }
    assert.match(stderr, /prep: Completed \(reused from /);
    // A reused step's outputs are the original's.
    const dl = tempDir();
    assert.equal((await cli(['job', 'download', '--name', job.jobs.evaluate.job_name, '--output-name', 'report', '--download-path', dl])).code, 0);
    assert.ok(fs.existsSync(path.join(dl, job.jobs.evaluate.job_name, 'named-outputs/report/report.json')));
  });

  test('a changed input reruns only the steps downstream of it, and says why', async () => {
    const { code, stderr, job } = await runPipeline(['--file', 'pipeline.yml', '--set', 'inputs.epochs=9']);
    assert.equal(code, 0, stderr);
    assert.equal(job.jobs.prep.reused, true);
    assert.equal(job.jobs.train.reused, false);
    assert.match(job.jobs.train.reuse_reason, /input 'epochs' changed from 5 to 9/);
    assert.equal(job.jobs.evaluate.reused, false);
    assert.match(job.jobs.evaluate.reuse_reason, /input 'model' has new data \(its upstream step ran again\)/);
    const table = await cli(['job', 'show', '--name', job.name]);
    assert.match(table.stdout, /reused from/);
  });

  test('force_rerun runs every step again', async () => {
    const { job } = await runPipeline(['--file', 'pipeline.yml', '--set', 'settings.force_rerun=true']);
    assert.equal(job.status, 'Completed');
    for (const step of Object.values<any>(job.jobs)) {
      assert.equal(step.reused, false);
      assert.match(step.reuse_reason, /force_rerun/);
    }
  });

  const failing = (continueOnFailure: boolean) => `
type: pipeline
experiment_name: failures
settings:
  continue_on_step_failure: ${continueOnFailure}
jobs:
  bad:
    type: command
    command: python3 -c "import sys; print('bad step failing'); sys.exit(3)" && echo \${{outputs.out}}
    outputs:
      out:
        type: uri_folder
  slow:
    type: command
    command: python3 -c "import time; time.sleep(3)"
  after_bad:
    type: command
    command: ls \${{inputs.data}}
    inputs:
      data: \${{parent.jobs.bad.outputs.out}}
`;

  test('a failing step stops the pipeline, or with continue_on_step_failure lets independent steps finish', async () => {
    const dir = scratch({ 'stop.yml': failing(false), 'go-on.yml': failing(true) });
    const stopped = await runPipeline(['--file', 'stop.yml'], dir);
    assert.notEqual(stopped.code, 0);
    assert.equal(stopped.job.status, 'Failed');
    assert.equal(stopped.job.jobs.bad.status, 'Failed');
    assert.equal(stopped.job.jobs.slow.status, 'Canceled');
    assert.equal(stopped.job.jobs.after_bad.status, 'NotStarted');
    assert.match(stopped.job.error.message, /bad failed \(The command exited with code 3\.\)/);

    const continued = await runPipeline(['--file', 'go-on.yml'], dir);
    assert.equal(continued.job.status, 'Failed');
    assert.equal(continued.job.jobs.slow.status, 'Completed');
    assert.equal(continued.job.jobs.after_bad.status, 'NotStarted');
    assert.match(continued.job.error.message, /Not run: after_bad/);
  });

  test('malformed graphs are rejected before anything runs, naming the exact binding', async () => {
    const step = (name: string, inputs: string) => `  ${name}:\n    type: command\n    component: ./components/train.yml\n    inputs:\n${inputs}`;
    const cases: [string, string, RegExp][] = [
      ['cycle', `type: pipeline\njobs:\n${step('a', '      training_data: ${{parent.jobs.b.outputs.model_output}}\n')}${step('b', '      training_data: ${{parent.jobs.a.outputs.model_output}}\n')}`,
        /the steps form a cycle: a → b → a/],
      ['unknown-step', `type: pipeline\njobs:\n${step('a', '      training_data: ${{parent.jobs.prepp.outputs.prep_data}}\n')}`,
        /unknown-step\.yml:7: 'jobs\.a\.inputs\.training_data': \$\{\{parent\.jobs\.prepp\.outputs\.prep_data\}\}: there is no step 'prepp' \(steps: a\)/],
      ['unknown-output', `type: pipeline\njobs:\n  p:\n    type: command\n    component: ./components/prep.yml\n    inputs:\n      raw_data:\n        type: uri_folder\n        path: ./data\n${step('a', '      training_data: ${{parent.jobs.p.outputs.cleaned}}\n')}`,
        /'jobs\.a\.inputs\.training_data': \$\{\{parent\.jobs\.p\.outputs\.cleaned\}\}: step 'p' has no output 'cleaned' \(its outputs: prep_data\)/],
      ['bad-binding', `type: pipeline\njobs:\n${step('a', '      training_data: ${{parent.jobz.p.outputs.x}}\n')}`,
        /bad-binding\.yml:7: 'jobs\.a\.inputs\.training_data': cannot bind '\$\{\{parent\.jobz\.p\.outputs\.x\}\}'/],
      ['type-mismatch', `type: pipeline\njobs:\n  p:\n    type: command\n    component: ./components/prep.yml\n    inputs:\n      raw_data:\n        type: uri_folder\n        path: ./data\n${step('a', '      training_data: ${{parent.jobs.p.outputs.prep_data}}\n      epochs: ${{parent.jobs.p.outputs.prep_data}}\n')}`,
        /'jobs\.a\.inputs\.epochs': \$\{\{parent\.jobs\.p\.outputs\.prep_data\}\} is uri_folder but input 'epochs' is integer: the types do not match/],
      ['out-of-range', `type: pipeline\ninputs:\n  d:\n    type: uri_folder\n    path: ./data\njobs:\n${step('a', '      training_data: ${{parent.inputs.d}}\n      epochs: 500\n')}`,
        /'jobs\.a\.inputs\.epochs': 500 is above the maximum 50/],
      ['missing-input', `type: pipeline\njobs:\n${step('a', '      epochs: 3\n')}`, /required input 'training_data' of component 'train_model' is not bound/],
    ];
    const dir = scratch(Object.fromEntries(cases.map(([name, text]) => [`${name}.yml`, text])));
    for (const [name, , expected] of cases) {
      const res = await cli(['job', 'validate', '--file', `${name}.yml`], dir);
      assert.notEqual(res.code, 0, name);
      assert.match(res.stderr, expected, `${name}: ${res.stderr}`);
    }
    const ok = await cli(['job', 'validate', '--file', 'pipeline.yml']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /is valid \(pipeline job\)[\s\S]*evaluate ← train, prep/);
  });

  test('components are versioned and immutable; pipelines use them by reference, and nest', async () => {
    const created = await cli(['component', 'create', '--file', 'components/train.yml', '--output', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).id, 'azureml:train_model:1');
    assert.equal((await cli(['component', 'create', '--file', 'components/train.yml'])).code, 0, 'the same content again is accepted');
    const changed = await cli(['component', 'create', '--file', 'components/train.yml', '--set', 'command=python3 train.py --epochs 1']);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /train_model:1 already exists with different content/);
    assert.equal((await cli(['component', 'create', '--file', 'components/prep.yml'])).code, 0);
    const listed = JSON.parse((await cli(['component', 'list', '--output', 'json'])).stdout);
    // Beside the designer's built-in modules (builtin.*), which every workspace has.
    assert.deepEqual(listed.map((c: any) => c.name).filter((n: string) => !n.startsWith('builtin.')).sort(), ['prep_data', 'train_model']);

    const dir = scratch({
      'inner.yml': `$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: prep_and_train
inputs:
  raw:
    type: uri_folder
  epochs:
    type: integer
    default: 2
outputs:
  model:
    type: uri_folder
jobs:
  prep:
    type: command
    component: azureml:prep_data@latest
    inputs:
      raw_data: \${{parent.inputs.raw}}
  train:
    type: command
    component: azureml:train_model:1
    inputs:
      training_data: \${{parent.jobs.prep.outputs.prep_data}}
      epochs: \${{parent.inputs.epochs}}
    outputs:
      model_output: \${{parent.outputs.model}}
`,
      'outer.yml': `type: pipeline
experiment_name: nested
inputs:
  raw:
    type: uri_folder
    path: ./data
jobs:
  inner:
    type: pipeline
    component: ./inner.yml
    inputs:
      raw: \${{parent.inputs.raw}}
      epochs: 4
  evaluate:
    type: command
    component: ./components/evaluate.yml
    inputs:
      model: \${{parent.jobs.inner.outputs.model}}
      data: \${{parent.inputs.raw}}
`,
    });
    // evaluate reads data/iris.csv as a folder of clean.csv: point it at prep's layout instead.
    fs.writeFileSync(path.join(dir, 'data', 'clean.csv'), fs.readFileSync(path.join(dir, 'data', 'iris.csv')));
    const { code, stderr, job } = await runPipeline(['--file', 'outer.yml'], dir);
    assert.equal(code, 0, stderr);
    assert.equal(job.status, 'Completed');
    const inner = await showJson(job.jobs.inner.job_name);
    assert.equal(inner.type, 'pipeline');
    assert.deepEqual(Object.keys(inner.jobs), ['prep', 'train']);
    assert.equal(inner.jobs.train.component, 'azureml:train_model:1');
    const train = await showJson(inner.jobs.train.job_name);
    assert.equal(train.inputs.epochs.value, 4);
  });

  test('a sweep whose bandit policy cancels poor trials names the right best trial', async () => {
    const { code, stderr, job } = await runPipeline(['--file', 'sweep.yml']);
    assert.equal(code, 0, stderr);
    assert.equal(job.type, 'sweep');
    assert.equal(job.status, 'Completed');
    assert.equal(job.trials.length, 6);
    assert.deepEqual(job.best_trial.params, { x: 6 });
    assert.equal(job.best_trial.score, 48);
    sweepJob = job;
    const stopped = job.trials.filter((t: any) => t.early_terminated);
    assert.ok(stopped.length >= 1, JSON.stringify(job.trials));
    for (const t of stopped) {
      assert.equal(t.status, 'Canceled');
      assert.match(t.early_terminated, /^bandit at interval \d+: .* outside the slack of the best/);
      assert.ok(t.params.x < 6);
    }
    const parent = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    const bestRun = parent.data.tags?.find((t: any) => t.key === 'best_child_run_id')?.value;
    assert.equal(bestRun, job.best_trial.run_id);
    assert.match(stderr, /best trial .*\{"x":6\}/);
  });

  test('misspelt sweep keys are warned with the intended key; unseeded random sweeps draw their own trials and record the seed', async () => {
    const sweep = (extra: string) => `$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
experiment_name: seeds
trial:
  code: ./src
  command: python3 trial.py --x \${{search_space.x}} --steps 1 --delay 0
sampling_algorithm: random
search_space:
  x:
    type: uniform
    min_value: 0
    max_value: 100
objective:
  goal: maximize
  primary_metric: score
limits:
  max_total_trials: 2
${extra}`;
    const dir = scratch({
      'typo.yml': sweep('  max_total_trails: 5\n'),
      'policy.yml': sweep('early_terminaton:\n  type: bandit\n  slack_factor: 0.1\n'),
      'props.yml': sweep('properties:\n  team: a\n'),
      'plain.yml': sweep(''),
    });
    const checked = await cli(['job', 'validate', '--file', 'typo.yml'], dir);
    assert.notEqual(checked.code, 0, 'a misspelt key is an error, as in Azure ML');
    assert.match(checked.stderr, /typo\.yml:18:3: unknown key 'limits\.max_total_trails' \(did you mean 'max_total_trials'\?\)/);
    const policy = await cli(['job', 'validate', '--file', 'policy.yml'], dir);
    assert.match(policy.stderr, /policy\.yml:18:1: unknown key 'early_terminaton' \(did you mean 'early_termination'\?\)/);
    const props = await cli(['job', 'validate', '--file', 'props.yml'], dir);
    assert.equal(props.code, 0, props.stderr);
    assert.match(props.stderr, /'properties' is accepted but not applied/);

    const a = await runPipeline(['--file', 'plain.yml'], dir);
    const b = await runPipeline(['--file', 'plain.yml'], dir);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const seedA = a.job.sampling_algorithm.seed;
    const seedB = b.job.sampling_algorithm.seed;
    assert.ok(Number.isInteger(seedA) && Number.isInteger(seedB), 'the drawn seed is recorded on the sweep');
    assert.notEqual(seedA, seedB);
    const xs = (j: any) => j.trials.map((t: any) => Number(t.params.x)).sort();
    assert.notDeepEqual(xs(a.job), xs(b.job), 'two unseeded sweeps draw different trials');
  });

  test('a sweep runs as a pipeline step, and its best trial\'s outputs are the step\'s', async () => {
    const dir = scratch({
      'components/trial.yml': `type: command
name: trial
inputs:
  x:
    type: number
outputs:
  model:
    type: uri_folder
code: ../src
command: python3 trial.py --x \${{inputs.x}} --steps 2 --delay 0.05 && echo "x=\${{inputs.x}}" > \${{outputs.model}}/chosen.txt
`,
      'sweep-step.yml': `type: pipeline
experiment_name: sweep-steps
outputs:
  best_model:
    mode: upload
jobs:
  tune:
    type: sweep
    trial: ./components/trial.yml
    sampling_algorithm: grid
    search_space:
      x:
        type: choice
        values: [1, 2, 3]
    objective:
      goal: minimize
      primary_metric: score
    limits:
      max_total_trials: 3
      max_concurrent_trials: 2
    outputs:
      model: \${{parent.outputs.best_model}}
`,
    });
    const { code, stderr, job } = await runPipeline(['--file', 'sweep-step.yml'], dir);
    assert.equal(code, 0, stderr);
    const tune = await showJson(job.jobs.tune.job_name);
    assert.equal(tune.type, 'sweep');
    assert.deepEqual(tune.best_trial.params, { x: 1 });
    const dl = tempDir();
    const asset = await cli(['data', 'create', '--name', 'best-model', '--type', 'uri_folder', '--path', `azureml://jobs/${job.name}/outputs/best_model`], dir);
    assert.equal(asset.code, 0, asset.stderr);
    assert.equal((await cli(['data', 'download', '--name', 'best-model', '--version', '1', '--download-path', dl], dir)).code, 0);
    const files = fs.readdirSync(dl, { recursive: true }).map(String);
    const chosen = files.find((f) => f.endsWith('chosen.txt'))!;
    assert.equal(fs.readFileSync(path.join(dl, chosen), 'utf8').trim(), 'x=1');
  });

  test('the studio draws a pipeline\'s graph with each step\'s status, and a sweep\'s trials as parallel coordinates', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${server.url}/#/jobs/${first.name}`);
      await page.getByTestId('pipeline-graph').waitFor();
      for (const step of Object.keys(first.jobs)) await page.getByTestId(`graph-node-${step}`).getByText('Completed').waitFor();
      assert.ok(await page.locator('[data-testid="pipeline-graph"] .react-flow__edge').count() >= 1);
      await page.goto(`${server.url}/#/jobs/${sweepJob.name}`);
      await page.getByTestId('parallel-coordinates').waitFor();
      const scored = sweepJob.trials.filter((t: Record<string, unknown>) => typeof t.score === 'number').length;
      assert.equal(await page.getByTestId('parallel-coordinates').locator('polyline').count(), scored);
      assert.match(await page.getByTestId('parallel-coordinates').textContent() ?? '', /x.*score/);
    } finally {
      await browser.close();
    }
  });
});

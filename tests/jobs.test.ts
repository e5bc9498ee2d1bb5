/**
 * Command jobs with real processes: the CLI submits Azure ML YAML to a real `stratus up`
 * (in-process here), jobs run as child processes and log to MLflow runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';
import { isAlive } from '../src/compute/local-process.ts';

const ENV_CACHE = path.resolve(import.meta.dirname, '../.cache/envs-test');

const stratus = (args: string[], url: string, cwd?: string) => runCli(args, { url, cwd });

function writeJob(dir: string, yaml: string, files: Record<string, string> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const file = path.join(dir, 'job.yml');
  fs.writeFileSync(file, yaml);
  return file;
}

async function waitFor(client: StratusClient, name: string, statuses: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await client.jobs.get(name);
    if (statuses.includes(j.status)) return j;
    if (Date.now() > deadline) throw new Error(`job ${name} stayed ${j.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('command jobs', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  let work: string;
  before(async () => {
    process.env.STRATUS_ENV_CACHE = ENV_CACHE;
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
    work = tempDir('stratus-jobs-');
  });
  after(async () => { await server.close(); });

  test('hello world: stdout and stderr kept apart, run finished', async () => {
    const file = writeJob(path.join(work, 'hello'), 'command: echo "hello world" && echo "to stderr" >&2\n');
    const res = await stratus(['job', 'create', '--file', file, '--stream'], server.url, path.dirname(file));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^hello world$/m);
    assert.doesNotMatch(res.stdout, /to stderr/);
    assert.match(res.stderr, /to stderr/);
    const [job] = (await client.jobs.list()).value;
    assert.equal(job.status, 'Completed');
    assert.equal(job.experiment_name, 'hello', 'the experiment defaults to the submitting folder name');
    const run = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    assert.equal(run.info.status, 'FINISHED');
    const logs = await client.listArtifacts(`${run.info.artifact_uri.replace('mlflow-artifacts:/', '')}/user_logs`);
    assert.deepEqual(logs.files?.map((f) => f.path).sort(), ['std_err.txt', 'std_log.txt']);
  });

  test('inputs and outputs: literals, a file, a folder, then outputs as the next job\'s input', async () => {
    const dir = path.join(work, 'io');
    const file = writeJob(dir, [
      'code: src',
      'command: >-',
      '  python main.py ${{inputs.n}} ${{inputs.table}} ${{inputs.folder}} ${{outputs.result}} $[[--absent ${{inputs.nothing}}]]',
      'inputs:',
      '  n: 7',
      '  table: {type: uri_file, path: ./data/t.csv}',
      '  folder: {type: uri_folder, path: ./data}',
      'outputs:',
      '  result: {type: uri_folder}',
      'experiment_name: jobs-io',
      '',
    ].join('\n'), {
      'src/main.py': [
        'import os, sys',
        'n, table, folder, out = sys.argv[1:5]',
        'assert len(sys.argv) == 5, sys.argv',
        'rows = open(table).read().splitlines()',
        'files = sorted(os.listdir(folder))',
        'open(os.path.join(out, "result.txt"), "w").write(f"{n} {len(rows)} {files}")',
        'open("outputs/model.txt", "w").write("weights")',
        'print("ok", n, os.environ["MLFLOW_RUN_ID"])',
      ].join('\n'),
      'src/.amlignore': 'secret.txt\n',
      'src/secret.txt': 'not uploaded',
      'data/t.csv': 'a\nb\nc\n',
      'data/other.txt': 'x',
    });
    const created = JSON.parse((await stratus(['job', 'create', '--file', file, '--output', 'json'], server.url, dir)).stdout);
    const job = await waitFor(client, created.name, ['Completed', 'Failed']);
    assert.equal(job.status, 'Completed', JSON.stringify(job.error));
    const run = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    assert.deepEqual(run.data.params, [{ key: 'n', value: '7' }], 'literal inputs are logged as params');
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'jobs', job.name, 'wd', 'secret.txt')), '.amlignore is respected');

    const next = writeJob(path.join(work, 'next'), [
      'command: cat ${{inputs.prev}}/result.txt',
      'inputs:',
      `  prev: {type: uri_folder, path: "azureml://jobs/${job.name}/outputs/result"}`,
      '',
    ].join('\n'));
    const res = await stratus(['job', 'create', '--file', next, '--stream'], server.url, path.dirname(next));
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), "7 3 ['other.txt', 't.csv']");

    const dl = tempDir();
    assert.equal((await stratus(['job', 'download', '-n', job.name, '-p', dl], server.url)).code, 0);
    assert.equal(fs.readFileSync(path.join(dl, job.name, 'named-outputs', 'result', 'result.txt'), 'utf8'), "7 3 ['other.txt', 't.csv']");
    assert.equal(fs.readFileSync(path.join(dl, job.name, 'artifacts', 'outputs', 'model.txt'), 'utf8'), 'weights');
  });

  test('a failing command reports its exit code and the end of stderr', async () => {
    const file = writeJob(path.join(work, 'fail'), 'command: python -c "import sys; print(\'boom\', file=sys.stderr); sys.exit(3)"\n');
    const res = await stratus(['job', 'create', '--file', file, '--stream'], server.url, path.dirname(file));
    assert.equal(res.code, 1);
    const [job] = (await client.jobs.list()).value;
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.exit_code, 3);
    assert.match(job.error?.stderr_tail ?? '', /boom/);
    assert.equal((await client.runs.get(job.properties['mlflow.run_id'])).run.info.status, 'FAILED');
  });

  test('cancel ends the whole process tree', async () => {
    const file = writeJob(path.join(work, 'cancel'), "command: bash -c 'sleep 300 & echo $! > child.pid; wait'\n");
    const created = JSON.parse((await stratus(['job', 'create', '--file', file, '--output', 'json'], server.url, path.dirname(file))).stdout);
    await waitFor(client, created.name, ['Running']);
    const pidFile = path.join(server.dataDir, 'jobs', created.name, 'wd', 'child.pid');
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(child > 1, 'the job wrote its child pid');
    const res = await stratus(['job', 'cancel', '-n', created.name, '--query', 'status'], server.url);
    assert.equal(res.stdout.trim(), 'Canceled');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(isAlive(child), false, 'the grandchild process is gone');
    assert.equal((await client.runs.get(created.properties['mlflow.run_id'])).run.info.status, 'KILLED');
    // Without a display name a job is shown by its name (Azure ML's rule), and --web gives its studio page.
    assert.equal(created.display_name, created.name);
    const web = await stratus(['job', 'show', '-n', created.name, '--web', '-o', 'none'], server.url);
    assert.equal(web.code, 0, web.stderr);
    assert.equal(web.stdout, '');
    assert.equal(web.stderr.trim(), `Studio: ${server.url}/#/jobs/${created.name}`);
  });

  test('limits.timeout stops the job and says so', async () => {
    const file = writeJob(path.join(work, 'timeout'), 'command: sleep 30\nlimits:\n  timeout: 1\n');
    const created = JSON.parse((await stratus(['job', 'create', '--file', file, '--output', 'json'], server.url, path.dirname(file))).stdout);
    const job = await waitFor(client, created.name, ['Failed', 'Completed'], 20_000);
    assert.equal(job.status, 'Failed');
    assert.match(job.error?.message ?? '', /timeout of 1 s/);
  });

  test('bad input is a clear error and creates nothing', async () => {
    const before = (await client.jobs.list()).value.length;
    const cases: [string, RegExp][] = [
      ['command: echo hi\n  bad: [\n', /job\.yml:\d+: invalid YAML/],
      ['environment: azureml:AzureML-sklearn-1.5@latest\n', /job\.yml:1: 'command'/],
      ['command: python x.py\ncode: ./missing\n', /'code': .*missing does not exist/],
      ['command: cat ${{inputs.d}}\ninputs:\n  d: {type: uri_file, path: ./nope.csv}\n', /inputs\.d: .*nope\.csv does not exist/],
      ['command: cat ${{inputs.d}}\ninputs:\n  d: {type: uri_file, path: "azureml:no-such-data:1"}\n', /data asset 'azureml:no-such-data:1' does not exist/],
      ['command: echo ${{inputs.undeclared}}\n', /job\.yml:1: 'command': .*inputs\.undeclared/],
      ['command: echo\ncompute: azureml:gpu-monster\n', /Compute 'gpu-monster' does not exist/],
      ['command: echo\nenvironment: azureml:my-env:3\n', /Environment 'azureml:my-env:3' is not registered/],
      ['type: parallel\ntask:\n  type: run_function\n', /'parallel' jobs are not supported by this workspace yet; command, spark, automl, pipeline and sweep jobs are/],
      ['type: pipeline\njobs: {}\n', /job\.yml:2: 'jobs': a pipeline needs jobs/],
    ];
    for (const [yaml, message] of cases) {
      const file = writeJob(path.join(work, `bad-${Math.random().toString(36).slice(2)}`), yaml);
      const res = await stratus(['job', 'create', '--file', file], server.url, path.dirname(file));
      assert.notEqual(res.code, 0, yaml);
      assert.match(res.stderr, message, yaml);
    }
    const missing = await stratus(['job', 'create', '--file', path.join(work, 'does-not-exist.yml')], server.url);
    assert.match(missing.stderr, /Cannot read .*does-not-exist\.yml: no such file/);
    assert.equal((await client.jobs.list()).value.length, before, 'no job was created');
  });

  test('unknown keys are errors with the intended key; --set cannot invent an input; unsupported settings are noted on the job', async () => {
    const typo = writeJob(path.join(work, 'typo'), 'command: echo ok\nenviroment: azureml:AzureML-sklearn-1.5@latest\n');
    const bad = await stratus(['job', 'create', '--file', typo], server.url, path.dirname(typo));
    assert.notEqual(bad.code, 0, 'a misspelt environment must not run the job on the host Python');
    assert.match(bad.stderr, /job\.yml:2:1: unknown key 'enviroment' \(did you mean 'environment'\?\)/);
    const setTypo = await stratus(['job', 'create', '--file', typo, '--set', 'inputs.epochs=3'], server.url, path.dirname(typo));
    assert.notEqual(setTypo.code, 0);
    assert.match(setTypo.stderr, /there is no input 'epochs'/);

    const file = writeJob(path.join(work, 'warn'), 'command: echo ok\nresources:\n  instance_count: 2\nproperties:\n  team: a\n');
    const res = await stratus(['job', 'create', '--file', file, '--output', 'json'], server.url, path.dirname(file));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /warning: .*job\.yml:4: 'properties' is accepted but not applied/);
    const job = JSON.parse(res.stdout);
    assert.match(job.notes[0], /'resources' is accepted but does not apply/);
  });

  test('the REST API checks job bodies against their schema: 400 naming the field, never a 500', async () => {
    const post = (body: unknown) => fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, json: await r.json() as { error_code: string; message: string } }));
    const bare = await post({ spec: { command: 'echo hi', inputs: { epochs: 5 } } });
    assert.equal(bare.status, 400);
    assert.match(bare.json.message, /'spec\.inputs\.epochs'/);
    const unknown = await post({ spec: { command: 'echo hi', enviroment: { kind: 'host' } } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.message, /'spec\.enviroment': unknown field/);
    const ok = await post({ spec: { command: 'echo from-rest', experiment_name: 'rest' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const spec = await (await fetch(`${server.url}/api/v1/openapi.json`)).json() as any;
    assert.ok(spec.paths['/api/v1/jobs'].post.requestBody.content['application/json'].schema.properties.spec, 'the OpenAPI document describes the body');
  });
});

describe('server restart with a job running', () => {
  /** Starts `command` as a job, waits until it runs, and stops the server under it. */
  async function jobLeftRunning(command: string): Promise<{ dataDir: string; name: string }> {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    const c1 = new StratusClient({ baseUrl: first.url });
    const job = await c1.jobs.create({
      type: 'command', command, tags: {}, experiment_name: 'restart', environment: { kind: 'host' },
      environment_variables: {}, inputs: {}, outputs: {}, compute: 'local', notes: [],
    });
    await waitFor(c1, job.name, ['Running']);
    await first.close();
    return { dataDir, name: job.name };
  }

  test('the job is re-attached and completes; nothing stays Running', async () => {
    const { dataDir, name } = await jobLeftRunning('sleep 2; echo finished');
    const job = { name };
    const second = await startServer({ dataDir });
    try {
      const c2 = new StratusClient({ baseUrl: second.url });
      const done = await waitFor(c2, job.name, ['Completed', 'Failed'], 30_000);
      assert.equal(done.status, 'Completed', JSON.stringify(done.error));
      const logs = await c2.jobs.logs(job.name, { stdout: 0, stderr: 0, build: 0 });
      assert.equal(logs.stdout.data.trim(), 'finished');
    } finally {
      await second.close();
    }
  });

  test('a job that ended while the server was down gets its exit time, not the restart time', async () => {
    const { dataDir, name } = await jobLeftRunning('sleep 1; echo finished');
    const job = { name };
    // The job ends about a second later, while no server runs.
    await new Promise((r) => setTimeout(r, 3000));
    const restartedAt = Date.now();
    const second = await startServer({ dataDir });
    try {
      const c2 = new StratusClient({ baseUrl: second.url });
      const done = await waitFor(c2, job.name, ['Completed', 'Failed'], 30_000);
      assert.equal(done.status, 'Completed', JSON.stringify(done.error));
      const ended = Date.parse(String(done.end_time));
      assert.ok(ended < restartedAt, `end_time ${done.end_time} should be when the process exited, before the restart at ${new Date(restartedAt).toISOString()}`);
      const run = (await c2.runs.get(String((done.properties as Record<string, string>)['mlflow.run_id']))).run;
      assert.equal(Number(run.info.end_time), ended, 'the MLflow run ends at the same time');
    } finally {
      await second.close();
    }
  });
});


/**
 * Deploying from CI/CD with no one at a keyboard: the scripts the templates call
 * (templates/scripts/train.sh, `stratus model promote`, templates/scripts/deploy-blue-green.sh),
 * run as a pipeline runs them — bash, the stratus CLI on PATH, STRATUS_URL in the environment —
 * against a real workspace with real jobs and real scoring workers, so the templates cannot rot.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const SCRIPTS = path.join(REPO, 'templates/scripts');
const ENDPOINT = path.resolve(import.meta.dirname, 'fixtures/endpoint');

describe('MLOps from a CI pipeline', { timeout: 900_000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  let work: string;
  let bin: string;
  /** A pipeline step: bash running a template script, with `stratus` on PATH. */
  const step = (script: string, args: string[], cwd = work) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', [path.join(SCRIPTS, script), ...args], { cwd, env: { ...process.env, STRATUS_URL: server.url, PATH: `${bin}:${process.env.PATH}` }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
  const cli = (args: string[], cwd = work) => runCli(args, { url: server.url, cwd });

  before(async () => {
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
    work = tempDir('stratus-mlops-');
    bin = tempDir('stratus-bin-');
    fs.writeFileSync(path.join(bin, 'stratus'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'bin/stratus.js')}" "$@"\n`, { mode: 0o755 });
    // A training job that logs its accuracy to its run (through the MLflow REST API) and writes its model.
    fs.mkdirSync(path.join(work, 'src'));
    fs.writeFileSync(path.join(work, 'src', 'train.py'), `import json, os, sys, urllib.request
accuracy = float(sys.argv[1])
token = os.environ.get("MLFLOW_TRACKING_TOKEN")
body = json.dumps({"run_id": os.environ["MLFLOW_RUN_ID"], "key": "accuracy", "value": accuracy, "timestamp": 0, "step": 0}).encode()
request = urllib.request.Request(os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-metric", data=body,
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
urllib.request.urlopen(request)
os.makedirs("outputs/model", exist_ok=True)
json.dump({"accuracy": accuracy}, open("outputs/model/weights.json", "w"))
print("trained, accuracy", accuracy)
`);
    fs.writeFileSync(path.join(work, 'train.yml'), 'experiment_name: mlops\ncode: ./src\ncommand: python3 train.py ${{inputs.accuracy}}\ninputs:\n  accuracy: 0.8\n');
  });
  after(async () => { await server?.close(); });

  test('train, then register only if better than production: the alias moves on a better model and stays on a worse one', async () => {
    const runs: Record<string, string> = {};
    for (const accuracy of ['0.8', '0.9', '0.85']) {
      const trained = await step('train.sh', ['train.yml', '--set', `inputs.accuracy=${accuracy}`]);
      assert.equal(trained.code, 0, trained.stderr);
      runs[accuracy] = trained.stdout.trim();
      assert.match(runs[accuracy], /^[0-9a-f]{32}$/, trained.stdout);
    }
    const promote = (run: string, ...extra: string[]) => cli(['model', 'promote', '-n', 'churn', '--run', run, '--metric', 'accuracy', '--type', 'custom_model', '--path', 'outputs/model', '-o', 'json', ...extra]);
    const first = JSON.parse((await promote(runs['0.8'])).stdout);
    assert.deepEqual([first.promoted, first.version, first.production], [true, '1', null]);
    const better = JSON.parse((await promote(runs['0.9'])).stdout);
    assert.equal(better.promoted, true);
    assert.equal(better.version, '2');
    assert.match(better.reason, /accuracy 0\.9 is higher than version 1's 0\.8/);
    assert.equal((await client.registry.versionByAlias('churn', 'production')).model_version.version, '2');
    const worse = await promote(runs['0.85'], '--query', '{promoted: promoted, version: version}', '-o', 'tsv');
    assert.equal(worse.stdout, 'False\t\n', 'as the templates read it');
    assert.equal((await client.registry.versionByAlias('churn', 'production')).model_version.version, '2', 'the alias stays on the better model');
    const strict = await promote(runs['0.85'], '--fail-if-not-better');
    assert.equal(strict.code, 1);
    const noMetric = await cli(['model', 'promote', '-n', 'churn', '--run', runs['0.9'], '--metric', 'f1']);
    assert.equal(noMetric.code, 2);
    assert.match(noMetric.stderr, /logged no metric 'f1'/);
    // The promoted version is the run's model folder.
    const files = await client.models.files('churn', '2');
    assert.equal(JSON.parse(await (await client.fetchArtifact(`${files.path}/weights.json`)).text()).accuracy, 0.9);
  });

  test('blue/green: a new deployment smoke-tested with no traffic, traffic shifted in steps; a failing one rolled back with nothing changed', async () => {
    assert.equal((await cli(['online-endpoint', 'create', '--file', 'endpoint.yml'], ENDPOINT)).code, 0);
    const blue = await cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--all-traffic'], ENDPOINT);
    assert.equal(blue.code, 0, blue.stderr);
    const green = await step('deploy-blue-green.sh', ['linear', 'deploy-v2.yml', 'green', 'request.json', 'length(predictions) == `2`'], ENDPOINT);
    assert.equal(green.code, 0, green.stderr);
    assert.match(green.stderr, /traffic: blue=90 green=10[^]*traffic: blue=50 green=50[^]*traffic: green=100 blue=0/);
    assert.deepEqual((await client.endpoints.show('linear')).traffic, { blue: 0, green: 100 });
    // A deployment whose answers fail the expectation never gets traffic, and is removed.
    const wrong = await step('deploy-blue-green.sh', ['linear', 'deploy-v1.yml', 'teal', 'request.json', 'predictions[0] > `1000`'], ENDPOINT);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /smoke test of teal failed before any traffic: rolled back/);
    // A deployment that does not start changes nothing either.
    const broken = await step('deploy-blue-green.sh', ['linear', 'deploy-v1.yml', 'broken', 'request.json', '--', '--set', 'model.path=./broken-model/linear-model'], ENDPOINT);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /the deployment broken did not start: nothing changed/);
    assert.deepEqual((await client.endpoints.show('linear')).traffic, { blue: 0, green: 100 });
    assert.deepEqual((await client.deployments.list('linear')).value.map((d) => d.name).sort(), ['blue', 'green']);
  });

  test('the GitHub Actions and Azure DevOps templates call these same scripts and commands', () => {
    const github = parse(fs.readFileSync(path.join(REPO, 'templates/github/mlops.yml'), 'utf8'));
    const devops = parse(fs.readFileSync(path.join(REPO, 'templates/azure-pipelines.yml'), 'utf8'));
    const githubRuns = Object.values<any>(github.jobs).flatMap((j) => j.steps.map((s: any) => String(s.run ?? '')));
    const devopsRuns = devops.stages.flatMap((s: any) => s.jobs.flatMap((j: any) => j.steps.map((st: any) => String(st.script ?? ''))));
    for (const runs of [githubRuns, devopsRuns]) {
      const text = runs.join('\n');
      for (const used of ['scripts/train.sh', 'stratus model promote', 'scripts/deploy-blue-green.sh', 'flake8', 'pytest']) assert.ok(text.includes(used), `${used} in ${text}`);
      for (const script of text.match(/scripts\/[\w-]+\.sh/g) ?? []) assert.ok(fs.existsSync(path.join(REPO, 'templates', script)), `${script} is shipped`);
    }
  });
});

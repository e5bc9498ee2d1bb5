/**
 * Batch endpoints: Azure's batch endpoint and deployment YAML,
 * invoked over a folder of files; the job runs the batch driver's worker processes over
 * mini-batches and writes the predictions as its `score` output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const FIX = path.resolve(import.meta.dirname, 'fixtures/batch');
const REPO = path.resolve(import.meta.dirname, '..');
const lastJson = (stdout: string) => JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));

async function waitJob(client: StratusClient, name: string, until: (j: Record<string, any>) => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await client.jobs.get(name) as Record<string, any>;
    if (until(j)) return j;
    if (Date.now() > deadline) throw new Error(`job ${name} stayed ${j.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const ended = (j: Record<string, any>) => ['Completed', 'Failed', 'Canceled'].includes(j.status);

describe('batch endpoints', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  const cli = (args: string[]) => runCli(args, { url: server.url, cwd: FIX });
  before(async () => {
    process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
  });
  after(async () => { await server?.close(); });

  test('a scoring-script deployment scores every file of a folder in mini-batches; the predictions are the job\'s output', async () => {
    assert.equal((await cli(['batch-endpoint', 'create', '--file', 'endpoint.yml'])).code, 0);
    const dep = await cli(['batch-deployment', 'create', '--file', 'deployment.yml', '-o', 'json']);
    assert.equal(dep.code, 0, dep.stderr);
    assert.equal((await client.batchEndpoints.show('sums')).defaults.deployment_name, 'weighted', 'the first deployment is the default');
    const run = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '--input', 'data', '--stream', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /6 files in 3 mini-batches, 2 worker/);
    const job = JSON.parse(run.stdout.slice(run.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.status, 'Completed');
    const predictions = await (await client.fetchArtifact(`jobs/${job.name}/named-outputs/score/predictions.csv`)).text();
    assert.deepEqual(predictions.trim().split('\n'), [1, 2, 3, 4, 5, 6].map((i) => `part-${i}.csv,${(i + 1) * 2}.0`));
    const jobs = JSON.parse((await cli(['batch-endpoint', 'list-jobs', '-n', 'sums', '-o', 'json'])).stdout);
    assert.deepEqual(jobs.map((j: { name: string }) => j.name), [job.name]);
  });

  test('a run() that raises on one file: that mini-batch retried, then counted; under error_threshold the rest is scored, over it the job fails', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'stratus-batch-'));
    for (const f of ['part-1.csv', 'part-2.csv']) fs.copyFileSync(path.join(FIX, 'data', f), path.join(folder, f));
    fs.writeFileSync(path.join(folder, 'broken.csv'), 'x\n1\n');
    // Mini-batches of one file: broken.csv alone fails.
    assert.equal((await cli(['batch-deployment', 'create', '--file', 'deployment.yml', '--name', 'single', '--set', 'settings.mini_batch_size=1'])).code, 0);
    const tolerant = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '--input', folder, '--deployment-name', 'single', '--stream', '-o', 'json']);
    assert.equal(tolerant.code, 0, tolerant.stderr + tolerant.stdout);
    const job = JSON.parse(tolerant.stdout.slice(tolerant.stdout.lastIndexOf('\n{') + 1));
    assert.match(tolerant.stdout, /mini-batch \d failed, retry 1 of 1: ValueError: .*broken\.csv cannot be scored/);
    const predictions = await (await client.fetchArtifact(`jobs/${job.name}/named-outputs/score/predictions.csv`)).text();
    assert.deepEqual(predictions.trim().split('\n'), ['part-1.csv,4.0', 'part-2.csv,6.0']);
    // With error_threshold 0 (for this invocation only: az's --set) one failed file stops the job, and it says why.
    const stopped = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '--input', folder, '--deployment-name', 'single', '--set', 'settings.error_threshold=0', '--stream']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stdout + stopped.stderr, /batch scoring stopped: 1 files failed, more than error_threshold 0/);
    assert.equal((await client.batchDeployments.show('sums', 'single')).settings.error_threshold, -1, 'the deployment keeps its own setting');
  });

  test('batch-deployment update changes what later invocations run; list-jobs shows each job\'s progress', async () => {
    const updated = await cli(['batch-deployment', 'update', '-n', 'weighted', '-e', 'sums', '--set', 'settings.mini_batch_size=3', 'settings.logging_level=debug', '-o', 'json']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(JSON.parse(updated.stdout).settings.mini_batch_size, 3);
    assert.equal((await client.batchDeployments.show('sums', 'weighted')).settings.mini_batch_size, 3, 'show reports the setting in force');
    const run = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '--input', 'data', '--stream', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /6 files in 2 mini-batches/);
    assert.match(run.stdout, /files: part-1\.csv, part-2\.csv, part-3\.csv/, 'logging_level debug names each mini-batch\'s files');
    const { value } = await client.batchEndpoints.listJobs('sums');
    const job = value.find((j) => j.name === lastJson(run.stdout).name)!;
    assert.deepEqual(job.batch_progress, { completed: 2, failed: 0, total: 2 });
    const bad = await cli(['batch-deployment', 'update', '-n', 'weighted', '-e', 'sums', '--set', 'settings.mini_batch_size=0']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /mini_batch_size/);
    assert.equal((await client.batchDeployments.show('sums', 'weighted')).settings.mini_batch_size, 3, 'a refused update changes nothing');
  });

  test('a pipeline component deployment runs the component with the invocation\'s inputs', async () => {
    assert.equal((await cli(['batch-endpoint', 'create', '--name', 'rowcounts'])).code, 0);
    const dep = await cli(['batch-deployment', 'create', '--file', 'pipeline/deployment.yml', '-o', 'json']);
    assert.equal(dep.code, 0, dep.stderr);
    assert.equal(JSON.parse(dep.stdout).component, 'azureml:total_rows:1', 'the component file was registered');
    const expected = (scale: number) => fs.readdirSync(path.join(FIX, 'data')).sort()
      .map((f) => `${f},${fs.readFileSync(path.join(FIX, 'data', f), 'utf8').split('\n').slice(1).filter((l) => l.trim()).length * scale}`);
    // --input binds the component's one data input; literal inputs keep their defaults.
    const plain = await cli(['batch-endpoint', 'invoke', '-n', 'rowcounts', '--input', 'data', '--stream', '-o', 'json']);
    assert.equal(plain.code, 0, plain.stderr + plain.stdout);
    const job = lastJson(plain.stdout);
    assert.equal(job.type, 'pipeline');
    assert.equal(job.status, 'Completed');
    const totals = await (await client.fetchArtifact(`${job.outputs.totals.store_path}/totals.csv`)).text();
    assert.deepEqual(totals.trim().split('\n'), expected(1));
    // An inputs file names them all.
    const scaled = await cli(['batch-endpoint', 'invoke', '-n', 'rowcounts', '--file', 'pipeline/inputs.yml', '--stream', '-o', 'json']);
    assert.equal(scaled.code, 0, scaled.stderr + scaled.stdout);
    const job2 = lastJson(scaled.stdout);
    assert.deepEqual((await (await client.fetchArtifact(`${job2.outputs.totals.store_path}/totals.csv`)).text()).trim().split('\n'), expected(10));
    const wrong = await client.batchEndpoints.invoke('rowcounts', { inputs: { nope: { type: 'literal', value: 1 } } }).catch((e: Error) => e);
    assert.ok(wrong instanceof Error);
    assert.match(wrong.message, /no input nope; its inputs are: input_data, scale/);
  });

  test('bad input: a missing data asset is refused at invoke; a model whose signature does not fit the files fails the job before scoring, nothing written', async () => {
    const missing = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '--input', 'azureml:no-such-data:1']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-data/);
    // A no-code MLflow model trained on columns a and b; the files have only x.
    const work = tempDir();
    const trained = await python(`
import mlflow, pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression
X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
y = 2 * X.a + X.b
m = LinearRegression().fit(X, y)
mlflow.sklearn.save_model(m, "${work}/model", signature=infer_signature(X, m.predict(X)))
`);
    assert.equal(trained.code, 0, trained.stderr);
    fs.mkdirSync(path.join(work, 'good'));
    fs.writeFileSync(path.join(work, 'good', 'rows.csv'), 'a,b\n10,1\n20,0\n');
    fs.writeFileSync(path.join(work, 'deployment.yml'), 'name: nocode\nendpoint_name: sums\ntype: model\nmodel:\n  path: ./model\nsettings:\n  max_concurrency_per_instance: 1\n');
    const created = await runCli(['batch-deployment', 'create', '--file', 'deployment.yml'], { url: server.url, cwd: work });
    assert.equal(created.code, 0, created.stderr);
    // The environment comes from the model's own conda file, as Azure's no-code deployments do.
    const good = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '-d', 'nocode', '--input', path.join(work, 'good'), '--stream', '-o', 'json']);
    assert.equal(good.code, 0, good.stderr + good.stdout.slice(-3000));
    const scored = await (await client.fetchArtifact(`jobs/${lastJson(good.stdout).name}/named-outputs/score/predictions.csv`)).text();
    assert.deepEqual(scored.trim().split('\n').map((l) => l.split(',').slice(0, 2).join(',') + ',' + Math.round(Number(l.split(',')[2]))), ['rows.csv,0,21', 'rows.csv,1,40']);
    const bad = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '-d', 'nocode', '--input', 'data', '--stream', '-o', 'json']);
    assert.notEqual(bad.code, 0);
    const job = await client.jobs.get(lastJson(bad.stdout).name) as Record<string, any>;
    assert.equal(job.status, 'Failed');
    assert.match(JSON.stringify(job.error), /part-1\.csv does not fit the model's signature: it lacks column\(s\) a, b/);
    const listing = await client.listArtifacts(`jobs/${job.name}/named-outputs/score`).catch(() => ({ files: [] }));
    assert.deepEqual((listing as { files?: unknown[] }).files ?? [], [], 'nothing half-written in the output');
  });

  test('a deployment whose environment fails to build: the job fails with pip\'s error, nothing written', async () => {
    const created = await cli(['batch-deployment', 'create', '--file', 'deployment.yml', '--name', 'unbuildable',
      '--set', 'environment.image=mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04', 'environment.conda_file=unbuildable-conda.yml']);
    assert.equal(created.code, 0, created.stderr);
    const run = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '-d', 'unbuildable', '--input', 'data', '--stream', '-o', 'json']);
    assert.notEqual(run.code, 0);
    const job = await client.jobs.get(lastJson(run.stdout).name) as Record<string, any>;
    assert.equal(job.status, 'Failed');
    assert.match(JSON.stringify(job.error), /stratus-no-such-package-anywhere/);
    const listing = await client.listArtifacts(`jobs/${job.name}/named-outputs/score`).catch(() => ({ files: [] }));
    assert.deepEqual((listing as { files?: unknown[] }).files ?? [], []);
  });
});

describe('batch endpoints: keys and restarts', { timeout: 600_000 }, () => {
  test('with auth on, an endpoint\'s key starts jobs at its scoring_uri (Azure\'s body) and nothing else; an aad_token endpoint takes no key', async () => {
    const server = await startServer({ auth: { token: 'workspace-secret' } });
    try {
      const client = new StratusClient({ baseUrl: server.url, token: 'workspace-secret' });
      const env = { STRATUS_TOKEN: 'workspace-secret' };
      const cli = (args: string[]) => runCli(args, { url: server.url, cwd: FIX, env });
      assert.equal((await cli(['batch-endpoint', 'create', '--file', 'endpoint.yml', '--set', 'auth_mode=key'])).code, 0);
      assert.equal((await cli(['batch-endpoint', 'create', '--file', 'endpoint.yml', '--name', 'aadonly'])).code, 0);
      assert.equal((await cli(['batch-deployment', 'create', '--file', 'deployment.yml'])).code, 0);
      const keys = JSON.parse((await cli(['batch-endpoint', 'get-credentials', '-n', 'sums', '-o', 'json'])).stdout);
      const uri = (await client.batchEndpoints.show('sums')).scoring_uri;
      const dataRef = JSON.parse((await cli(['data', 'create', '--name', 'parts', '--path', 'data', '--type', 'uri_folder', '-o', 'json'])).stdout);
      const body = JSON.stringify({ properties: { InputData: { input_data: { JobInputType: 'UriFolder', Uri: `azureml:parts:${dataRef.version}` } } } });
      const post = (url: string, key: string, b = body) => fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: b });
      const started = await post(uri, keys.primaryKey);
      assert.equal(started.status, 202, await started.clone().text());
      const job = await started.json() as Record<string, any>;
      const done = await waitJob(client, job.name, ended);
      assert.equal(done.status, 'Completed', JSON.stringify(done.error));
      assert.equal((await post(uri, 'wrong-key')).status, 401);
      assert.equal((await post(uri.replace('/sums/', '/aadonly/'), keys.primaryKey)).status, 401, 'another endpoint\'s key opens nothing else');
      assert.equal((await post(uri.replace('/sums/', '/nosuch/'), keys.primaryKey)).status, 401, 'an unknown endpoint looks like a wrong key');
      assert.equal((await fetch(`${server.url}/api/v1/batch-endpoints/sums`, { headers: { Authorization: `Bearer ${keys.primaryKey}` } })).status, 401, 'a key is not a workspace credential');
      const malformed = await post(uri, keys.primaryKey, '{"properties": {}}');
      assert.equal(malformed.status, 400);
      assert.match(await malformed.text(), /InputData/);
      // The workspace token works on the scoring URI too; a regenerated key stops the old one at once.
      assert.equal((await post(uri, 'workspace-secret')).status, 202);
      await client.batchEndpoints.regenerateKeys('sums', 'primary');
      assert.equal((await post(uri, keys.primaryKey)).status, 401);
      assert.equal((await post(uri, keys.secondaryKey)).status, 202);
    } finally {
      await server.close();
    }
  });

  test('a server restart in the middle of a batch job: the job carries on and every mini-batch is scored', async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    const c1 = new StratusClient({ baseUrl: first.url });
    const cli1 = (args: string[]) => runCli(args, { url: first.url, cwd: FIX });
    assert.equal((await cli1(['batch-endpoint', 'create', '--file', 'endpoint.yml'])).code, 0);
    assert.equal((await cli1(['batch-deployment', 'create', '--file', 'deployment.yml', '--set', 'settings.max_concurrency_per_instance=1', 'settings.environment_variables.BATCH_TEST_SLEEP=1.5'])).code, 0);
    const started = JSON.parse((await cli1(['batch-endpoint', 'invoke', '-n', 'sums', '--input', 'data', '-o', 'json'])).stdout);
    await waitJob(c1, started.name, (j) => j.status === 'Running' || ended(j));
    await first.close();
    // On the same port, as a restarted server would be: the driver's progress reports reach it again.
    const second = await startServer({ dataDir, port: Number(new URL(first.url).port) });
    try {
      const c2 = new StratusClient({ baseUrl: second.url });
      const done = await waitJob(c2, started.name, ended);
      assert.equal(done.status, 'Completed', JSON.stringify(done.error));
      const predictions = await (await c2.fetchArtifact(`jobs/${done.name}/named-outputs/score/predictions.csv`)).text();
      assert.deepEqual(predictions.trim().split('\n'), [1, 2, 3, 4, 5, 6].map((i) => `part-${i}.csv,${(i + 1) * 2}.0`));
      const { value } = await c2.batchEndpoints.listJobs('sums');
      assert.deepEqual(value[0].batch_progress, { completed: 3, failed: 0, total: 3 });
    } finally {
      await second.close();
    }
  });
});

function python(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(REPO, '.venv/bin/python'), ['-c', script], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

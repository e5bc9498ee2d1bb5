/**
 * The "done means": an Azure ML sample-style scikit-learn job on azureml:cpu-cluster
 * with the curated sklearn-1.5 environment, streamed from the CLI, whose metrics, outputs and
 * model land in the workspace. Builds the curated environment once (cached in .cache/envs).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runCli, startServer } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const REPO = path.resolve(import.meta.dirname, '..');
let server: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  server = await startServer();
});
after(async () => { await server.close(); });

test('examples/sklearn runs with live logs and lands metrics, params, model and outputs', { timeout: 900_000 }, async () => {
  const res = await runCli(['job', 'create', '--file', 'job.yml', '--stream', '--output', 'json'], { url: server.url, cwd: path.join(REPO, 'examples/sklearn') });
  assert.equal(res.code, 0, res.stderr.slice(-3000));
  assert.match(res.stdout, /test accuracy: 0\.\d+/);
  assert.match(res.stderr, /Running/);
  const job = JSON.parse(res.stdout.slice(res.stdout.indexOf('{')));
  assert.equal(job.status, 'Completed');
  assert.equal(job.compute, 'azureml:cpu-cluster');
  const client = new StratusClient({ baseUrl: server.url });
  const run = (await client.runs.get(job.properties['mlflow.run_id'])).run;
  const metrics = Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value]));
  assert.ok(Number(metrics.test_accuracy) > 0.8, JSON.stringify(metrics));
  assert.ok(Number(metrics.training_accuracy_score) > 0.8, 'autolog metrics are in the job run');
  const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
  assert.equal(params.C, '0.5');
  const models = await fetch(`${server.url}/api/2.0/mlflow/logged-models/search`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_ids: [run.info.experiment_id] }),
  }).then((r) => r.json());
  assert.ok(models.models?.some((m: any) => m.info.source_run_id === run.info.run_id), 'autolog logged the model');
  const out = await client.listArtifacts(`jobs/${job.name}/named-outputs/model/iris-model`);
  assert.ok(out.files?.some((f) => f.path === 'MLmodel'), 'the named output holds the saved model');
});

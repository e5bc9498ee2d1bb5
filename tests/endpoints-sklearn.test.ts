/**
 * The "done means" path: a job trains a scikit-learn model, the model is registered from
 * the job's output, deployed with Azure ML endpoint/deployment YAML and a score.py in the curated
 * sklearn environment, and invoked from the CLI (examples/endpoint).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runCli, startServer } from './helpers.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(REPO, 'examples/endpoint');
let server: Awaited<ReturnType<typeof startServer>>;

const cli = (args: string[]) => runCli(args, { url: server.url, cwd: EXAMPLE });

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  server = await startServer();
});
after(async () => { await server.close(); });

test('train in a job, register from its output, deploy score.py, invoke', { timeout: 900_000 }, async () => {
  const trained = await cli(['job', 'create', '--file', 'train/job.yml', '--stream', '--output', 'json']);
  assert.equal(trained.code, 0, trained.stderr.slice(-2000));
  const job = JSON.parse(trained.stdout.slice(trained.stdout.indexOf('{')));
  const model = await cli(['model', 'create', '--name', 'iris-clf', '--path', `azureml://jobs/${job.name}/outputs/model`, '--type', 'custom_model', '--output', 'json']);
  assert.equal(model.code, 0, model.stderr);
  assert.equal(JSON.parse(model.stdout).version, '1');
  assert.equal((await cli(['online-endpoint', 'create', '--file', 'endpoint.yml'])).code, 0);
  const dep = await cli(['online-deployment', 'create', '--file', 'blue.yml', '--all-traffic', '--output', 'json']);
  assert.equal(dep.code, 0, dep.stderr);
  assert.equal(JSON.parse(dep.stdout).provisioning_state, 'Succeeded');
  const invoked = await cli(['online-endpoint', 'invoke', '--name', 'iris-endpoint', '--request-file', 'sample-request.json']);
  assert.equal(invoked.code, 0, invoked.stderr);
  assert.deepEqual(JSON.parse(invoked.stdout), [0, 2]);
});

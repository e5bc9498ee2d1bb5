/**
 * Batch endpoints: Azure's batch endpoint and deployment YAML,
 * invoked over a folder of files; the job runs the batch driver's worker processes over
 * mini-batches and writes the predictions as its `score` output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServer } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const FIX = path.resolve(import.meta.dirname, 'fixtures/batch');

describe('batch endpoints', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  const cli = (args: string[]) => runCli(args, { url: server.url, cwd: FIX });
  before(async () => {
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
    // With error_threshold 0 one failed file stops the job, and it says why.
    const strict = await cli(['batch-deployment', 'create', '--file', 'deployment.yml', '--name', 'strict', '--set', 'settings.error_threshold=0', 'settings.mini_batch_size=1']);
    assert.equal(strict.code, 0, strict.stderr);
    const stopped = await cli(['batch-endpoint', 'invoke', '-n', 'sums', '--input', folder, '--deployment-name', 'strict', '--stream']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stdout + stopped.stderr, /batch scoring stopped: 1 files failed, more than error_threshold 0/);
  });
});

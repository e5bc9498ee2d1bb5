/**
 * Spark jobs with real Spark: Azure ML's Spark job YAML (the Titanic wrangling sample's shape)
 * runs with spark-submit from PySpark in the stratus-spark environment, reads a CSV input, writes
 * Parquet to its output, and logs to the job's MLflow run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { raw, runCli, startServer, tempDir, waitComputeState } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';
import { markedProcesses } from '../src/compute/marked-processes.ts';
import { chromium } from 'playwright-core';

const REPO = path.resolve(import.meta.dirname, '..');
const FIXTURE = path.join(REPO, 'tests/fixtures/spark');
let server: Awaited<ReturnType<typeof startServer>>;
let client: StratusClient;
const cli = (args: string[], cwd = FIXTURE) => runCli(args, { url: server.url, cwd });

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  server = await startServer();
  client = new StratusClient({ baseUrl: server.url });
});
after(async () => {
  await client.computes.delete('spark-c').catch(() => undefined);
  await server?.close();
});

const waitState = (name: string, want: string[], timeoutMs = 300_000) => waitComputeState(client, name, want, timeoutMs);

describe('spark jobs', { timeout: 900_000 }, () => {
  test('Azure ML spark job YAML runs with spark-submit: CSV in, Parquet out, metrics on the job\'s run', async () => {
    const ran = await cli(['job', 'create', '--file', 'job.yml', '--stream', '--output', 'json']);
    assert.equal(ran.code, 0, ran.stderr.slice(-4000));
    assert.match(ran.stderr, /identity.*not applied/);
    assert.match(ran.stdout, /wrangled 200 rows; missing ages left: 0/);
    const job = JSON.parse(ran.stdout.slice(ran.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.type, 'spark');
    assert.equal(job.status, 'Completed');
    assert.deepEqual(job.entry, { file: 'titanic.py' });
    assert.equal(job.conf['spark.driver.cores'], '1');
    assert.equal(job.spark_master, 'local[1]');
    assert.equal(job.environment, 'azureml:stratus-spark@latest');
    assert.ok(job.notes.some((n: string) => /spark\.executor\.cores.*local mode/.test(n)), JSON.stringify(job.notes));
    assert.ok(job.notes.some((n: string) => /instance_type 'standard_e4s_v3' is shown, not applied/.test(n)));

    const folder = path.join(server.dataDir, 'artifacts', job.outputs.wrangled_data.store_path);
    const parts = fs.readdirSync(folder);
    assert.ok(parts.some((f) => f.endsWith('.parquet')), `Parquet files in the output: ${parts.join(', ')}`);
    assert.ok(parts.includes('_SUCCESS'));
    const run = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    assert.equal(run.data.metrics?.find((m) => m.key === 'rows')?.value, 200);
    const listed = await cli(['job', 'list', '--output', 'json']);
    assert.equal(JSON.parse(listed.stdout).find((j: { name: string }) => j.name === job.name).type, 'spark');
  });

  test('bad input: no entry, an entry file that is not there, a conf that is not Spark\'s, a failing driver', async () => {
    const work = tempDir();
    fs.cpSync(FIXTURE, work, { recursive: true });
    const yml = fs.readFileSync(path.join(work, 'job.yml'), 'utf8');
    const variant = async (name: string, text: string) => {
      fs.writeFileSync(path.join(work, name), text);
      return cli(['job', 'create', '--file', name], work);
    };
    const noEntry = await variant('a.yml', yml.replace(/entry:\n {2}file: titanic.py\n/, ''));
    assert.match(noEntry.stderr, /a spark job needs 'entry:'/);
    const missing = await variant('b.yml', yml.replace('file: titanic.py', 'file: nope.py'));
    assert.match(missing.stderr, /b\.yml:\d+: 'entry\.file': nope\.py is not in the code folder/);
    const conf = await variant('c.yml', yml.replace('spark.driver.memory: 1g', 'driver.memory: 1g'));
    assert.match(conf.stderr, /'driver\.memory' is not a Spark setting name/);
    fs.writeFileSync(path.join(work, 'src/titanic.py'), 'raise SystemExit("the driver gave up")\n');
    const failing = await cli(['job', 'create', '--file', 'job.yml', '--stream'], work);
    assert.notEqual(failing.code, 0);
    assert.match(failing.stdout + failing.stderr, /the driver gave up/);
    assert.match(failing.stderr, /Failed/);
  });

  test('a Spark standalone cluster: master and workers from spark-class, a spark job on it, resize, stop', async () => {
    const work = tempDir();
    fs.writeFileSync(path.join(work, 'spark.yml'), [
      'name: spark-c', 'type: spark', 'workers: 1', 'worker_cores: 1', 'worker_memory: 1g', 'spark_conf:', '  spark.sql.shuffle.partitions: 4', '',
    ].join('\n'));
    const created = await cli(['compute', 'create', '--file', 'spark.yml', '--output', 'json'], work);
    assert.equal(created.code, 0, created.stderr);
    const c = await waitState('spark-c', ['Running', 'Failed']);
    assert.equal(c.state, 'Running', c.state_reason);
    assert.match(c.master_url, /^spark:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(c.alive_workers, 1);
    assert.equal(c.nodes[0].state, 'ALIVE');

    const ran = await cli(['job', 'create', '--file', 'job.yml', '--set', 'compute=spark-c', '--stream', '--output', 'json']);
    assert.equal(ran.code, 0, ran.stderr.slice(-4000));
    const job = JSON.parse(ran.stdout.slice(ran.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.compute, 'azureml:spark-c');
    assert.match(job.spark_master, /Spark cluster 'spark-c'/);
    const status = await (await fetch(`${c.master_web_ui}/json/`)).json() as { completedapps: { name: string }[] };
    assert.ok(status.completedapps.some((a) => a.name === 'titanic-wrangling'), 'the application ran on the cluster');

    const grown = await cli(['compute', 'resize', '--name', 'spark-c', '--workers', '2', '--output', 'json']);
    assert.equal(grown.code, 0, grown.stderr);
    assert.equal(JSON.parse(grown.stdout).alive_workers, 2);
    const shrunk = await client.computes.resize('spark-c', 1) as Record<string, any>;
    assert.equal(shrunk.alive_workers, 1);

    // The studio's Computes page shows the cluster, its workers and its master.
    const browser = await chromium.launch({ executablePath: process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/#/computes/spark-c`);
      await page.getByTestId('spark-nodes').getByText('ALIVE').waitFor();
      await page.getByText(/1 alive of 1/).waitFor();
      await page.getByText(c.master_url).waitFor();
    } finally {
      await browser.close();
    }

    assert.equal((await cli(['compute', 'stop', '--name', 'spark-c'])).code, 0);
    assert.deepEqual(markedProcesses((m) => m.includes('/spark-c/')), [], 'no Spark JVM is left');
    const refused = await cli(['job', 'create', '--file', 'job.yml', '--set', 'compute=spark-c']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Compute 'spark-c' is Stopped.*stratus compute start --name spark-c/);
    const badResize = await raw(server.url, 'POST', '/api/v1/computes/spark-c/resize', JSON.stringify({ workers: -1 }), { 'content-type': 'application/json' });
    assert.equal(badResize.status, 400);
    assert.equal((await cli(['compute', 'delete', '--name', 'spark-c'])).code, 0);
  });

  test('Livy batches (HDInsight\'s API) with the unmodified pylivy client: submit, wait, state, log, delete', async () => {
    await client.files.upload('Users/livy/pi.py', [
      'import sys',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.getOrCreate()',
      'n = int(sys.argv[1])',
      'print("sum of squares", spark.range(n).selectExpr("sum(id * id) AS s").first().s)',
      'spark.stop()',
    ].join('\n'));
    const script = `
import json, os
from livy import LivyBatch
b = LivyBatch.create(os.environ["URL"] + "/livy", file="Users/livy/pi.py", args=["10"], name="squares", spark_conf={"spark.driver.cores": "1"}, proxy_user="alice")
state = b.wait()
print(json.dumps({"id": b.batch_id, "state": state.value, "log": b.log(size=100000)}))
`;
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(path.join(REPO, '.venv/bin/python'), ['-c', script], { env: { ...process.env, URL: server.url } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    });
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout);
    assert.equal(result.state, 'success');
    assert.ok(result.log.includes('sum of squares 285'), result.log.slice(0, 20).join('\n'));
    const batch = await (await fetch(`${server.url}/livy/batches/${result.id}`)).json() as { state: string; appId: string; name: string };
    assert.equal(batch.state, 'success');
    assert.equal(batch.name, 'squares');
    assert.equal(batch.appId, null, 'local mode has no cluster application id');
    const jobs = (await client.jobs.list()).value;
    const job = jobs.find((j) => j.tags['livy.batch_id'] === String(result.id));
    assert.equal(job?.type, 'spark');
    assert.ok(job?.notes?.some((n) => /proxyUser 'alice' is accepted, not applied/.test(n)));
    const listed = await (await fetch(`${server.url}/livy/batches`)).json() as { total: number; sessions: { id: number }[] };
    assert.ok(listed.sessions.some((b) => b.id === result.id));
    const deleted = await (await fetch(`${server.url}/livy/batches/${result.id}`, { method: 'DELETE' })).json();
    assert.deepEqual(deleted, { msg: 'deleted' });
    assert.equal((await fetch(`${server.url}/livy/batches/${result.id}`)).status, 404);
    const hdfs = await raw(server.url, 'POST', '/livy/batches', JSON.stringify({ file: 'hdfs:///apps/x.py' }), { 'content-type': 'application/json' });
    assert.equal(hdfs.status, 400);
    assert.match(hdfs.json.message, /only paths in the workspace file share/);
    const traversal = await raw(server.url, 'POST', '/livy/batches', JSON.stringify({ file: '../../etc/passwd' }), { 'content-type': 'application/json' });
    assert.equal(traversal.status, 400);
  });

  test('Databricks clusters and runs with the unmodified databricks-sdk: create, run a spark_python_task, resize, terminate, delete', async () => {
    await client.files.upload('Users/db/count.py', [
      'import sys',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.getOrCreate()',
      'print("groups", spark.range(int(sys.argv[1])).selectExpr("id % 7 AS k").groupBy("k").count().count())',
      'spark.stop()',
    ].join('\n'));
    const script = `
import json, os
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
w = WorkspaceClient(host=os.environ["URL"], token="any-token", auth_type="pat")
out = {}
out["versions"] = [v.key for v in w.clusters.spark_versions().versions]
c = w.clusters.create(cluster_name="sdk-cluster", spark_version=out["versions"][0], node_type_id="local", num_workers=1, autotermination_minutes=30).result()
out["state"] = c.state.value
out["cluster_id"] = c.cluster_id
out["listed"] = [x.cluster_name for x in w.clusters.list()]
run = w.jobs.submit(run_name="count", tasks=[jobs.SubmitTask(task_key="main", existing_cluster_id=c.cluster_id,
      spark_python_task=jobs.SparkPythonTask(python_file="/Workspace/Users/db/count.py", parameters=["1000"]))]).result()
out["life_cycle"] = run.state.life_cycle_state.value
out["result"] = run.state.result_state.value
out["output"] = w.jobs.get_run_output(run.run_id).logs
w.clusters.resize(cluster_id=c.cluster_id, num_workers=2)
out["workers"] = w.clusters.get(c.cluster_id).num_workers
w.clusters.delete(cluster_id=c.cluster_id).result()
out["terminated"] = w.clusters.get(c.cluster_id).state.value
w.clusters.permanent_delete(cluster_id=c.cluster_id)
try:
    w.clusters.get(c.cluster_id)
except Exception as e:
    out["gone"] = type(e).__name__
print(json.dumps(out))
`;
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(path.join(REPO, '.venv/bin/python'), ['-c', script], { env: { ...process.env, URL: server.url } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    });
    assert.equal(out.code, 0, out.stderr.slice(-3000));
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    assert.equal(r.state, 'RUNNING');
    assert.ok(r.listed.includes('sdk-cluster'));
    assert.equal(r.life_cycle, 'TERMINATED');
    assert.equal(r.result, 'SUCCESS');
    assert.match(r.output, /groups 7/);
    assert.equal(r.workers, 2);
    assert.equal(r.terminated, 'TERMINATED');
    assert.equal(r.gone, 'ResourceDoesNotExist');
    assert.deepEqual(markedProcesses((m) => m.includes(`/${r.cluster_id}/`)), []);
  });
});

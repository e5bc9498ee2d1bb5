/**
 * Spark jobs with real Spark: Azure ML's Spark job YAML (the Titanic wrangling sample's shape)
 * runs with spark-submit from PySpark in the stratus-spark environment, reads a CSV input, writes
 * Parquet to its output, and logs to the job's MLflow run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { raw, runCli, startServer, tempDir, waitComputeState } from './helpers.ts';
import { execute, kernelManager } from './jupyter-client.ts';
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

function python(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(REPO, '.venv/bin/python'), ['-c', script], { env: { ...process.env, ...env } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

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

  test('a spark step in a pipeline: Azure ML pipeline YAML with type: spark, its output feeding a command step', async () => {
    const ran = await cli(['job', 'create', '--file', 'pipeline.yml', '--stream', '--output', 'json']);
    assert.equal(ran.code, 0, ran.stderr.slice(-4000));
    const pipeline = JSON.parse(ran.stdout.slice(ran.stdout.lastIndexOf('\n{') + 1));
    assert.equal(pipeline.status, 'Completed');
    const children = (await client.jobs.list({ parent_job_name: pipeline.name })).value;
    const wrangle = children.find((j) => j.display_name === 'wrangle') as Record<string, any>;
    assert.equal(wrangle.type, 'spark');
    assert.deepEqual(wrangle.entry, { file: 'titanic.py' });
    assert.equal(wrangle.spark_master, 'local[1]');
    assert.equal(wrangle.environment, 'azureml:stratus-spark@latest');
    const count = children.find((j) => j.display_name === 'count') as Record<string, any>;
    const log = await client.jobs.logs(count.name, { stdout: 0, stderr: 0, build: 0 });
    assert.match(log.stdout.data, /parquet files: [1-9]/);
  });

  test('azureml://datastores/workspaceblobstore/paths/… inputs: files uploaded to the default datastore, read by a spark job', async () => {
    const listed = await cli(['datastore', 'list', '--output', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const stores = JSON.parse(listed.stdout);
    assert.deepEqual(stores.map((d: { name: string }) => d.name), ['workspaceblobstore', 'workspaceartifactstore']);
    assert.equal(stores[0].is_default, true);
    const up = await cli(['datastore', 'upload', '--name', 'workspaceblobstore', '--source', 'data', '--path', 'samples']);
    assert.equal(up.code, 0, up.stderr);
    const files = JSON.parse((await cli(['datastore', 'list-files', '--path', 'samples/data', '--output', 'json'])).stdout);
    assert.deepEqual(files.map((f: { path: string }) => f.path), ['titanic.csv']);
    const yml = path.join(FIXTURE, 'job.yml');
    const work = tempDir();
    fs.cpSync(FIXTURE, work, { recursive: true });
    fs.writeFileSync(path.join(work, 'ds.yml'), fs.readFileSync(yml, 'utf8').replace('path: ./data/titanic.csv', 'path: azureml://datastores/workspaceblobstore/paths/samples/data/titanic.csv'));
    const ran = await cli(['job', 'create', '--file', 'ds.yml', '--stream', '--output', 'json'], work);
    assert.equal(ran.code, 0, ran.stderr.slice(-3000));
    assert.match(ran.stdout, /wrangled 200 rows/);
    fs.writeFileSync(path.join(work, 'missing.yml'), fs.readFileSync(yml, 'utf8').replace('path: ./data/titanic.csv', 'path: azureml://datastores/workspaceblobstore/paths/nope.csv'));
    const missing = await cli(['job', 'create', '--file', 'missing.yml'], work);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Input 'titanic_data': nothing found at 'azureml:\/\/datastores\/workspaceblobstore\/paths\/nope\.csv'/);
    fs.writeFileSync(path.join(work, 'other.yml'), fs.readFileSync(yml, 'utf8').replace('path: ./data/titanic.csv', 'path: azureml://datastores/mystore/paths/x.csv'));
    const other = await cli(['job', 'create', '--file', 'other.yml'], work);
    assert.match(other.stderr, /Input 'titanic_data': Datastore 'mystore' does not exist\. This workspace has workspaceblobstore/);
    const asset = await cli(['data', 'create', '--name', 'titanic-ds', '--type', 'uri_file', '--path', 'azureml://datastores/workspaceblobstore/paths/samples/data/titanic.csv', '--output', 'json']);
    assert.equal(asset.code, 0, asset.stderr);
    assert.equal((await client.data.show('titanic-ds')).type, 'uri_file');
    const readOnly = await raw(server.url, 'PUT', '/api/v1/datastores/workspaceartifactstore/files/content/x.txt', 'x', {});
    assert.equal(readOnly.status, 400);
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
    const out = await python(script, { URL: server.url });
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
    const out = await python(script, { URL: server.url });
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

describe('on a running Spark cluster: Livy sessions, notebooks attached, Databricks notebook and wheel tasks', { timeout: 900_000 }, () => {
  let masterUrl: string;
  let webUi: string;
  before(async () => {
    const created = await cli(['compute', 'create', '--name', 'spark-s', '--type', 'spark', '--workers', '1']);
    assert.equal(created.code, 0, created.stderr);
    const c = await waitState('spark-s', ['Running', 'Failed']);
    assert.equal(c.state, 'Running', c.state_reason);
    masterUrl = c.master_url;
    webUi = c.master_web_ui;
  });
  after(async () => {
    await client.computes.delete('nb-spark').catch(() => undefined);
    await client.computes.delete('spark-s').catch(() => undefined);
  });
  const apps = async () => (await (await fetch(`${webUi}/json/`)).json()) as { activeapps: { name: string }[]; completedapps: { name: string }[] };

  test('the master web UI through the workspace\'s port, and the workers\' UIs through it (Spark\'s reverse-proxy mode)', async () => {
    const shown = await client.computes.get('spark-s') as Record<string, any>;
    const service = shown.services.find((x: { display_name: string }) => x.display_name === 'Spark master UI');
    assert.equal(service.endpoint_uri, `${server.url}/computes/spark-s/spark-ui/`);
    const page = await fetch(service.endpoint_uri);
    assert.equal(page.status, 200);
    const html = await page.text();
    const worker = /href="(\/computes\/spark-s\/spark-ui\/proxy\/worker-[^"]+)"/.exec(html)?.[1];
    assert.ok(worker, 'the master\'s page links its worker through the proxy');
    assert.match(html, /href="\/computes\/spark-s\/spark-ui\/static\/webui\.css"/);
    assert.equal((await fetch(`${server.url}/computes/spark-s/spark-ui/static/webui.css`)).status, 200);
    const workerPage = await fetch(`${server.url}${worker}/`);
    assert.match(await workerPage.text(), /<title>Spark Worker at/);
    const notSpark = await raw(server.url, 'GET', '/computes/local/spark-ui/');
    assert.ok([404, 409].includes(notSpark.status), `${notSpark.status}`);
  });

  test('a Livy interactive session with the unmodified pylivy client: pyspark, Scala and sql statements on one SparkSession, dataframes both ways, errors, cancel', async () => {
    const script = `
import json, os, time, requests
from livy import LivySession, SessionKind
url = os.environ["URL"] + "/livy"
out = {}
with LivySession.create(url, kind=SessionKind.PYSPARK, name="explore", spark_conf={"spark.cores.max": "1"}) as s:
    sid = s.session_id
    out["master"] = s.run("sc.master").text
    s.run("df = spark.range(10).selectExpr('id', 'id * id AS sq')")
    out["printed"] = s.run("print('rows'); df.count()").text
    out["sum"] = int(s.read("df").sq.sum())
    try:
        s.run("1/0")
    except Exception as e:
        out["error"] = [type(e).__name__, e.ename, e.evalue]
    s.upload("up", s.read("df"))
    out["uploaded"] = s.run("up.count()").text
    out["sql"] = requests.post(f"{url}/sessions/{sid}/statements", json={"code": "SELECT 6 * 7 AS answer", "kind": "sql"}).json()["id"]
    st = requests.post(f"{url}/sessions/{sid}/statements", json={"code": "import time\\ntime.sleep(300)"}).json()
    while requests.get(f"{url}/sessions/{sid}/statements/{st['id']}").json()["state"] != "running":
        time.sleep(0.3)
    requests.post(f"{url}/sessions/{sid}/statements/{st['id']}/cancel")
    while requests.get(f"{url}/sessions/{sid}/statements/{st['id']}").json()["state"] in ("running", "cancelling"):
        time.sleep(0.3)
    out["cancelled"] = requests.get(f"{url}/sessions/{sid}/statements/{st['id']}").json()["state"]
    out["after"] = s.run("21 * 2").text
    out["statements"] = requests.get(f"{url}/sessions/{sid}/statements").json()
    def run(code, kind):
        st = requests.post(f"{url}/sessions/{sid}/statements", json={"code": code, "kind": kind}).json()
        while st["state"] not in ("available", "error", "cancelled"):
            time.sleep(0.2)
            st = requests.get(f"{url}/sessions/{sid}/statements/{st['id']}").json()
        return st["output"]
    s.run("df.createOrReplaceTempView('squares')")
    out["scala"] = [run("sc.parallelize(1 to 100).map(_ * 2).sum()", "spark"), run('println("from scala"); spark.table("squares").count()', "spark"),
                    run("val broken = nosuchthing", "spark")]
    out["sparkr"] = requests.post(f"{url}/sessions/{sid}/statements", json={"code": "1", "kind": "sparkr"}).json()
    out["app"] = requests.get(f"{url}/sessions/{sid}").json()["appId"]
out["after_close"] = requests.get(f"{url}/sessions/{sid}").status_code
print(json.dumps(out))
`;
    const out = await python(script, { URL: server.url });
    assert.equal(out.code, 0, out.stderr.slice(-3000));
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    assert.equal(r.master, `'${masterUrl}'`, 'the session runs on the cluster');
    assert.equal(r.printed, 'rows\n10');
    assert.equal(r.sum, 285);
    assert.deepEqual(r.error, ['SparkRuntimeError', 'ZeroDivisionError', 'division by zero']);
    assert.equal(r.uploaded, '10');
    const sql = r.statements.statements.find((s: { id: number }) => s.id === r.sql);
    assert.deepEqual(sql.output.data['application/json'].data, [[42]]);
    assert.equal(sql.output.data['application/json'].schema.fields[0].name, 'answer');
    assert.equal(r.cancelled, 'cancelled');
    assert.equal(r.after, '42', 'the session goes on after a cancelled statement');
    assert.equal(r.scala[0].data['text/plain'], 'val res0: Double = 10100.0', 'a Scala closure ran on the cluster\'s executors');
    assert.match(r.scala[1].data['text/plain'], /^from scala\nval res1: Long = 10$/, 'Scala sees the table Python registered');
    assert.equal(r.scala[2].status, 'error');
    assert.match(r.scala[2].evalue, /not found: value nosuchthing/);
    assert.match(r.sparkr.message, /kind 'sparkr' \(R, SparkR\) are not available here/);
    assert.match(r.app, /^app-\d+-\d+$/);
    assert.equal(r.after_close, 404);
    assert.ok((await apps()).completedapps.some((a) => a.name === 'explore'), 'the session was an application on the cluster');
    assert.deepEqual(markedProcesses((m) => m.includes('/.livy-session/')), [], 'the closed session left no driver');
    const bad = await raw(server.url, 'POST', '/livy/sessions', JSON.stringify({ kind: 'cobol' }), { 'content-type': 'application/json' });
    assert.equal(bad.status, 400);
  });

  test('a notebook attached to the cluster: the compute instance offers a PySpark kernel whose spark runs on the cluster', async () => {
    const created = await cli(['compute', 'create', '--name', 'nb-spark', '--type', 'computeinstance']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await waitState('nb-spark', ['Running', 'Failed'], 600_000)).state, 'Running');
    const specs = await (await fetch(`${server.url}/compute-instances/nb-spark/jupyter/api/kernelspecs`)).json() as { kernelspecs: Record<string, { spec: { display_name: string } }> };
    assert.equal(specs.kernelspecs['spark-spark-s']?.spec.display_name, 'PySpark (spark-s)', JSON.stringify(Object.keys(specs.kernelspecs)));
    const kernels = kernelManager(server.url, 'nb-spark');
    const kernel = await kernels.startNew({ name: 'spark-spark-s' });
    try {
      const master = await execute(kernel, 'spark.sparkContext.master');
      assert.equal(master.outputs.find((o) => o.type === 'execute_result')?.data['text/plain'], `'${masterUrl}'`, JSON.stringify(master.outputs));
      const count = await execute(kernel, 'spark.range(1000).filter("id % 2 = 0").count()');
      assert.equal(count.outputs.find((o) => o.type === 'execute_result')?.data['text/plain'], '500');
      assert.ok((await apps()).activeapps.some((a) => /\(spark-s\)$/.test(a.name)), 'the kernel is an application on the cluster');
    } finally {
      await kernel.shutdown();
      kernels.dispose();
    }
  });

  test('Databricks notebook_task and python_wheel_task runs on the cluster with the unmodified databricks-sdk', async () => {
    const cell = (id: string, source: string, tags: string[] = []) => ({ id, cell_type: 'code', metadata: { tags }, source, outputs: [], execution_count: null });
    await client.files.upload('Users/db/report.ipynb', JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [cell('p', 'n = 10', ['parameters']), cell('q', "print('master', spark.sparkContext.master)\nprint('total', spark.range(int(n)).selectExpr('sum(id) AS s').first().s)")],
    }));
    const script = `
import io, json, os, zipfile, requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs, compute
url = os.environ["URL"]
w = WorkspaceClient(host=url, token="any-token", auth_type="pat")
wheel = io.BytesIO()
with zipfile.ZipFile(wheel, "w") as z:
    z.writestr("squares/__init__.py", "import sys\\ndef main():\\n    from pyspark.sql import SparkSession\\n    s = SparkSession.builder.getOrCreate()\\n    print('wheel', sys.argv[1:], s.range(5).count(), s.sparkContext.master)\\n")
    z.writestr("squares-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: squares\\nVersion: 1.0\\n")
    z.writestr("squares-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr("squares-1.0.dist-info/entry_points.txt", "[console_scripts]\\nrun-squares = squares:main\\n")
    z.writestr("squares-1.0.dist-info/RECORD", "")
requests.put(url + "/api/v1/files/content/Users/db/squares-1.0-py3-none-any.whl", data=wheel.getvalue()).raise_for_status()
out = {}
run = w.jobs.submit(run_name="report", tasks=[jobs.SubmitTask(task_key="nb", existing_cluster_id="spark-s",
      notebook_task=jobs.NotebookTask(notebook_path="/Workspace/Users/db/report", base_parameters={"n": "100"}))]).result()
out["notebook"] = [run.state.result_state.value, w.jobs.get_run_output(run.run_id).logs]
run = w.jobs.submit(run_name="wheel", tasks=[jobs.SubmitTask(task_key="whl", existing_cluster_id="spark-s",
      python_wheel_task=jobs.PythonWheelTask(package_name="squares", entry_point="run-squares", parameters=["a"], named_parameters={"x": "1"}),
      libraries=[compute.Library(whl="/Workspace/Users/db/squares-1.0-py3-none-any.whl")])]).result()
out["wheel"] = [run.state.result_state.value, w.jobs.get_run_output(run.run_id).logs]
try:
    w.jobs.submit(run_name="missing", tasks=[jobs.SubmitTask(task_key="nb", notebook_task=jobs.NotebookTask(notebook_path="/Workspace/Users/db/nope"))])
except Exception as e:
    out["missing"] = [type(e).__name__, str(e)]
print(json.dumps(out))
`;
    const out = await python(script, { URL: server.url });
    assert.equal(out.code, 0, out.stderr.slice(-3000));
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    assert.equal(r.notebook[0], 'SUCCESS');
    assert.match(r.notebook[1], new RegExp(`master ${masterUrl.replace(/[.]/g, '\\.')}`));
    assert.match(r.notebook[1], /total 4950/, 'base_parameters reached the notebook');
    assert.equal(r.wheel[0], 'SUCCESS');
    assert.match(r.wheel[1], new RegExp(`wheel \\['a', '--x=1'\\] 5 ${masterUrl.replace(/[.]/g, '\\.')}`));
    assert.equal(r.missing[0], 'InvalidParameterValue');
    assert.match(r.missing[1], /no such notebook in the workspace file share/);
    const job = (await client.jobs.list()).value.find((j) => j.tags['databricks.task_type'] === 'notebook_task');
    const executed = path.join(server.dataDir, 'artifacts', (job as any).outputs.notebook.store_path, 'report.ipynb');
    assert.ok(fs.existsSync(executed), 'the executed notebook is the run\'s output');
  });

  test('a Databricks multi-task run: tasks after the tasks they depend on, each with its run id and output; a failure skips what follows', async () => {
    await client.files.upload('Users/db/step.py', 'import sys\nfrom pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint("step", sys.argv[1], spark.range(10).count())\n');
    await client.files.upload('Users/db/boom.py', 'raise SystemExit("boom")\n');
    const script = `
import json, os
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
w = WorkspaceClient(host=os.environ["URL"], token="any-token", auth_type="pat")
def task(key, file, deps=(), arg=None):
    return jobs.SubmitTask(task_key=key, existing_cluster_id="spark-s", depends_on=[jobs.TaskDependency(task_key=d) for d in deps],
                           spark_python_task=jobs.SparkPythonTask(python_file=file, parameters=[arg or key]))
out = {}
run = w.jobs.submit(run_name="etl", tasks=[task("extract", "/Workspace/Users/db/step.py"), task("load", "/Workspace/Users/db/step.py", ["extract"]),
                                           task("report", "/Workspace/Users/db/step.py", ["load", "extract"])]).result()
out["state"] = run.state.result_state.value
out["tasks"] = {t.task_key: [t.run_id, t.state.result_state.value, t.start_time] for t in run.tasks}
out["outputs"] = {t.task_key: w.jobs.get_run_output(t.run_id).logs for t in run.tasks}
try:
    w.jobs.get_run_output(run.run_id)
except Exception as e:
    out["parent_output"] = str(e)
bad = w.jobs.submit(run_name="bad", tasks=[task("boom", "/Workspace/Users/db/boom.py"), task("after", "/Workspace/Users/db/step.py", ["boom"])]).result()
out["bad"] = [bad.state.result_state.value, {t.task_key: [t.state.life_cycle_state.value, t.state.result_state.value if t.state.result_state else None] for t in bad.tasks}]
out["listed"] = [r.run_name for r in w.jobs.list_runs(limit=2)]
try:
    w.jobs.submit(run_name="cycle", tasks=[task("a", "/Workspace/Users/db/step.py", ["nope"])])
except Exception as e:
    out["unknown_dep"] = str(e)
print(json.dumps(out))
`;
    const out = await python(script, { URL: server.url });
    assert.equal(out.code, 0, out.stderr.slice(-3000));
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    assert.equal(r.state, 'SUCCESS');
    assert.deepEqual(Object.keys(r.tasks).sort(), ['extract', 'load', 'report']);
    for (const k of ['extract', 'load', 'report']) assert.equal(r.tasks[k][1], 'SUCCESS', k);
    assert.ok(r.tasks.extract[2] <= r.tasks.load[2] && r.tasks.load[2] <= r.tasks.report[2], 'each task starts after those it depends on');
    assert.match(r.outputs.load, /step load 10/);
    assert.match(r.parent_output, /output of runs with multiple tasks is not supported/);
    assert.equal(r.bad[0], 'FAILED');
    assert.deepEqual(r.bad[1].boom, ['TERMINATED', 'FAILED']);
    assert.deepEqual(r.bad[1].after, ['SKIPPED', 'UPSTREAM_FAILED']);
    assert.deepEqual(r.listed, ['bad', 'etl']);
    assert.match(r.unknown_dep, /depends on 'nope', which is not a task of this run/);
  });

  test('a cluster under running jobs: compute delete is refused and names them; Databricks\' terminate cancels them, as Databricks does', async () => {
    await client.files.upload('Users/db/slow.py', 'import time\nfrom pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint("started", flush=True)\ntime.sleep(600)\n');
    const submitted = await (await fetch(`${server.url}/api/2.1/jobs/runs/submit`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run_name: 'slow', tasks: [{ task_key: 'slow', existing_cluster_id: 'spark-s', spark_python_task: { python_file: '/Workspace/Users/db/slow.py' } }] }),
    })).json() as { run_id: number };
    const refused = await cli(['compute', 'delete', '--name', 'spark-s']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Compute 'spark-s' has 1 job running \(\w+\): cancel it first \(stratus job cancel --name \w+\), then delete the compute/);
    const stop = await cli(['compute', 'stop', '--name', 'spark-s']);
    assert.match(stop.stderr, /then stop the compute/);
    const terminated = await fetch(`${server.url}/api/2.1/clusters/delete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cluster_id: 'spark-s' }) });
    assert.equal(terminated.status, 200);
    let run: { state: { life_cycle_state: string; result_state?: string } };
    do {
      await new Promise((r) => setTimeout(r, 300));
      run = await (await fetch(`${server.url}/api/2.1/jobs/runs/get?run_id=${submitted.run_id}`)).json() as typeof run;
    } while (run.state.life_cycle_state !== 'TERMINATED');
    assert.equal(run.state.result_state, 'CANCELED');
    assert.equal((await waitState('spark-s', ['Stopped', 'Failed'])).state, 'Stopped');
  });
});

/**
 * A second host on this machine: a network namespace with its own address, joined to the host by
 * a veth pair. Names and the subnet are this process's own, so two runs on one machine never meet.
 */
function secondHost(): { ok: boolean; why?: string; hostIp: string; workerIp: string; run: (args: string[]) => string[]; remove: () => void } {
  const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { stdio: 'pipe' });
  const id = process.pid % 100_000;
  const [ns, vh, vn] = [`stratus-w${id}`, `svh${id}`, `svn${id}`];
  const subnet = `10.${200 + (id % 50)}.${Math.floor(id / 50) % 250}`;
  const [hostIp, workerIp] = [`${subnet}.1`, `${subnet}.2`];
  const remove = () => { try { sh(`ip netns del ${ns} 2>/dev/null; ip link del ${vh} 2>/dev/null; true`); } catch { /* gone */ } };
  remove();
  try {
    sh([
      `ip netns add ${ns}`, `ip link add ${vh} type veth peer name ${vn}`, `ip link set ${vn} netns ${ns}`,
      `ip addr add ${hostIp}/24 dev ${vh}`, `ip link set ${vh} up`,
      `ip netns exec ${ns} ip addr add ${workerIp}/24 dev ${vn}`, `ip netns exec ${ns} ip link set ${vn} up`, `ip netns exec ${ns} ip link set lo up`,
    ].join(' && '));
    return { ok: true, hostIp, workerIp, run: (args) => ['ip', 'netns', 'exec', ns, ...args], remove };
  } catch (err) {
    remove();
    return { ok: false, why: `no network namespace could be made here: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`, hostIp, workerIp, run: (a) => a, remove };
  }
}

describe('a worker on another host, and an existing master attached', { timeout: 600_000 }, () => {
  let host: ReturnType<typeof secondHost>;
  before(() => { host = secondHost(); });
  after(async () => {
    for (const name of ['spark-att', 'spark-lan']) await client.computes.delete(name).catch(() => undefined);
    host?.remove();
  });

  test('stratus compute join-worker in a second network namespace joins a cluster bound to a LAN address', async (t) => {
    if (!host.ok) return t.skip(host.why);
    const badHost = await cli(['compute', 'create', '--name', 'spark-bad', '--type', 'spark', '--master-host', '10.99.99.99']);
    assert.notEqual(badHost.code, 0);
    assert.match(badHost.stderr, /master_host '10\.99\.99\.99' is not an address of this machine/);
    const created = await cli(['compute', 'create', '--name', 'spark-lan', '--type', 'spark', '--workers', '1', '--master-host', host.hostIp]);
    assert.equal(created.code, 0, created.stderr);
    const c = await waitState('spark-lan', ['Running', 'Failed']);
    assert.equal(c.state, 'Running', c.state_reason);
    assert.equal(c.master_url.replace(/:\d+$/, ''), `spark://${host.hostIp}`);
    assert.equal(c.join_worker_command, `stratus compute join-worker --master-url ${c.master_url}`);

    const cache = process.env.STRATUS_ENV_CACHE!;
    const sparkHome = fs.readdirSync(cache).map((d) => path.join(cache, d, 'lib/python3.11/site-packages/pyspark')).find((d) => fs.existsSync(path.join(d, 'bin/spark-class')))!;
    const [cmd, ...args] = host.run([process.execPath, '--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), 'compute', 'join-worker', '--master-url', c.master_url, '--cores', '1', '--memory', '512m', '--spark-home', sparkHome]);
    const worker = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    worker.stdout.on('data', (d) => { log += d; });
    worker.stderr.on('data', (d) => { log += d; });
    try {
      const deadline = Date.now() + 120_000;
      let shown = await client.computes.get('spark-lan') as Record<string, any>;
      while (shown.alive_workers !== 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        shown = await client.computes.get('spark-lan') as Record<string, any>;
      }
      assert.equal(shown.alive_workers, 2, log.slice(-3000));
      assert.ok(shown.nodes.some((n: { host: string; state: string }) => n.host === host.workerIp && n.state === 'ALIVE'), JSON.stringify(shown.nodes));
      assert.ok(log.includes(`joining ${c.master_url} as ${host.workerIp} with 1 cores`), log.slice(-2000));
      // Resizing counts only this host's workers; the one that joined stays.
      const grown = await client.computes.resize('spark-lan', 2) as Record<string, any>;
      assert.equal(grown.alive_workers, 3);
    } finally {
      worker.kill('SIGINT');
    }
    assert.notEqual(await new Promise((r) => worker.on('exit', r)), null);
  });

  test('an existing master attached as a cluster: its workers shown, nothing of it started or stopped by Stratus', async (t) => {
    if (!host.ok) return t.skip(host.why);
    const lan = await client.computes.get('spark-lan') as Record<string, any>;
    const yml = path.join(tempDir(), 'attach.yml');
    fs.writeFileSync(yml, ['name: spark-att', 'type: spark', `master_url: ${lan.master_url}`, `master_web_ui: ${lan.master_web_ui}`, ''].join('\n'));
    assert.equal((await cli(['compute', 'create', '--file', yml])).code, 0);
    const c = await waitState('spark-att', ['Running', 'Failed']);
    assert.equal(c.state, 'Running', c.state_reason);
    assert.equal(c.attached_master, lan.master_url);
    assert.equal(c.master_url, lan.master_url);
    assert.ok(c.alive_workers >= 1);
    const resize = await cli(['compute', 'resize', '--name', 'spark-att', '--workers', '3']);
    assert.match(resize.stderr, /attached master.*not Stratus's to resize/);
    const conflicting = await cli(['compute', 'create', '--name', 'spark-att2', '--type', 'spark', '--master-url', lan.master_url, '--workers', '2']);
    assert.match(conflicting.stderr, /workers does not apply with master_url/);
    const badUrl = await cli(['compute', 'create', '--name', 'spark-att3', '--type', 'spark', '--master-url', 'http://x:1']);
    assert.match(badUrl.stderr, /is not a Spark master URL: use spark:\/\/<host>:<port>/);
    assert.equal((await cli(['compute', 'delete', '--name', 'spark-att'])).code, 0);
    assert.equal((await client.computes.get('spark-lan') as Record<string, any>).state, 'Running', 'the attached master itself keeps running');
  });
});

/**
 * Compute instances with real Jupyter: one instance (a real jupyter_server in the notebook
 * environment) is shared by the file's tests. Clients are the real ones — Python `requests` for
 * the REST API and the official `@jupyterlab/services` for kernels — all through the workspace's
 * proxy with the workspace token; Python (ipykernel) and R (IRkernel) kernels run real code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { execute, kernelManager } from './jupyter-client.ts';
import { raw, runCli, startServer, tempDir, waitComputeState } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';
import { markedProcesses } from '../src/compute/marked-processes.ts';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium';

const REPO = path.resolve(import.meta.dirname, '..');
const TOKEN = 'notebook-test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PYTHON = path.join(REPO, '.venv/bin/python');

let server: Awaited<ReturnType<typeof startServer>>;
let client: StratusClient;
let dataDir: string;
let work: string;

const cli = (args: string[]) => runCli(args, { url: server.url, cwd: work, env: { STRATUS_TOKEN: TOKEN } });

const waitState = (name: string, want: string[], timeoutMs = 600_000) => waitComputeState(client, name, want, timeoutMs);

function python(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', script], { env: { ...process.env, ...env } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  dataDir = tempDir();
  work = tempDir();
  server = await startServer({ auth: { token: TOKEN }, dataDir });
  client = new StratusClient({ baseUrl: server.url, token: TOKEN });
  fs.writeFileSync(path.join(work, 'setup.sh'), 'echo "made by the creation script" > Users/setup-was-here.txt\n');
  fs.writeFileSync(path.join(work, 'instance.yml'), [
    '$schema: https://azuremlschemas.azureedge.net/latest/computeInstance.schema.json',
    'name: nb-ci',
    'type: computeinstance',
    'size: STANDARD_DS3_v2',
    'idle_time_before_shutdown_minutes: 60',
    'ssh_public_access_enabled: false',
    'setup_scripts:',
    '  creation_script:',
    '    path: setup.sh',
    '    timeout_minutes: 5',
    '',
  ].join('\n'));
});

after(async () => {
  for (const name of ['nb-ci', 'idle-ci', 'bad-ci', 'sched-ci']) await client.computes.delete(name).catch(() => undefined);
  await server?.close();
});

describe('compute instances', { timeout: 1_200_000 }, () => {
  let lab: string;

  test('compute create --file takes Azure ML\'s instance YAML, builds the notebook environment and starts Jupyter', async () => {
    const created = await cli(['compute', 'create', '--file', 'instance.yml', '--output', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /ssh_public_access_enabled.*not applied/);
    const c = await waitState('nb-ci', ['Running', 'Failed']);
    assert.equal(c.state, 'Running', c.state_reason);
    const shown = await cli(['compute', 'show', '--name', 'nb-ci', '--output', 'json']);
    const json = JSON.parse(shown.stdout);
    assert.equal(json.type, 'computeinstance');
    assert.equal(json.size, 'STANDARD_DS3_v2');
    assert.deepEqual(json.services.map((s: { display_name: string }) => s.display_name), ['Jupyter', 'Jupyter Lab']);
    lab = json.services[1].endpoint_uri;
    assert.equal(lab, `${server.url}/compute-instances/nb-ci/jupyter/lab`);
    assert.equal(fs.readFileSync(path.join(dataDir, 'files/Users/setup-was-here.txt'), 'utf8').trim(), 'made by the creation script');
    const listed = await cli(['compute', 'list']);
    assert.match(listed.stdout, /nb-ci\s+computeinstance\s+Running/);
  });

  test('Jupyter\'s REST API through the workspace, with the workspace token only (Python requests)', async () => {
    const base = `${server.url}/compute-instances/nb-ci/jupyter`;
    const script = `
import json, os, requests
base = os.environ["BASE"]
h = {"Authorization": "token " + os.environ["TOKEN"]}
out = {}
out["noauth"] = requests.get(base + "/api/kernelspecs").status_code
specs = requests.get(base + "/api/kernelspecs", headers=h).json()
out["kernelspecs"] = sorted(specs["kernelspecs"])
nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [], "source": "1+1"}],
      "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
r = requests.put(base + "/api/contents/Users/first.ipynb", headers=h, json={"type": "notebook", "format": "json", "content": nb})
out["put"] = r.status_code
got = requests.get(base + "/api/contents/Users/first.ipynb", headers=h).json()
out["cells"] = [c["source"] for c in got["content"]["cells"]]
s = requests.post(base + "/api/sessions", headers=h, json={"path": "Users/first.ipynb", "type": "notebook", "kernel": {"name": "python3"}}).json()
out["session_kernel"] = s["kernel"]["name"]
requests.delete(base + "/api/sessions/" + s["id"], headers=h)
out["lab"] = requests.get(base + "/lab", headers=h).status_code
out["bearer"] = requests.get(base + "/api/status", headers={"Authorization": "Bearer " + os.environ["TOKEN"]}).status_code
print(json.dumps(out))
`;
    const r = await python(script, { BASE: base, TOKEN });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.noauth, 401);
    assert.ok(out.kernelspecs.includes('python3'), JSON.stringify(out.kernelspecs));
    assert.ok(out.kernelspecs.includes('ir'), `the R kernel is offered: ${JSON.stringify(out.kernelspecs)}`);
    assert.equal(out.put, 201);
    assert.deepEqual(out.cells, ['1+1']);
    assert.equal(out.session_kernel, 'python3');
    assert.equal(out.lab, 200);
    assert.equal(out.bearer, 200);
    // The file lives in the workspace share, as nbformat v4.
    const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'files/Users/first.ipynb'), 'utf8'));
    assert.equal(onDisk.nbformat, 4);
  });

  test('Jupyter\'s own token never leaves the server', async () => {
    const page = await raw(server.url, 'GET', '/compute-instances/nb-ci/jupyter/lab', undefined, AUTH);
    assert.equal(page.status, 200);
    const row = server.workspace.db;
    const { token } = (await row.get<{ token: string }>('SELECT token FROM managed_computes WHERE name = ?', ['nb-ci']))!;
    assert.ok(token && token.length >= 32);
    assert.ok(!page.body.includes(token), 'the lab page does not carry the Jupyter token');
    const shown = JSON.stringify(await client.computes.get('nb-ci'));
    assert.ok(!shown.includes(token), 'compute show does not carry the Jupyter token');
    const noAuth = await raw(server.url, 'GET', '/compute-instances/nb-ci/jupyter/api/contents', undefined, {});
    assert.equal(noAuth.status, 401);
    const wrong = await raw(server.url, 'GET', `/compute-instances/nb-ci/jupyter/api/contents?token=${token}`, undefined, {});
    assert.equal(wrong.status, 401, 'the Jupyter token is no key to the workspace');
  });

  test('kernels over the proxy with @jupyterlab/services: Python with MLflow pointed at the workspace, R, interrupt and restart', async () => {
    const kernels = kernelManager(server.url, 'nb-ci', TOKEN);
    const py = await kernels.startNew({ name: 'python3' });
    try {
      const sum = await execute(py, '1+1');
      assert.equal(sum.reply, 'ok');
      assert.equal(sum.outputs.find((o) => o.type === 'execute_result')?.data['text/plain'], '2');

      const logged = await execute(py, [
        'import mlflow, os',
        'mlflow.set_experiment("from-a-notebook")',
        'with mlflow.start_run(run_name="cell") as run:',
        '    mlflow.log_metric("accuracy", 0.93)',
        'print(run.info.run_id)',
      ].join('\n'));
      assert.equal(logged.reply, 'ok', JSON.stringify(logged.outputs));
      const runId = logged.outputs.filter((o) => o.type === 'stream' && o.name === 'stdout').map((o) => o.text).join('').trim().split('\n').at(-1);
      const run = (await client.runs.get(runId!)).run;
      assert.equal(run.data.metrics?.find((m) => m.key === 'accuracy')?.value, 0.93);

      const validated = await execute(py, [
        'import nbformat, os',
        'nb = nbformat.read(os.path.join(os.environ.get("JUPYTER_SERVER_ROOT", "."), "Users/first.ipynb"), as_version=4)',
        'nbformat.validate(nb)',
        'print("valid", nb.nbformat)',
      ].join('\n'));
      assert.equal(validated.outputs.find((o) => o.type === 'stream' && o.name === 'stdout')?.text.trim(), 'valid 4', JSON.stringify(validated.outputs));

      const failed = await execute(py, '1/0');
      assert.equal(failed.reply, 'error');
      assert.equal(failed.outputs.find((o) => o.type === 'error')?.ename, 'ZeroDivisionError');

      const long = py.requestExecute({ code: 'import time\ntime.sleep(60)' });
      await new Promise((r) => setTimeout(r, 500));
      await py.interrupt();
      const interrupted = await long.done;
      assert.equal((interrupted.content as { status: string }).status, 'error');

      await py.restart();
      const fresh = await execute(py, 'print("x" in dir())');
      assert.equal(fresh.outputs.find((o) => o.type === 'stream')?.text.trim(), 'False');
    } finally {
      await py.shutdown();
    }

    const r = await kernels.startNew({ name: 'ir' });
    try {
      const sum = await execute(r, '1+1');
      assert.equal(sum.reply, 'ok', JSON.stringify(sum.outputs));
      assert.equal(sum.outputs.find((o) => o.type === 'execute_result' || o.type === 'display_data')?.data['text/plain'], '[1] 2');
      const env = await execute(r, 'cat(Sys.getenv("MLFLOW_TRACKING_URI"))');
      assert.equal(env.outputs.find((o) => o.type === 'stream')?.text, server.url);
    } finally {
      await r.shutdown();
    }
    kernels.dispose();
  });

  test('the studio\'s notebook editor: new notebook, a cell that trains with mlflow.autolog and plots, its run in the workspace', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('dialog', (d) => void d.accept(d.type() === 'prompt' ? 'studio.ipynb' : undefined));
      await page.goto(`${server.url}/#/notebooks/Users`);
      await page.getByLabel('token').fill(TOKEN);
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.getByTestId('new-notebook').click();
      await page.waitForURL(/#\/notebooks\/Users\/studio\.ipynb$/);
      await page.getByTestId('notebook').waitFor();
      await page.getByLabel('compute instance').selectOption('nb-ci');
      await page.locator('.cm-content').first().click();
      await page.keyboard.insertText([
        'import mlflow',
        'import matplotlib.pyplot as plt',
        'from sklearn.datasets import load_iris',
        'from sklearn.linear_model import LogisticRegression',
        'mlflow.set_experiment("studio-notebook")',
        'mlflow.sklearn.autolog()',
        'X, y = load_iris(return_X_y=True)',
        'with mlflow.start_run(run_name="from-the-studio"): LogisticRegression(max_iter=300).fit(X, y)',
        'plt.plot([1, 2, 3], [2, 4, 3]); plt.show()',
        'print("trained")',
      ].join('\n'));
      await page.getByTestId('run-cell').first().click();
      await page.getByTestId('output-image').waitFor({ timeout: 180_000 });
      await page.getByText('trained', { exact: true }).waitFor();
      assert.match(await page.locator('.cell-gutter').first().innerText(), /\[1\]/);
      await page.getByTestId('save').click();
      await page.getByText(/saved/).waitFor();
      const exp = await client.experiments.getByName('studio-notebook');
      const runs = await client.runs.search({ experiment_ids: [exp.experiment.experiment_id] });
      const run = runs.runs?.find((r) => r.info.run_name === 'from-the-studio');
      assert.ok(run, 'the run the cell logged is in the workspace');
      assert.ok(run.data.metrics?.some((m) => m.key === 'training_accuracy_score'), 'autolog logged its metrics');
      assert.equal(run.data.tags?.find((t) => t.key === 'stratus.notebook')?.value, 'Users/studio.ipynb', 'the run knows its notebook');
      await page.goto(`${server.url}/#/experiments/${exp.experiment.experiment_id}`);
      await page.getByTestId('notebook-link').first().click();
      await page.waitForURL(/#\/notebooks\/Users\/studio\.ipynb$/);
      await page.getByTestId('notebook').waitFor();
      const stored = JSON.parse(fs.readFileSync(path.join(dataDir, 'files/Users/studio.ipynb'), 'utf8'));
      assert.equal(stored.nbformat, 4);
      assert.equal(stored.cells[0].execution_count, 1);
      assert.ok(stored.cells[0].outputs.some((o: { data?: Record<string, unknown> }) => o.data?.['image/png']), 'the plot is saved with the notebook');
      if (process.env.STRATUS_SCREENSHOTS === '1') await page.screenshot({ path: path.join(REPO, 'docs/screenshots/notebook.png') });

      // Byte for byte: Jupyter re-saving the studio's file changes nothing, and the studio re-saving Jupyter's changes nothing.
      const studioBytes = fs.readFileSync(path.join(dataDir, 'files/Users/studio.ipynb'), 'utf8');
      const resaved = await python(`
import os, requests
h = {"Authorization": "token " + os.environ["TOKEN"]}
base = os.environ["BASE"] + "/api/contents/Users/"
nb = requests.get(base + "studio.ipynb", headers=h).json()["content"]
r = requests.put(base + "by-jupyter.ipynb", headers=h, json={"type": "notebook", "format": "json", "content": nb})
print(r.status_code)
`, { BASE: `${server.url}/compute-instances/nb-ci/jupyter`, TOKEN });
      assert.equal(resaved.stdout.trim(), '201', resaved.stderr);
      const jupyterBytes = fs.readFileSync(path.join(dataDir, 'files/Users/by-jupyter.ipynb'), 'utf8');
      assert.equal(studioBytes, jupyterBytes, 'the studio writes a notebook exactly as Jupyter does');
      await page.goto(`${server.url}/#/notebooks/Users/by-jupyter.ipynb`);
      await page.getByTestId('notebook').waitFor();
      await page.getByTestId('output-image').waitFor();
      await page.getByTestId('save').click();
      await page.getByText(/saved \d/).waitFor();
      assert.equal(fs.readFileSync(path.join(dataDir, 'files/Users/by-jupyter.ipynb'), 'utf8'), jupyterBytes, 'and a Jupyter file saved by the studio is unchanged');
    } finally {
      await browser.close();
    }
  });

  test('the file share: stratus file upload/list/download/delete; notebooks checked against nbformat v4; nothing outside the share', async () => {
    const nb = { cells: [{ cell_type: 'markdown', id: 'm1', metadata: {}, source: '# Title' }, { cell_type: 'code', id: 'c1', metadata: {}, execution_count: null, outputs: [], source: 'print(41 + 1)' }], metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } }, nbformat: 4, nbformat_minor: 5 };
    fs.mkdirSync(path.join(work, 'project'), { recursive: true });
    const text = `${JSON.stringify(nb, null, 1)}\n`;
    fs.writeFileSync(path.join(work, 'project/analysis.ipynb'), text);
    fs.writeFileSync(path.join(work, 'project/data.csv'), 'a,b\n1,2\n');
    const up = await cli(['file', 'upload', '--source', 'project', '--path', 'Users/alice']);
    assert.equal(up.code, 0, up.stderr);
    const listed = JSON.parse((await cli(['file', 'list', '--path', 'Users/alice/project', '--output', 'json'])).stdout);
    assert.deepEqual(listed.map((f: { path: string }) => f.path), ['analysis.ipynb', 'data.csv']);
    const down = await cli(['file', 'download', '--path', 'Users/alice/project', '--download-path', 'copy']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(fs.readFileSync(path.join(work, 'copy/project/analysis.ipynb'), 'utf8'), text, 'byte for byte');

    // Jupyter sees the same file, and nbformat's own validator accepts it.
    const base = `${server.url}/compute-instances/nb-ci/jupyter`;
    const check = await python(`
import os, requests
h = {"Authorization": "token " + os.environ["TOKEN"]}
r = requests.get(os.environ["BASE"] + "/api/contents/Users/alice/project/analysis.ipynb", headers=h).json()
print(r["content"]["cells"][1]["source"])
`, { BASE: base, TOKEN });
    assert.equal(check.stdout.trim(), 'print(41 + 1)', check.stderr);

    fs.writeFileSync(path.join(work, 'broken.ipynb'), '{"cells": [], "nbformat": 3');
    const broken = await cli(['file', 'upload', '--source', 'broken.ipynb', '--path', 'Users/alice']);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /broken\.ipynb is not a notebook: it is not valid JSON/);
    fs.writeFileSync(path.join(work, 'old.ipynb'), JSON.stringify({ cells: [], metadata: {}, nbformat: 3, nbformat_minor: 0 }));
    const old = await cli(['file', 'upload', '--source', 'old.ipynb', '--path', 'Users/alice']);
    assert.match(old.stderr, /not a valid nbformat v4 notebook: nbformat: expected 4, got 3/);
    const badCell = { ...nb, cells: [{ cell_type: 'code', id: 'x', metadata: {}, source: 'x' }] };
    const res = await raw(server.url, 'PUT', '/api/v1/files/content/Users/alice/bad.ipynb', JSON.stringify(badCell), AUTH);
    assert.equal(res.status, 400);
    assert.match(res.json.message, /cells\[0\]\.execution_count/);
    assert.ok(!fs.existsSync(path.join(dataDir, 'files/Users/alice/bad.ipynb')), 'a refused notebook is not stored');

    for (const evil of ['/api/v1/files/content/..%2F..%2Fstratus.db', '/api/v1/files/content/%2Fetc%2Fpasswd', '/api/v1/files?path=..']) {
      const r = await raw(server.url, 'GET', evil, undefined, AUTH);
      assert.equal(r.status, 400, `${evil}: ${r.status} ${r.body.slice(0, 200)}`);
    }
    assert.equal((await cli(['file', 'delete', '--path', 'Users/alice/project/data.csv'])).code, 0);
    assert.ok(!fs.existsSync(path.join(dataDir, 'files/Users/alice/project/data.csv')));
    const missing = await cli(['file', 'delete', '--path', 'Users/alice/nope.txt']);
    assert.match(missing.stderr, /No such file or folder in the share/);
  });

  test('a notebook as a job: papermill parameters, the executed notebook as the output, metrics on the job\'s run', async () => {
    fs.mkdirSync(path.join(work, 'nbjob'), { recursive: true });
    const nb = {
      cells: [
        { cell_type: 'code', id: 'p', metadata: { tags: ['parameters'] }, execution_count: null, outputs: [], source: 'alpha = 1' },
        { cell_type: 'code', id: 'w', metadata: {}, execution_count: null, outputs: [], source: 'import mlflow\nprint("result", alpha * 2)\nmlflow.log_metric("doubled", alpha * 2)' },
      ],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, nbformat: 4, nbformat_minor: 5,
    };
    fs.writeFileSync(path.join(work, 'nbjob/param run.ipynb'), JSON.stringify(nb));
    const ran = await cli(['job', 'create', '--notebook', 'nbjob/param run.ipynb', '-p', 'alpha=21', '--experiment-name', 'notebook-jobs', '--stream', '--output', 'json']);
    assert.equal(ran.code, 0, ran.stderr.slice(-3000));
    const job = JSON.parse(ran.stdout.slice(ran.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.status, 'Completed');
    assert.equal(job.environment, 'azureml:stratus-notebook@latest');
    assert.deepEqual(job.inputs.alpha, { type: 'literal', value: 21 });
    const got = await cli(['job', 'download', '--name', job.name, '--output-name', 'notebook', '--download-path', 'nbout']);
    assert.equal(got.code, 0, got.stderr);
    const executed = JSON.parse(fs.readFileSync(path.join(work, 'nbout', job.name, 'named-outputs/notebook/param run.ipynb'), 'utf8'));
    assert.ok(executed.cells.some((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes('injected-parameters')), 'papermill injected the parameters');
    const text = JSON.stringify(executed.cells.at(-1).outputs);
    assert.match(text, /result 42/);
    const run = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    assert.equal(run.data.metrics?.find((m) => m.key === 'doubled')?.value, 42);
    const bad = await cli(['job', 'create', '--notebook', 'nbjob/param run.ipynb', '-p', '2x=1']);
    assert.match(bad.stderr, /Invalid notebook parameter '2x=1'/);
  });

  test('stop ends Jupyter and every kernel; start and restart bring it back', async () => {
    const before = markedProcesses((m) => m.includes('/nb-ci/'));
    assert.ok(before.length >= 1, 'the instance\'s processes carry its marker');
    const stopped = await cli(['compute', 'stop', '--name', 'nb-ci']);
    assert.equal(stopped.code, 0, stopped.stderr);
    const s = await waitState('nb-ci', ['Stopped']);
    assert.match(s.state_reason, /Stopped by a user/);
    assert.deepEqual(markedProcesses((m) => m.includes('/nb-ci/')), [], 'no Jupyter or kernel process is left');
    const gone = await raw(server.url, 'GET', '/compute-instances/nb-ci/jupyter/api/status', undefined, AUTH);
    assert.equal(gone.status, 409);
    assert.match(gone.json.message, /Stopped.*compute start/);
    assert.equal((await cli(['compute', 'start', '--name', 'nb-ci'])).code, 0);
    assert.equal((await waitState('nb-ci', ['Running', 'Failed'])).state, 'Running');
    assert.equal((await cli(['compute', 'restart', '--name', 'nb-ci'])).code, 0);
    assert.equal((await waitState('nb-ci', ['Running', 'Failed'])).state, 'Running');
    const again = await cli(['compute', 'start', '--name', 'nb-ci']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /is Running; it can be started only when Stopped or Failed/);
  });

  test('a restarted workspace server adopts the running instance; delete leaves no process behind', async () => {
    const pidBefore = (await server.workspace.db.get<{ pid: number }>('SELECT pid FROM managed_computes WHERE name = ?', ['nb-ci']))!.pid;
    await server.close({ keepComputes: true });
    server = await startServer({ auth: { token: TOKEN }, dataDir });
    client = new StratusClient({ baseUrl: server.url, token: TOKEN });
    const c = await waitState('nb-ci', ['Running', 'Failed']);
    assert.equal(c.state, 'Running');
    const pidAfter = (await server.workspace.db.get<{ pid: number }>('SELECT pid FROM managed_computes WHERE name = ?', ['nb-ci']))!.pid;
    assert.equal(Number(pidAfter), Number(pidBefore), 'the same Jupyter server, not a new one');
    const status = await raw(server.url, 'GET', '/compute-instances/nb-ci/jupyter/api/status', undefined, AUTH);
    assert.equal(status.status, 200);
    assert.equal((await cli(['compute', 'delete', '--name', 'nb-ci'])).code, 0);
    assert.deepEqual(markedProcesses((m) => m.includes('/nb-ci/')), []);
  });

  test('idle kernels are culled, and an idle instance shuts down after the configured minutes', async () => {
    await client.computes.create({ name: 'idle-ci', type: 'computeinstance', idle_time_before_shutdown_minutes: 0.3, kernel_idle_timeout_minutes: 0.1 });
    assert.equal((await waitState('idle-ci', ['Running', 'Failed'])).state, 'Running');
    const kernels = '/compute-instances/idle-ci/jupyter/api/kernels';
    const started = await raw(server.url, 'POST', kernels, JSON.stringify({ name: 'python3' }), { ...AUTH, 'content-type': 'application/json' });
    assert.equal(started.status, 201, started.body);
    const deadline = Date.now() + 60_000;
    while ((await raw(server.url, 'GET', kernels, undefined, AUTH)).json.length) {
      assert.ok(Date.now() < deadline, 'the idle kernel was never culled');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const s = await waitState('idle-ci', ['Stopped'], 120_000);
    assert.match(s.state_reason, /Idle shutdown: no kernel activity for 0.3 minutes/);
    assert.deepEqual(markedProcesses((m) => m.includes('/idle-ci/')), []);
  });

  test('schedules.compute_start_stop: a cron trigger stops the instance at its slot', async () => {
    await client.computes.create({
      name: 'sched-ci', type: 'computeinstance',
      schedules: { compute_start_stop: [{ action: 'stop', trigger: { type: 'cron', expression: '* * * * *', time_zone: 'UTC' } }] },
    });
    assert.equal((await waitState('sched-ci', ['Running', 'Failed'])).state, 'Running');
    const s = await waitState('sched-ci', ['Stopped'], 120_000);
    assert.match(s.state_reason, /Stopped by its schedule at \d{4}-\d\d-\d\dT\d\d:\d\d:00/);
    await client.computes.delete('sched-ci');
    const bad = await raw(server.url, 'POST', '/api/v1/computes', JSON.stringify({
      name: 'bad-sched', type: 'computeinstance', schedules: { compute_start_stop: [{ action: 'stop', trigger: { type: 'cron', expression: 'every day' } }] },
    }), { ...AUTH, 'content-type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /cron/i);
    assert.equal((await raw(server.url, 'GET', '/api/v1/computes/bad-sched', undefined, AUTH)).status, 404, 'a refused instance leaves nothing behind');
  });

  test('bad input: unknown YAML keys, a failing setup script', async () => {
    fs.writeFileSync(path.join(work, 'typo.yml'), 'name: typo-ci\ntype: computeinstance\nidle_time_before_shutdown_minute: 30\n');
    const typo = await cli(['compute', 'create', '--file', 'typo.yml']);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /typo\.yml:3:1: unknown key 'idle_time_before_shutdown_minute' \(did you mean 'idle_time_before_shutdown_minutes'\?\)/);
    await client.computes.create({ name: 'bad-ci', type: 'computeinstance', setup_scripts: { creation_script: { command: 'echo broken >&2; exit 4' } } });
    const bad = await waitState('bad-ci', ['Failed', 'Running']);
    assert.equal(bad.state, 'Failed');
    assert.match(bad.state_reason, /creation script exited with code 4/);
    assert.match(bad.state_reason, /broken/);
  });
});

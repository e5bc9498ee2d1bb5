/**
 * The studio in a real browser: Debian's Chromium driven by playwright-core against a real
 * workspace holding real jobs, runs, a registered model and data. Each step is what a user does:
 * open each page, follow a job's live log, compare two runs, deploy the model a job produced,
 * send a request from the test console, change traffic — and, on a server with auth, nothing is
 * shown before a token. With STRATUS_SCREENSHOTS=1, screenshots of each page are written to
 * docs/screenshots/ (for the README); otherwise to a temporary folder, so `npm test` leaves the
 * working tree clean.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const CHROMIUM = process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.STRATUS_SCREENSHOTS === '1'
  ? path.resolve(import.meta.dirname, '../docs/screenshots')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'stratus-screenshots-'));
const PIPELINE = path.resolve(import.meta.dirname, 'fixtures/pipeline');
const STUDIO = path.resolve(import.meta.dirname, 'fixtures/studio');

describe('studio in Chromium', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  let browser: Browser;
  let page: Page;
  const jobs: Record<string, string> = {};
  const cli = async (args: string[], cwd = STUDIO) => {
    const res = await runCli(args, { url: server.url, cwd });
    assert.equal(res.code, 0, `stratus ${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };
  /** Submits a job YAML and waits for it to end. */
  const runJob = async (args: string[], cwd: string) => {
    const name = JSON.parse(await cli(['job', 'create', ...args, '--output', 'json'], cwd)).name as string;
    for (let i = 0; i < 600; i++) {
      const job = await client.jobs.get(name);
      if (['Completed', 'Failed', 'Canceled'].includes(job.status)) {
        assert.equal(job.status, 'Completed', JSON.stringify(job.error));
        return name;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${name} did not end`);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const open = async (hash: string) => {
    await page.goto(`${server.url}/${hash}`);
    await page.waitForLoadState('networkidle').catch(() => undefined);
  };

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (Debian package 'chromium'; .ci/run installs it).`);
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
    const work = tempDir('stratus-studio-');
    fs.writeFileSync(path.join(work, 'train.yml'), `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
experiment_name: studio-demo
code: ${path.join(PIPELINE, 'src')}
command: python3 trial.py --x \${{inputs.x}} --steps 6 --delay 0.01
inputs:
  x: 1
`);
    fs.writeFileSync(path.join(work, 'export.yml'), `experiment_name: studio-demo
display_name: export-onnx
code: ${path.join(STUDIO, 'model')}
command: |
  cp model.onnx MLmodel input_example.json \${{outputs.model}}/ && echo '{"rows": 2, "ok": true}' > outputs/summary.json && printf 'a,b\\n1,2\\n3,4\\n' > outputs/table.csv
outputs:
  model:
    type: uri_folder
`);
    for (const [key, args] of [['small', []], ['large', ['--set', 'inputs.x=3']]] as const) {
      jobs[key] = await runJob(['--file', 'train.yml', ...args], work);
    }
    jobs.export = await runJob(['--file', 'export.yml'], work);
    await cli(['model', 'create', '--name', 'linear-onnx', '--type', 'custom_model', '--path', `azureml://jobs/${jobs.export}/outputs/model`]);
    await cli(['data', 'create', '--name', 'iris', '--type', 'uri_file', '--path', path.join(PIPELINE, 'data/iris.csv')]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('jobs: the list, a job\'s overview, metrics chart, params, and outputs with previews', async () => {
    await open('#/jobs');
    await page.getByTestId('jobs-table').getByText('export-onnx').waitFor();
    assert.equal(await page.getByTestId('jobs-table').locator('[data-key]').count(), 3);
    await shot('jobs');
    await open(`#/jobs/${jobs.large}`);
    await page.getByText('Completed').first().waitFor();
    await page.getByRole('tab', { name: 'Metrics' }).click();
    await page.getByTestId('chart-score').locator('canvas').waitFor();
    await shot('job-metrics');
    await page.getByRole('tab', { name: 'Params' }).click();
    await page.getByText('x', { exact: true }).waitFor();
    await open(`#/jobs/${jobs.export}`);
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('button', { name: /outputs/ }).click();
    await page.getByRole('button', { name: /table\.csv/ }).click();
    await page.getByTestId('csv-preview').getByText('3').waitFor();
    assert.equal(await page.getByTestId('csv-preview').locator('tbody tr').count(), 2);
    await page.getByRole('button', { name: /summary\.json/ }).click();
    await page.getByTestId('file-preview').waitFor();
    assert.match(await page.getByTestId('file-preview').innerText(), /"ok": true/);
    await page.getByRole('tab', { name: 'Outputs' }).click();
    await page.getByRole('button', { name: /model\.onnx/ }).waitFor();
  });

  test('a running job\'s log follows in the page, and the job can be canceled', async () => {
    const work = tempDir('stratus-studio-live-');
    fs.writeFileSync(path.join(work, 'ticks.py'), 'import time\nfor i in range(40):\n    print(f"tick {i}", flush=True)\n    time.sleep(0.25)\n');
    fs.writeFileSync(path.join(work, 'live.yml'), 'experiment_name: studio-demo\ndisplay_name: live-ticks\ncode: .\ncommand: python3 ticks.py\n');
    const name = JSON.parse(await cli(['job', 'create', '--file', 'live.yml', '--output', 'json'], work)).name;
    await open(`#/jobs/${name}`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByTestId('stdout').getByText('tick 2').waitFor();
    const early = await page.getByTestId('stdout').innerText();
    await page.getByTestId('stdout').getByText('tick 6').waitFor();
    assert.ok((await page.getByTestId('stdout').innerText()).length > early.length, 'new lines arrived without a reload');
    await shot('job-logs');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('h1').getByText('Canceled').waitFor();
    assert.equal((await client.jobs.get(name)).status, 'Canceled');
  });

  test('experiments and runs: columns, MLflow filter, and comparing two runs', async () => {
    await open('#/experiments');
    await page.getByRole('link', { name: 'studio-demo' }).click();
    await page.getByTestId('runs-table').getByRole('columnheader', { name: 'score' }).waitFor();
    await page.getByLabel('run filter').fill('metrics.score > 10');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs-table"] [data-key]').length === 1);
    await page.getByLabel('run filter').fill('params.x != \'\'');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs-table"] [data-key]').length === 2);
    await shot('runs');
    for (const box of await page.getByTestId('runs-table').getByRole('checkbox').all()) await box.check();
    await page.getByRole('button', { name: /Compare 2 runs/ }).click();
    await page.getByTestId('compare-params').waitFor();
    const differs = page.getByTestId('compare-params').locator('tr[data-differs="true"]');
    assert.equal(await differs.count(), 1);
    assert.match(await differs.innerText(), /^x\s+3\s+1$|^x\s+1\s+3$/);
    await page.getByTestId('chart-score').locator('canvas').waitFor();
    await shot('compare');
  });

  test('models: the version a job registered, its lineage, and Deploy → test console → traffic', async () => {
    await open('#/models');
    await page.getByRole('link', { name: 'Version 1' }).click();
    await page.getByTestId('lineage-job').getByText(jobs.export).waitFor();
    assert.match(await page.getByTestId('signature').innerText(), /tensor\s+\{"dtype":"float32","shape":\[-1,2\]\}/);
    await page.getByText('"inputs": [[1.0, 2.0], [0.5, 0.5]]').waitFor();
    // Aliases, tags and the description are edited in place, as the MLflow registry keeps them.
    await page.getByTestId('alias-name').fill('champion');
    await page.getByTestId('add-alias').click();
    await page.getByTestId('aliases').getByText('@champion').waitFor();
    await page.getByTestId('version-tag-key').fill('stage');
    await page.getByTestId('version-tag-value').fill('candidate');
    await page.getByTestId('add-version-tag').click();
    await page.getByTestId('version-tags').getByText('stage=candidate').waitFor();
    await page.getByTestId('edit-version-description').click();
    await page.getByLabel('version description').fill('linear, exported to ONNX');
    await page.getByTestId('save-version-description').click();
    await page.getByTestId('version-description').getByText('linear, exported to ONNX').waitFor();
    const edited = (await client.registry.getVersion('linear-onnx', '1')).model_version;
    assert.deepEqual(edited.aliases, ['champion']);
    assert.equal(edited.description, 'linear, exported to ONNX');
    assert.ok(edited.tags.some((t: { key: string; value: string }) => t.key === 'stage' && t.value === 'candidate'));
    await page.getByRole('button', { name: 'remove alias champion' }).click();
    await page.getByTestId('aliases').getByText('@champion').waitFor({ state: 'detached' });
    await shot('model-version');
    await page.getByTestId('deploy').click();
    await page.waitForURL(/#\/endpoints\/linear-onnx/);
    await page.getByTestId('deployments').getByText('Succeeded').waitFor({ timeout: 60_000 });
    // Keys stay hidden until asked for.
    assert.equal(await page.getByTestId('primary-key').count(), 0);
    await page.getByTestId('show-keys').click();
    assert.ok((await page.getByTestId('primary-key').innerText()).length > 20);
    await page.getByLabel('request body').fill('{"input_data": {"data": [[1.0, 2.0], [0.0, 0.0]]}}');
    await page.getByTestId('send').click();
    await page.getByTestId('answer').waitFor();
    assert.match(await page.getByTestId('answer').innerText(), /HTTP 200 in [\d.]+ ms/);
    assert.deepEqual(JSON.parse(await page.getByTestId('answer-body').innerText()), [8.5, 0.5]);
    await shot('endpoint');

    // A second deployment of the same model, then a 70/30 split from the sliders.
    await client.deployments.create('linear-onnx', {
      name: 'green', endpoint_name: 'linear-onnx', model: 'azureml:linear-onnx:1', environment: { kind: 'host' }, environment_variables: {},
      instance_count: 1, request_settings: { request_timeout_ms: 5000, max_concurrent_requests_per_instance: 4 }, notes: [],
    }, false);
    await page.getByLabel('traffic green percent').waitFor();
    await page.getByLabel('traffic blue percent').fill('70');
    assert.match(await page.getByTestId('traffic-total').innerText(), /Total 70%.*must add up to 100%/);
    assert.equal(await page.getByRole('button', { name: 'Save traffic' }).isDisabled(), true);
    await page.getByLabel('traffic green percent').fill('30');
    await page.getByRole('button', { name: 'Save traffic' }).click();
    await page.getByTestId('traffic-saved').waitFor();
    assert.deepEqual((await client.endpoints.show('linear-onnx')).traffic, { blue: 70, green: 30 });
    await page.getByTestId('live-charts').locator('canvas').first().waitFor();
    await page.getByTestId('deployment-logs').getByText(/onnxruntime-node/).waitFor();
  });

  test('data, environments and computes pages, and empty states that say what to do', async () => {
    await open('#/data');
    await page.getByTestId('data-preview').getByText('versicolor').first().waitFor();
    assert.match(await page.getByTestId('data-stats').innerText(), /sepal_length\s+DOUBLE\s+4\.9\s+7\.0/);
    await shot('data');
    // The curated environments are listed before any is registered, with where they differ from Azure's.
    await open('#/environments/AzureML-sklearn-1.5/1');
    await page.getByTestId('curated').waitFor();
    await page.getByTestId('curated-differences').getByText(/numpy~=1\.23\.5 where Azure pins numpy~=1\.22\.0/).waitFor();
    await page.getByTestId('conda').getByText('pandas~=1.5.3').waitFor();
    await cli(['environment', 'create', '--file', path.join(STUDIO, 'env.yml')]);
    await open('#/environments');
    await page.getByTestId('conda').getByText('scikit-learn').waitFor();
    await page.getByTestId('status').getByText('not built').waitFor();
    await shot('environments');
    await open('#/computes');
    await page.getByRole('heading', { name: 'cpu-cluster' }).or(page.getByRole('heading', { name: 'batch-cluster' })).first().waitFor();
    await shot('computes');
  });

  test('batch endpoints: deployments, invoking over a data asset from the page, and each job\'s mini-batch progress', async () => {
    const BATCH = path.resolve(import.meta.dirname, 'fixtures/batch');
    await open('#/batch-endpoints');
    await page.getByText('No batch endpoints').waitFor();
    await cli(['batch-endpoint', 'create', '--file', 'endpoint.yml'], BATCH);
    await cli(['batch-deployment', 'create', '--file', 'deployment.yml'], BATCH);
    await cli(['data', 'create', '--name', 'parts', '--type', 'uri_folder', '--path', 'data'], BATCH);
    await open('#/batch-endpoints');
    await page.getByTestId('batch-endpoints-table').getByRole('link', { name: 'sums' }).click();
    await page.getByTestId('batch-deployments').getByText('append_row → predictions.csv').waitFor();
    await page.getByLabel('input data').fill('azureml:parts:1');
    await page.getByTestId('invoke').click();
    // The job's row fills its progress bar as the driver reports mini-batches: 3 of 3 when done.
    await page.getByTestId('batch-jobs').getByText('Completed').waitFor({ timeout: 120_000 });
    await page.getByTestId('batch-progress').getByText('3/3').waitFor();
    await shot('batch-endpoint');
  });

  test('a run\'s page at the address the MLflow client prints: params, metrics, charts, tags, description, artifacts previewed and downloaded, child runs', async () => {
    // The real MLflow client logs a run with a child, metrics over steps, a dict, a table, HTML and text.
    const script = `
import mlflow
mlflow.set_tracking_uri("${server.url}")
mlflow.set_experiment("run-page")
with mlflow.start_run(run_name="parent-run") as run:
    mlflow.log_params({"lr": 0.01, "layers": 3})
    for step in range(8):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metric("accuracy", 0.912345678901)
    mlflow.log_dict({"classes": ["a", "b"]}, "meta/classes.json")
    mlflow.log_text("<h1>Report</h1><p>all good</p>", "report.html")
    mlflow.log_text("plain words", "notes.txt")
    mlflow.log_table({"x": [1, 2], "y": ["p", "q"]}, "tables/t.json")
    with mlflow.start_run(run_name="child-run", nested=True):
        mlflow.log_metric("child_metric", 2.0)
`;
    // Asynchronously: the workspace answers from this same process.
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout: printed } = await promisify(execFile)(path.resolve(import.meta.dirname, '../.venv/bin/python'), ['-c', script], { encoding: 'utf8' });
    const link = /View run parent-run at: (\S+)/.exec(printed)?.[1];
    assert.ok(link && link.startsWith(`${server.url}/#/experiments/`), printed);
    await page.goto(link);
    await page.getByTestId('run-name').getByText('parent-run').waitFor();
    assert.match(await page.getByTestId('params-table').innerText(), /layers\s+3[^]*lr\s+0\.01/);
    assert.match(await page.getByTestId('metrics-table').innerText(), /accuracy\s+0\.912346\s+0[^]*loss\s+0\.125\s+7/, 'latest values, rounded not cut');
    // Description and tags are edited in place (as MLflow tags).
    await page.getByTestId('edit-description').click();
    await page.getByTestId('description-text').fill('the baseline');
    await page.getByTestId('save-description').click();
    await page.getByTestId('description').getByText('the baseline').waitFor();
    await page.getByTestId('tag-key').fill('team');
    await page.getByTestId('tag-value').fill('vision');
    await page.getByTestId('add-tag').click();
    await page.getByTestId('tags').getByText('vision').waitFor();
    const runId = link.split('/').pop()!;
    const tags = Object.fromEntries(((await client.runs.get(runId)).run.data.tags ?? []).map((t) => [t.key, t.value]));
    assert.equal(tags['mlflow.note.content'], 'the baseline');
    assert.equal(tags.team, 'vision');
    // The charts, with the MLflow UI's options; the tab is in the address.
    await page.getByRole('tab', { name: 'Model metrics' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f]+\/metrics$/);
    await page.getByTestId('chart-loss').locator('canvas').waitFor();
    await page.getByTestId('x-axis').selectOption('relative');
    await page.getByTestId('log-scale').check();
    await page.getByTestId('smoothing').fill('0.5');
    await page.getByTestId('chart-loss').locator('canvas').waitFor();
    // Artifacts: JSON, HTML (in a frame that runs nothing), downloads.
    await page.reload();
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('button', { name: /meta\// }).click();
    await page.getByRole('button', { name: /classes\.json/ }).click();
    await page.getByTestId('file-preview').getByText('"classes"').waitFor();
    await page.getByRole('button', { name: '/', exact: true }).click();
    await page.getByRole('button', { name: /report\.html/ }).click();
    assert.equal(await page.getByTestId('html-preview').getAttribute('sandbox'), '');
    assert.match(await page.frameLocator('[data-testid="html-preview"]').locator('h1').innerText(), /Report/);
    await page.getByRole('button', { name: /notes\.txt/ }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    assert.equal(fs.readFileSync(await download.path(), 'utf8'), 'plain words');
    // The child run, under its parent here and folded under it in the runs table.
    await page.getByRole('tab', { name: /Child runs \(1\)/ }).click();
    await page.getByTestId('child-runs').getByRole('link', { name: 'child-run' }).click();
    await page.getByTestId('parent-run').waitFor();
    await open(`#/experiments/${link.split('/experiments/')[1].split('/')[0]}`);
    assert.equal(await page.getByTestId('run-link').count(), 1, 'the child is folded under its parent');
    await page.getByRole('button', { name: /unfold child runs of parent-run/ }).click();
    assert.equal(await page.getByTestId('run-link').count(), 2);
    await shot('run');
  });

  test('the runs table stays usable with 10,000 runs: rendered rows stay few, pages load as it scrolls, sorting is the server\'s', async () => {
    const ws = server.workspace;
    const experimentId = await ws.experiments.create('ten-thousand');
    for (let start = 0; start < 10_000; start += 250) {
      await Promise.all(Array.from({ length: 250 }, async (_, k) => {
        const i = start + k;
        const run = await ws.runs.create({ experimentId, runName: `run-${i}`, startTime: 1_700_000_000_000 + i });
        await ws.runs.logBatch(run.info.run_id, [{ key: 'm', value: i, timestamp: Date.now(), step: 0 }], [{ key: 'group', value: String(i % 7) }], []);
      }));
    }
    await open(`#/experiments/${experimentId}`);
    await page.getByText('200+ runs').waitFor();
    const rendered = await page.getByTestId('runs-table').locator('[data-key]').count();
    assert.ok(rendered > 5 && rendered < 80, `only the visible rows are in the page (${rendered})`);
    await page.getByTestId('runs-table').locator('.tbody').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.getByText('400+ runs').waitFor();
    await page.getByTestId('runs-table').getByRole('columnheader', { name: 'm' }).click();
    await page.getByTestId('runs-table').getByRole('columnheader', { name: 'm ▲' }).click();
    await page.getByTestId('runs-table').locator('[data-key]').first().getByText('run-9999').waitFor();
    await page.getByLabel('run filter').fill('metrics.m < 3');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/^3 runs/).waitFor();
  });

  test('with auth on, the studio asks for a token and shows nothing before it', async () => {
    const secured = await startServer({ auth: { token: 's3cret' } });
    try {
      const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await p.goto(`${secured.url}/#/jobs`);
      await p.getByRole('heading', { name: 'Sign in to this workspace' }).waitFor();
      assert.equal(await p.getByText('Jobs', { exact: true }).count(), 0, 'no navigation or data before a token');
      await p.screenshot({ path: path.join(SHOTS, 'sign-in.png') });
      await p.getByLabel('token').fill('wrong');
      await p.getByRole('button', { name: 'Use token' }).click();
      await p.getByText('That token was not accepted.').waitFor();
      await p.getByLabel('token').fill('s3cret');
      await p.getByRole('button', { name: 'Use token' }).click();
      await p.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
      await p.getByText('No jobs yet').waitFor();
      await p.close();
    } finally {
      await secured.close();
    }
  });

  test('signing in with a user name and password: a session cookie, writes with its CSRF token, Access for Owners, sign-out', async () => {
    process.env.STRATUS_ADMIN_PASSWORD = 'studio-admin-password';
    const secured = await startServer({ auth: { accounts: true } });
    delete process.env.STRATUS_ADMIN_PASSWORD;
    try {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await ctx.newPage();
      await p.goto(`${secured.url}/#/jobs`);
      await p.getByLabel('user name').fill('admin');
      await p.getByLabel('password', { exact: true }).fill('not-it');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText('Wrong user name or password.').waitFor();
      await p.getByLabel('password', { exact: true }).fill('studio-admin-password');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByTestId('whoami').getByText('admin').waitFor();
      const cookie = (await ctx.cookies()).find((c) => c.name === 'stratus_session')!;
      assert.ok(cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
      // An Owner adds a user from the Access page: a write that needs the session's CSRF token.
      await p.getByRole('link', { name: 'Access' }).click();
      await p.getByLabel('new user name').fill('dana');
      await p.getByLabel('new user password').fill('dana-password-1');
      await p.getByLabel('new user role').selectOption('Reader');
      await p.getByTestId('create-user').click();
      await p.getByTestId('users').getByText('dana').waitFor();
      await p.getByTestId('audit-log').getByText('POST /api/v1/users').first().waitFor();
      await p.screenshot({ path: path.join(SHOTS, 'access.png') });
      // The same cookie without the CSRF token (as another site's form would send it) is refused.
      const forged = await p.evaluate(async () => (await fetch('/api/v1/users', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'eve', password: 'eve-password-1' }) })).status);
      assert.equal(forged, 403);
      await p.getByTestId('sign-out').click();
      await p.getByRole('heading', { name: 'Sign in to this workspace' }).waitFor();
      assert.equal(await p.evaluate(async () => (await fetch('/api/v1/jobs')).status), 401, 'the session ended');
      // A Reader signs in and sees no Access page.
      await p.getByLabel('user name').fill('dana');
      await p.getByLabel('password', { exact: true }).fill('dana-password-1');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByTestId('whoami').getByText('dana').waitFor();
      assert.equal(await p.getByRole('link', { name: 'Access' }).count(), 0);
      await ctx.close();
    } finally {
      await secured.close();
    }
  });
});

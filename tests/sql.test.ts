/**
 * SQL over the workspace with real DuckDB: data assets as tables, ml.models, SQL Server's
 * PREDICT over models trained with scikit-learn and registered through the real MLflow client
 * (an ONNX conversion scored in-process, the scikit-learn model by its Python worker), and the
 * lockdown: no file outside the named assets, no writes, no attached databases.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freshPgDatabase, raw, runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';
import { chromium } from 'playwright-core';

const REPO = path.resolve(import.meta.dirname, '..');
let server: Awaited<ReturnType<typeof startServer>>;
let client: StratusClient;
let work: string;
const cli = (args: string[]) => runCli(args, { url: server.url, cwd: work });

function python(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(REPO, '.venv/bin/python'), ['-c', script], { env: { ...process.env, MLFLOW_TRACKING_URI: server.url } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  process.env.STRATUS_SQL_TIMEOUT_SECONDS = '20';
  process.env.STRATUS_SQL_EXTERNAL_SCRIPTS = '1';
  process.env.STRATUS_SQL_SCRIPT_MEMORY_MB = '1536';
  process.env.STRATUS_SQL_SCRIPT_TIMEOUT_SECONDS = '60';
  server = await startServer();
  client = new StratusClient({ baseUrl: server.url });
  work = tempDir();
  // y = 2*x1 + 3*x2 + 1, exactly, so every prediction can be checked.
  const lines = ['id,x1,x2'];
  for (let i = 0; i < 5000; i++) lines.push(`${i},${(i % 97) / 10},${(i % 13) / 4}`);
  fs.writeFileSync(path.join(work, 'points.csv'), `${lines.join('\n')}\n`);
  const created = await cli(['data', 'create', '--name', 'points', '--path', 'points.csv', '--type', 'uri_file']);
  assert.equal(created.code, 0, created.stderr);
  const trained = await python(`
import mlflow, numpy as np, pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from skl2onnx import to_onnx
X = pd.DataFrame({"x1": np.arange(50) / 5.0, "x2": (np.arange(50) % 7) / 2.0})
y = 2 * X.x1 + 3 * X.x2 + 1
model = LinearRegression().fit(X, y)
signature = infer_signature(X, model.predict(X))
# skl2onnx has no converter for TransformedTargetRegressor: this one stays with its Python worker.
unconvertible = TransformedTargetRegressor(regressor=LinearRegression(), func=np.negative, inverse_func=np.negative).fit(X, y)
mlflow.set_experiment("sql")
with mlflow.start_run():
    mlflow.sklearn.log_model(unconvertible, name="skl", signature=signature, registered_model_name="lin-skl")
    mlflow.sklearn.log_model(model, name="convertible", signature=signature, registered_model_name="lin-convert")
    onx = to_onnx(model, X.to_numpy().astype(np.float32), target_opset=17)
    mlflow.onnx.log_model(onx, name="onnx", signature=signature, registered_model_name="lin-onnx")
MlflowClient().set_registered_model_alias("lin-onnx", "champion", "1")
`);
  assert.equal(trained.code, 0, trained.stderr.slice(-3000));
});
after(async () => {
  await server?.close();
});

const round3 = (x: number) => Math.round(x * 1000) / 1000;

describe('SQL over the workspace', { timeout: 900_000 }, () => {
  test('data assets are tables and ml.models lists the registry: stratus sql with table, json and csv output', async () => {
    const counted = await cli(['sql', 'SELECT count(*) AS n, round(max(x1), 1) AS top FROM points', '--output', 'json']);
    assert.equal(counted.code, 0, counted.stderr);
    assert.deepEqual(JSON.parse(counted.stdout), [{ n: 5000, top: 9.6 }]);
    const versioned = await cli(['sql', 'SELECT count(*) AS n FROM "points:1"', '-o', 'csv']);
    assert.equal(versioned.stdout, 'n\n5000\n');
    const models = await cli(['sql', 'SELECT name, version, type FROM ml.models ORDER BY name']);
    assert.match(models.stdout, /name\s+version\s+type\n-+\s+-+\s+-+\nlin-convert\s+1\s+mlflow_model\nlin-onnx\s+1\s+mlflow_model\nlin-skl\s+1\s+mlflow_model/);
    fs.writeFileSync(path.join(work, 'q.sql'), 'SELECT id FROM points ORDER BY id');
    const capped = await cli(['sql', '--file', 'q.sql', '--max-rows', '3', '-o', 'json']);
    assert.deepEqual(JSON.parse(capped.stdout), [{ id: 0 }, { id: 1 }, { id: 2 }]);
    assert.match(capped.stderr, /only the first 3 rows are shown/);
  });

  test('a result saved as a new data asset version, then queried as a table', async () => {
    const saved = await cli(['sql', `SELECT d.id, p.score FROM PREDICT(MODEL = 'lin-onnx', DATA = points AS d) WITH (score FLOAT) AS p WHERE d.id % 2 = 0`,
      '--save-as', 'scores', '--max-rows', '2', '-o', 'json']);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stderr, /saved as data asset azureml:scores:1/);
    assert.equal(JSON.parse(saved.stdout).length, 2);
    const asset = await client.data.show('scores');
    assert.equal(asset.type, 'uri_file');
    assert.deepEqual((await client.sql.query('SELECT count(*), min(id) FROM scores')).rows, [[2500, 0]]);
    const again = await cli(['sql', 'SELECT 1 AS one', '--save-as', 'scores']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /azureml:scores:2/);
    const bad = await raw(server.url, 'POST', '/api/v1/sql', JSON.stringify({ query: 'SELECT 1', save_as: { name: '../x' } }), { 'content-type': 'application/json' });
    assert.equal(bad.status, 400);
  });

  test('PREDICT as SQL Server writes it: the ONNX conversion in-process, the scikit-learn model in its Python worker', async () => {
    const check = (rows: unknown[][]) => {
      assert.equal(rows.length, 5000);
      for (const [, x1, x2, score] of rows as number[][]) assert.ok(Math.abs(score - (2 * x1 + 3 * x2 + 1)) < 1e-3, `${x1}, ${x2} → ${score}`);
    };
    const onnx = await client.sql.query(`SELECT d.id, d.x1, d.x2, p.score FROM PREDICT(MODEL = 'lin-onnx@champion', DATA = points AS d, RUNTIME = ONNX) WITH (score FLOAT) AS p ORDER BY d.id`, 10_000);
    check(onnx.rows);
    assert.match(onnx.messages[0], /PREDICT lin-onnx@champion \(version 1, ONNX in-process\): 5000 rows scored/);
    const python = await client.sql.query(`SELECT d.id, d.x1, d.x2, p.score
      FROM PREDICT(MODEL = 'lin-skl:1', DATA = (SELECT * FROM points WHERE id >= 0) AS d) WITH (score FLOAT) AS p ORDER BY d.id`, 10_000);
    check(python.rows);
    assert.match(python.messages[0], /lin-skl:1 \(version 1, Python worker\)/);
    const joined = await client.sql.query(`SELECT count(*) AS n, round(avg(p.score - (2 * d.x1 + 3 * d.x2 + 1)), 3) AS err
      FROM PREDICT(MODEL = 'lin-onnx', DATA = points AS d) WITH (score FLOAT) AS p WHERE d.id < 100`);
    assert.deepEqual(joined.rows, [[100, 0]]);
  });

  test('a scikit-learn model converted to ONNX at registration is scored in-process; one skl2onnx cannot convert says why and stays in Python', async () => {
    const conversion = async (name: string) => {
      for (let i = 0; i < 600; i++) {
        const shown = await client.models.show(name, '1') as { tags: Record<string, string>; onnx_conversion?: { state: string; reason?: string } };
        // Where the conversion stands is the workspace's to say, never a tag added to the users' registry.
        assert.deepEqual(Object.keys(shown.tags).filter((t) => t.startsWith('stratus.')), []);
        if (shown.onnx_conversion && shown.onnx_conversion.state !== 'running') return `${shown.onnx_conversion.state}: ${shown.onnx_conversion.reason ?? ''}`;
        await new Promise((r) => setTimeout(r, 1000));
      }
      throw new Error(`the conversion of ${name} did not finish`);
    };
    assert.match(await conversion('lin-convert'), /^converted: checked on \d+ sample rows/);
    assert.match(await conversion('lin-skl'), /^not converted: skl2onnx cannot convert it: MissingShapeCalculator/);
    const res = await client.sql.query(`SELECT d.x1, d.x2, p.score FROM PREDICT(MODEL = 'lin-convert', DATA = points AS d) WITH (score FLOAT) AS p`, 10_000);
    assert.match(res.messages[0], /PREDICT lin-convert \(version 1, ONNX in-process\): 5000 rows scored/);
    for (const [x1, x2, score] of res.rows as number[][]) assert.ok(Math.abs(score - (2 * x1 + 3 * x2 + 1)) < 1e-3, `${x1}, ${x2} → ${score}`);
    const fn = await client.sql.query(`SELECT round(ml.predict('lin-convert', 1.5, 2), 3)`);
    assert.deepEqual(fn.rows, [[10]]);
    assert.match(fn.messages.join('\n'), /ml\.predict lin-convert \(version 1, ONNX in-process\)/);
  });

  test('ml.predict as a function anywhere in a query: SELECT list, WHERE, ORDER BY, nested; both runtimes; its bad input', async () => {
    const exact = (x1: number, x2: number) => 2 * x1 + 3 * x2 + 1;
    const res = await client.sql.query(`SELECT id, x1, x2, ml.predict('lin-onnx@champion', x1, x2) AS onnx, ml.predict('lin-skl', x1, x2) AS skl
      FROM points WHERE ml.predict('lin-skl', x1, x2) > 25 ORDER BY ml.predict('lin-onnx@champion', x1, x2) DESC, id LIMIT 50`, 1000);
    assert.equal(res.rows.length, 50);
    for (const [, x1, x2, onnx, skl] of res.rows as number[][]) {
      assert.ok(Math.abs(onnx - exact(x1, x2)) < 1e-3 && Math.abs(skl - exact(x1, x2)) < 1e-6, `${x1}, ${x2} → ${onnx}, ${skl}`);
      assert.ok(skl > 25);
    }
    assert.equal((res.rows[0] as number[])[1], 9.6);
    assert.ok(res.messages.some((m) => /^ml\.predict lin-onnx@champion \(version 1, ONNX in-process\): \d+ distinct feature rows scored/.test(m)), JSON.stringify(res.messages));
    assert.ok(res.messages.some((m) => /^ml\.predict lin-skl \(version 1, Python worker\)/.test(m)), JSON.stringify(res.messages));
    // The whole table agrees with PREDICT's scores.
    const agree = await client.sql.query(`SELECT count(*) FROM PREDICT(MODEL = 'lin-onnx:1', DATA = points AS d) WITH (s FLOAT) AS p
      WHERE abs(p.s - ml.predict('lin-onnx:1', d.x1, d.x2)) > 1e-9`);
    assert.deepEqual(agree.rows, [[0]]);
    // A score as another's feature: one more round.
    const nested = await client.sql.query(`SELECT round(ml.predict('lin-onnx', ml.predict('lin-onnx', x1, x2) / 10, 0), 3) AS twice FROM points WHERE id = 5`);
    assert.deepEqual(nested.rows, [[round3(2 * (exact(0.5, 1.25) / 10) + 1)]]);
    const fail = async (query: string, status = 400) => {
      const r = await raw(server.url, 'POST', '/api/v1/sql', JSON.stringify({ query }), { 'content-type': 'application/json' });
      assert.equal(r.status, status, r.body.slice(0, 300));
      return String(r.json.message);
    };
    assert.match(await fail(`SELECT ml.predict(name, 1, 2) FROM ml.models`), /first argument is the model, as a quoted reference/);
    assert.match(await fail(`SELECT ml.predict('lin-skl', x1) FROM points`), /model 'lin-skl' \(version 1\) takes 2 features \(x1, x2\), in that order; it was given 1/);
    assert.match(await fail(`SELECT ml.predict('lin-onnx') FROM points`), /needs the row's features after the model/);
    assert.match(await fail(`SELECT ml.predict('nope@champion', x1, x2) FROM points`, 404), /ml\.predict: model 'nope@champion' was not found/);
  });

  test('bad input: unknown models, a signature mismatch, WITH lists more than the model returns, malformed PREDICT', async () => {
    const fail = async (query: string) => {
      const res = await raw(server.url, 'POST', '/api/v1/sql', JSON.stringify({ query }), { 'content-type': 'application/json' });
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.body.slice(0, 300)}`);
      return String(res.json.message);
    };
    assert.match(await fail(`SELECT * FROM PREDICT(MODEL = 'nope:1', DATA = points AS d) WITH (s FLOAT) AS p`), /model 'nope:1' was not found/);
    assert.match(await fail(`SELECT * FROM PREDICT(MODEL = 'lin-onnx:1', DATA = (SELECT id, x1 FROM points) AS d) WITH (s FLOAT) AS p`),
      /takes columns x1, x2; DATA has no column x2 \(it has id, x1\)/);
    assert.match(await fail(`SELECT * FROM PREDICT(MODEL = 'lin-onnx:1', DATA = points AS d) WITH (s FLOAT, t FLOAT) AS p`), /returns 1 value per row, but WITH \(\.\.\.\) lists 2 columns/);
    assert.match(await fail(`SELECT * FROM PREDICT(MODEL = 'lin-onnx:1', DATA = points) WITH (s FLOAT) AS p`), /DATA needs an alias/);
    assert.match(await fail(`SELECT * FROM PREDICT(MODEL = 'lin-onnx:1', DATA = points AS d) AS p`), /needs WITH \( <column> <type>/);
    assert.match(await fail(`SELECT * FROM PREDICT(MODEL = 'lin-onnx:1', DATA = points AS d) WITH (s GEOGRAPHY) AS p`), /Unknown type 'GEOGRAPHY'/);
    assert.match(await fail(`SELECT * FROM nowhere`), /Table with name nowhere does not exist/);
  });

  test('locked down: no file outside the named assets, no writes, no attached databases, one statement; the assets are unchanged', async () => {
    const stored = path.join(server.dataDir, 'artifacts', (await client.data.show('points')).path.replace(/^azureml:\/\/datastores\/workspaceartifactstore\/paths\//, ''));
    const before = fs.readFileSync(stored, 'utf8');
    const refused = async (query: string, why: RegExp) => {
      const res = await raw(server.url, 'POST', '/api/v1/sql', JSON.stringify({ query }), { 'content-type': 'application/json' });
      assert.equal(res.status, 400, `${query}: ${res.status} ${res.body.slice(0, 300)}`);
      assert.match(res.json.message, why, query);
    };
    await refused(`SELECT * FROM read_csv_auto('/etc/passwd')`, /file system operations are disabled/);
    await refused(`SELECT * FROM read_csv_auto('${path.join(server.dataDir, 'stratus.db')}')`, /file system operations are disabled/);
    await refused(`ATTACH '${path.join(work, 'other.db')}' AS other`, /disabled|Only queries/);
    await refused(`COPY (SELECT 1) TO '${stored}'`, /disabled|Only queries/);
    await refused(`CREATE TABLE t AS SELECT 1`, /Only queries/);
    await refused(`SET enable_external_access = true`, /locked|Only queries/);
    await refused(`INSTALL httpfs`, /disabled|Only queries/);
    await refused(`SELECT 1; SELECT 2`, /one statement at a time/);
    assert.equal(fs.readFileSync(stored, 'utf8'), before, 'the data asset\'s file is unchanged');
    assert.equal((await client.sql.query('SELECT count(*) FROM points')).rows[0][0], 5000, 'the engine still answers');
  });

  test('the studio\'s SQL page: completion of table names, the result grid, a chart, the history', async () => {
    const schema = await client.sql.schema();
    assert.deepEqual(schema.tables.find((t) => t.name === 'points')?.columns.map((c) => c.name), ['id', 'x1', 'x2']);
    assert.ok(schema.tables.some((t) => t.name === 'ml.models'));
    const browser = await chromium.launch({ executablePath: process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/#/sql`);
      await page.locator('[data-testid="sql-editor"]:not([data-tables="0"])').waitFor();
      const editor = page.getByTestId('sql-editor').locator('.cm-content');
      await editor.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.type('SELECT x1, avg(x2) AS m FROM poi');
      await page.locator('.cm-tooltip-autocomplete').getByText('points').waitFor();
      await page.keyboard.press('Enter');
      await page.keyboard.type(' GROUP BY x1 ORDER BY x1');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Enter');
      await page.getByTestId('sql-summary').getByText(/97 rows/).waitFor({ timeout: 15_000 }).catch(async (err) => {
        throw new Error(`${err.message}\neditor: ${await editor.textContent()}\npage: ${(await page.locator('main').textContent())?.slice(0, 600)}`);
      });
      assert.equal(await page.getByTestId('sql-result').locator('tbody tr').count(), 97);
      assert.equal(await page.getByTestId('sql-result').locator('th').first().textContent(), 'x1');
      await page.getByRole('button', { name: 'Chart' }).click();
      await page.getByTestId('sql-chart').locator('canvas').waitFor();
      await page.getByTestId('sql-history').locator('summary').click();
      await page.getByTestId('sql-history').getByText('SELECT x1, avg(x2) AS m FROM points GROUP BY x1 ORDER BY x1').waitFor();
    } finally {
      await browser.close();
    }
  });

  test('the whole result streamed past max_rows: stratus sql --all as CSV and JSON lines, ml.predict in it, errors before and after the first row', async () => {
    const big = await cli(['sql', 'SELECT range AS n, range % 7 AS k FROM range(250000)', '--all', '-o', 'csv']);
    assert.equal(big.code, 0, big.stderr);
    const lines = big.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 250_001, 'every row, past the 100000 rows a JSON reply may hold');
    assert.deepEqual([lines[0], lines[1], lines[250_000]], ['n,k', '0,0', '249999,1']);
    const scored = await client.sql.export(`SELECT id, x1, x2, ml.predict('lin-onnx@champion', x1, x2) AS score FROM points ORDER BY id`, 'ndjson');
    assert.equal(scored.headers.get('content-type'), 'application/x-ndjson');
    const rows = (await scored.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number; x1: number; x2: number; score: number });
    assert.equal(rows.length, 5000);
    for (const r of rows) assert.ok(Math.abs(r.score - (2 * r.x1 + 3 * r.x2 + 1)) < 1e-3, JSON.stringify(r));
    const json = await cli(['sql', 'SELECT id FROM points WHERE id < 3 ORDER BY id', '--all', '-o', 'json']);
    assert.equal(json.stdout, '{"id":0}\n{"id":1}\n{"id":2}\n');
    await assert.rejects(client.sql.export('SELECT * FROM nowhere'), /Table with name nowhere does not exist/);
    const table = await cli(['sql', 'SELECT 1', '--all']);
    assert.notEqual(table.code, 0);
    assert.match(table.stderr, /--all streams the whole result as CSV or JSON lines: add -o csv or -o json/);
    // An error past the first rows fails the query, never a short result that looks whole (DuckDB's stream would end quietly there).
    const late = "SELECT CASE WHEN range < 200000 THEN range ELSE error('boom at the end') END AS n FROM range(300000)";
    const broken = await cli(['sql', late, '--all', '-o', 'csv']);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /boom at the end/);
    const res = await raw(server.url, 'POST', '/api/v1/sql', JSON.stringify({ query: late.replace('200000', '50000'), max_rows: 100_000 }), { 'content-type': 'application/json' });
    assert.equal(res.status, 400);
    assert.match(res.json.message, /boom at the end/);
  });

  test('a query past its time limit is stopped, and one whose client leaves is interrupted', async () => {
    const slow = 'SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3';
    const timed = await raw(server.url, 'POST', '/api/v1/sql', JSON.stringify({ query: slow }), { 'content-type': 'application/json' });
    assert.equal(timed.status, 400);
    assert.match(timed.json.message, /ran longer than 20 s and was stopped/);
    const controller = new AbortController();
    const started = fetch(`${server.url}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: slow }), signal: controller.signal }).catch(() => undefined);
    setTimeout(() => controller.abort(), 500);
    await started;
    assert.equal((await client.sql.query('SELECT 42')).rows[0][0], 42, 'the server answers the next query');
  });
});

describe('sp_execute_external_script: Python next to the data, governed as SQL Server governs it', { timeout: 900_000 }, () => {
  const exec = (query: string, srv = server) => raw(srv.url, 'POST', '/api/v1/sql', JSON.stringify({ query, max_rows: 100_000 }), { 'content-type': 'application/json' });

  test('SQL Server\'s call unchanged: input query as InputDataSet, @params, print() as messages, WITH RESULT SETS typing the result', async () => {
    const res = await exec(`EXEC sp_execute_external_script
      @language = N'Python',
      @script = N'
import pandas as pd
print("rows in:", len(InputDataSet))
df = InputDataSet[InputDataSet.id < limit]
OutputDataSet = df.groupby(df.id % 3).agg(n=("id", "count"), mean_x1=("x1", "mean")).reset_index()
',
      @input_data_1 = N'SELECT id, x1 FROM points',
      @params = N'@limit int', @limit = 30
    WITH RESULT SETS ((bucket INT, n BIGINT, mean_x1 FLOAT));`);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json.columns.map((c: { name: string; type: string }) => [c.name, c.type]), [['bucket', 'INTEGER'], ['n', 'BIGINT'], ['mean_x1', 'DOUBLE']]);
    assert.deepEqual(res.json.rows.map((r: number[]) => r.slice(0, 2)), [[0, 10], [1, 10], [2, 10]]);
    assert.ok(res.json.messages.includes('rows in: 5000'), JSON.stringify(res.json.messages));
  });

  test('ml.execute_script as a table in a query: its rows joined and filtered like any table\'s; R too; a script that returns nothing', async () => {
    const res = await exec(`SELECT s.bucket, s.n, p.c FROM ml.execute_script(
        'OutputDataSet = InputDataSet.groupby(InputDataSet.id % 3).size().reset_index(name="n").rename(columns={"id": "bucket"})',
        'SELECT id FROM points WHERE id < 30') AS s
      JOIN (SELECT id % 3 AS bucket, count(*) AS c FROM points GROUP BY 1) AS p USING (bucket) ORDER BY bucket`);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json.rows, [[0, 10, 1667], [1, 10, 1667], [2, 10, 1666]]);
    const r = await exec(`SELECT * FROM ml.execute_script('OutputDataSet <- data.frame(n = nrow(InputDataSet), top = max(InputDataSet$x1))', 'SELECT x1 FROM points', 'R')`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json.rows, [[5000, 9.6]]);
    const none = await exec(`SELECT * FROM ml.execute_script('x = 1', 'SELECT 1 AS one')`);
    assert.equal(none.status, 400);
    assert.match(none.json.message, /the script set no OutputDataSet/);
    const notLiteral = await exec(`SELECT * FROM ml.execute_script(concat('x', '=1'), 'SELECT 1')`);
    assert.match(notLiteral.json.message, /ml\.execute_script takes quoted strings/);
  });

  test('R next to the data: a data.frame in and out, @params, print() as messages, an error as the SQL error', async () => {
    const res = await exec(`EXEC sp_execute_external_script @language = N'R',
      @script = N'
print(nrow(InputDataSet))
small <- InputDataSet[InputDataSet$id < lim, ]
OutputDataSet <- aggregate(x1 ~ bucket, data = transform(small, bucket = id %% 3), FUN = length)
',
      @input_data_1 = N'SELECT id, x1 FROM points', @params = N'@lim int', @lim = 30
    WITH RESULT SETS ((bucket INT, n INT))`);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json.rows, [[0, 10], [1, 10], [2, 10]]);
    assert.ok(res.json.messages.includes('[1] 5000'), JSON.stringify(res.json.messages));
    const failed = await exec(`EXEC sp_execute_external_script @language = N'R', @script = N'stop("no good")'`);
    assert.equal(failed.status, 400);
    assert.match(failed.json.message, /An external script error occurred:[\s\S]*Error in the R script: no good/);
  });

  test('bad input: a script that raises returns its traceback, a result set that does not match, over the memory or time limit, no network', async () => {
    const raised = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'raise ValueError("no good")'`);
    assert.equal(raised.status, 400);
    assert.match(raised.json.message, /An external script error occurred:[\s\S]*ValueError: no good/);
    const mismatch = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'import pandas as pd; OutputDataSet = pd.DataFrame({"a": [1], "b": [2]})' WITH RESULT SETS ((a INT))`);
    assert.match(mismatch.json.message, /WITH RESULT SETS clause specified 1 column\(s\) for result set number 1, but the statement sent 2 column\(s\)/);
    const greedy = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'x = bytearray(4 * 1024 ** 3)'`);
    assert.equal(greedy.status, 429, greedy.body);
    assert.match(greedy.json.message, /went over its memory limit \(1536 MB/);
    const offline = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'
import urllib.request
try:
    urllib.request.urlopen("${server.url}/health", timeout=3)
    print("reached")
except Exception as e:
    print("no network:", type(e).__name__)
'`);
    assert.equal(offline.status, 200, offline.body);
    assert.ok(offline.json.messages.some((m: string) => m.startsWith('no network')), JSON.stringify(offline.json.messages));
    const wrongLang = await exec(`EXEC sp_execute_external_script @language = N'Julia', @script = N'1'`);
    assert.match(wrongLang.json.message, /@language = N'Julia' is not installed here/);
    const undeclared = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'1', @k = 3`);
    assert.match(undeclared.json.message, /no argument @k \(declare script parameters in @params\)/);
    const sneaky = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'1', @input_data_1 = N'SELECT * FROM read_csv_auto(''/etc/passwd'')'`);
    assert.match(sneaky.json.message, /file system operations are disabled/);
    assert.equal((await exec('SELECT 1')).status, 200, 'the engine is healthy after');
  });

  test('off until enabled, as in SQL Server; training from SQL registers a model that a later PREDICT uses', async () => {
    const saved = { ...process.env };
    delete process.env.STRATUS_SQL_EXTERNAL_SCRIPTS;
    const off = await startServer();
    process.env.STRATUS_SQL_EXTERNAL_SCRIPTS = '1';
    process.env.STRATUS_SQL_SCRIPT_NETWORK = 'host';
    const trainer = await startServer();
    Object.assign(process.env, saved);
    delete process.env.STRATUS_SQL_SCRIPT_NETWORK;
    try {
      const disabled = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'1'`, off);
      assert.match(disabled.json.message, /'sp_execute_external_script' is disabled on this workspace[\s\S]*STRATUS_SQL_EXTERNAL_SCRIPTS=1/);
      const trained = await exec(`EXEC sp_execute_external_script @language = N'Python', @script = N'
import mlflow, pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression
X = pd.DataFrame({"a": [float(i) for i in range(20)]})
y = 4 * X.a - 2
with mlflow.start_run():
    m = LinearRegression().fit(X, y)
    mlflow.sklearn.log_model(m, name="model", signature=infer_signature(X, m.predict(X)), registered_model_name="from-sql")
print("registered")
'`, trainer);
      assert.equal(trained.status, 200, trained.body);
      assert.ok(trained.json.messages.includes('registered'));
      const scored = await exec(`SELECT p.y FROM PREDICT(MODEL = 'from-sql', DATA = (SELECT 10.0 AS a) AS d) WITH (y FLOAT) AS p`, trainer);
      assert.equal(scored.status, 200, scored.body);
      assert.ok(Math.abs(scored.json.rows[0][0] - 38) < 1e-6, JSON.stringify(scored.json.rows));
    } finally {
      await off.close();
      await trainer.close();
    }
  });
});

describe('the PostgreSQL add-on: the same functions in your own PostgreSQL, as PL/Python and PL/R', { timeout: 900_000, skip: process.env.STRATUS_TEST_PG_URL ? false : 'STRATUS_TEST_PG_URL is not set' }, () => {
  test('stratus sql install --postgres: ml.models from the registry, ml.predict scoring ONNX in the database, ml.execute_script over a query', async () => {
    const db = (await freshPgDatabase('addon'))!;
    const venv = `/tmp/stratus-pg-addon-${process.pid}`;
    const { default: pg } = await import('pg');
    const conn = new pg.Client({ connectionString: db.url });
    try {
      const installed = await runCli(['sql', 'install', '--postgres', db.url, '--venv', venv], { url: server.url, cwd: work });
      assert.equal(installed.code, 0, installed.stderr.slice(-3000));
      assert.match(installed.stdout, /Installed ml\.models, ml\.predict and ml\.execute_script/);
      await conn.connect();
      const models = await conn.query('SELECT name, version FROM ml.models ORDER BY name');
      assert.deepEqual(models.rows.filter((r) => r.name.startsWith('lin-')), [{ name: 'lin-convert', version: 1 }, { name: 'lin-onnx', version: 1 }, { name: 'lin-skl', version: 1 }]);
      assert.equal((await conn.query(`SELECT ml.predict('lin-onnx@champion', 2.0, 1.0) AS s`)).rows[0].s.toFixed(4), '8.0000');
      await conn.query('CREATE TABLE pts AS SELECT g / 10.0 AS x1, (g % 7) / 2.0 AS x2 FROM generate_series(1, 1000) g');
      const checked = await conn.query(`SELECT count(*)::int AS n FROM (SELECT ml.predict('lin-onnx:1', x1, x2) AS s, x1, x2 FROM pts) q WHERE abs(s - (2 * x1 + 3 * x2 + 1)) < 1e-3`);
      assert.equal(checked.rows[0].n, 1000);
      const scripted = await conn.query(`SELECT r->>'z' AS z FROM ml.execute_script('OutputDataSet = InputDataSet.assign(z=InputDataSet.x1 * 2).head(2)', 'SELECT x1, x2 FROM pts ORDER BY x1') r`);
      assert.deepEqual(scripted.rows.map((r) => Number(r.z)), [0.2, 0.4]);
      // R next to the data, in PL/R: a data.frame in and out, print() as notices, stop() as the error.
      assert.match(installed.stdout, /Installed R scripts: ml\.execute_script\(script, query, 'R'\) \(PL\/R\)/);
      const notices: string[] = [];
      conn.on('notice', (n) => notices.push(String(n.message)));
      const inR = await conn.query(`SELECT r->>'k' AS k, (r->>'n')::int AS n FROM ml.execute_script(
        'print(nrow(InputDataSet)); OutputDataSet <- aggregate(n ~ k, data = transform(InputDataSet, n = 1), FUN = sum)',
        'SELECT x1, (x2 > 1)::text AS k FROM pts', 'R') r ORDER BY 1`);
      assert.deepEqual(inR.rows, [{ k: 'false', n: 428 }, { k: 'true', n: 572 }]);
      assert.ok(notices.includes('[1] 1000'), JSON.stringify(notices));
      const inPython = await conn.query(`SELECT count(*)::int AS n FROM ml.execute_script('OutputDataSet = InputDataSet', 'SELECT x1 FROM pts', 'Python')`);
      assert.equal(inPython.rows[0].n, 1000);
      // PL/R puts R's own message in the error's DETAIL (psql prints it).
      await assert.rejects(conn.query(`SELECT * FROM ml.execute_script('stop("no such column")', NULL, 'R')`), (err: { detail?: string }) => /R script error: no such column/.test(err.detail ?? ''));
      await assert.rejects(conn.query(`SELECT * FROM ml.execute_script('x', NULL, 'Julia')`), /language Julia is not installed here/);
      await assert.rejects(conn.query(`SELECT ml.predict('lin-skl:1', 1.0, 2.0)`), /has no single \.onnx file/);
      await assert.rejects(conn.query(`SELECT ml.predict('nope:1', 1.0)`), /answered 404/);
      // Roles belong to the whole server: one of this run's own, dropped again.
      const reader = `stratus_reader_${process.pid}`;
      await conn.query(`DROP ROLE IF EXISTS ${reader}`);
      await conn.query(`CREATE ROLE ${reader} NOLOGIN`);
      try {
        await conn.query(`GRANT USAGE ON SCHEMA ml TO ${reader}`);
        await conn.query(`SET ROLE ${reader}`);
        await assert.rejects(conn.query('SELECT value FROM ml.config'), /permission denied/, 'the workspace token is the owner\'s alone');
        await conn.query('RESET ROLE');
      } finally {
        await conn.query('RESET ROLE');
        await conn.query(`REVOKE USAGE ON SCHEMA ml FROM ${reader}`);
        await conn.query(`DROP ROLE ${reader}`);
      }
    } finally {
      await conn.end().catch(() => undefined);
      await db.drop();
      fs.rmSync(venv, { recursive: true, force: true });
    }
  });
});

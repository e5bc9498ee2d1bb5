/**
 * npm run bench:sql — scoring a table of generated rows with a registered linear model:
 * PREDICT in Stratus's SQL with the ONNX model in-process, PREDICT with the scikit-learn model in
 * its Python worker, the ONNX model called batch by batch through an online endpoint, and the
 * peer everyone writes by hand: read the table into pandas, predict with scikit-learn, write the
 * scores back (Parquet). All in the same run, on the same rows.
 *
 *   node --import tsx bench/sql.ts [--rows 1000000] [--runs 3] [--batch 10000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStratus } from './servers.ts';
import { median, numberArg, secs, writeSection } from './results.ts';
import { PYTHON, registerLinearModels, run } from './sql-model.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/stratus.js');
const ROWS = numberArg('rows', 1_000_000);
const RUNS = numberArg('runs', 3);
const BATCH = numberArg('batch', 10_000);

async function sql(url: string, query: string): Promise<Record<string, any>> {
  const res = await fetch(`${url}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const json = await res.json() as Record<string, any>;
  if (!res.ok) throw new Error(`${query}: ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  const stratus = await startStratus(undefined);
  const url = stratus.url;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sql-'));
  const cli = (args: string[]) => run(process.execPath, [BIN, ...args], { STRATUS_URL: url }, work);
  try {
    // The table (CSV, as users upload it) and the model, trained and registered with the MLflow client.
    const lines = ['id,x1,x2'];
    for (let i = 0; i < ROWS; i++) lines.push(`${i},${(i % 997) / 10},${(i % 13) / 4}`);
    fs.writeFileSync(path.join(work, 'points.csv'), `${lines.join('\n')}\n`);
    await cli(['data', 'create', '--name', 'points', '--path', 'points.csv', '--type', 'uri_file']);
    await registerLinearModels(url, work);
    // The workspace tries to convert lin-skl to ONNX in the background: wait until it has given up, so nothing else runs while the clock does.
    for (let i = 0; i < 600; i++) {
      const shown = await fetch(`${url}/api/v1/models/lin-skl/versions/1`).then((r) => r.json()) as { onnx_conversion?: { state: string } };
      if (shown.onnx_conversion && shown.onnx_conversion.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 1000));
    }

    const query = (model: string) => `SELECT count(*) AS n, avg(p.score) AS mean FROM PREDICT(MODEL = '${model}', DATA = points AS d) WITH (score FLOAT) AS p`;
    // Untimed: loads each model once (the Python worker's environment is built here).
    for (const m of ['lin-onnx', 'lin-skl']) await sql(url, query(m));

    const onnx: number[] = [];
    const python: number[] = [];
    const pandas: number[] = [];
    const endpoint: number[] = [];
    fs.writeFileSync(path.join(work, 'points.parquet.py'), [
      'import sys, time, joblib, pandas as pd',
      't = time.time()',
      'df = pd.read_csv(sys.argv[1])',
      'df["score"] = joblib.load("model.joblib").predict(df[["x1", "x2"]])',
      'df.to_parquet("scored.parquet", index=False)',
      'print(time.time() - t)',
    ].join('\n'));

    // The same ONNX model as an online endpoint, called batch by batch (rows read from the CSV here).
    fs.writeFileSync(path.join(work, 'dep.yml'), ['name: blue', 'endpoint_name: lin', 'model: azureml:lin-onnx:1', 'instance_count: 1', ''].join('\n'));
    await cli(['online-endpoint', 'create', '--name', 'lin']);
    await cli(['online-deployment', 'create', '--file', 'dep.yml', '--all-traffic']);
    const ep = JSON.parse(await cli(['online-endpoint', 'show', '--name', 'lin', '--output', 'json'])) as { scoring_uri: string };
    const key = (JSON.parse(await cli(['online-endpoint', 'get-credentials', '--name', 'lin', '-o', 'json'])) as { primaryKey: string }).primaryKey;
    const rows = lines.slice(1).map((l) => l.split(',').slice(1).map(Number));

    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const a = await sql(url, query('lin-onnx'));
      onnx.push(performance.now() - t);
      t = performance.now();
      const b = await sql(url, query('lin-skl'));
      python.push(performance.now() - t);
      if (a.rows[0][0] !== ROWS || b.rows[0][0] !== ROWS) throw new Error('a PREDICT scored the wrong number of rows');
      pandas.push(Number(await run(PYTHON, ['points.parquet.py', 'points.csv'], {}, work)) * 1000);
      t = performance.now();
      for (let from = 0; from < rows.length; from += BATCH) {
        const res = await fetch(ep.scoring_uri, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ input_data: { columns: ['x1', 'x2'], data: rows.slice(from, from + BATCH) } }),
        });
        if (!res.ok) throw new Error(`endpoint: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
      endpoint.push(performance.now() - t);
    }

    const body = [
      `Command: \`npm run bench:sql\` (\`node --import tsx bench/sql.ts --rows ${ROWS} --runs ${RUNS} --batch ${BATCH}\`), ${new Date().toISOString().slice(0, 10)}, this machine (2 cores).`,
      `Scoring ${ROWS.toLocaleString('en')} rows (a CSV data asset) with a scikit-learn LinearRegression registered through the MLflow client, and its skl2onnx conversion; each figure is the whole round trip, median of ${RUNS}.`,
      '',
      '| how | median | runs |',
      '|---|---|---|',
      `| \`PREDICT\` in \`stratus sql\`, ONNX model in-process (8192-row batches) | ${secs(median(onnx))} s | ${onnx.map(secs).join(', ')} |`,
      `| \`PREDICT\` in \`stratus sql\`, a scikit-learn model skl2onnx cannot convert, in its Python worker | ${secs(median(python))} s | ${python.map(secs).join(', ')} |`,
      `| the ONNX model as an online endpoint, ${BATCH.toLocaleString('en')} rows per request | ${secs(median(endpoint))} s | ${endpoint.map(secs).join(', ')} |`,
      `| by hand: pandas reads the CSV, scikit-learn predicts, the scores go to Parquet | ${secs(median(pandas))} s | ${pandas.map(secs).join(', ')} |`,
    ].join('\n');
    writeSection('## SQL: PREDICT vs the endpoint vs pandas + scikit-learn', body);
    console.log(body);
  } finally {
    await stratus.stop();
  }
}

await main();

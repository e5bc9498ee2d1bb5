/**
 * npm run bench:sql-postgres — PostgresML's comparison, with the Stratus add-on: a row's score
 * asked for by 1, 5 and 20 concurrent clients, each request one row picked at random from a
 * PostgreSQL table.
 *   in the database: SELECT ml.predict('lin-onnx:1', x1, x2) FROM pts WHERE id = $1 (the add-on's
 *     PL/Python function; the model loaded once per connection);
 *   the microservice: the client reads the row's features from PostgreSQL, then POSTs them to a
 *     Flask app under gunicorn (2 workers, one per core) that scores the same ONNX model.
 * All in the same run, against the same PostgreSQL server (scripts/pg-server.sh).
 *
 *   node --import tsx bench/sql-postgres.ts [--seconds 10] [--rows 100000]
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startStratus } from './servers.ts';
import { numberArg, writeSection } from './results.ts';
import { registerLinearModels, run } from './sql-model.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/stratus.js');
const SECONDS = numberArg('seconds', 10);
const ROWS = numberArg('rows', 100_000);
const CLIENTS = [1, 5, 20];

interface Level { clients: number; requests: number; perSecond: number; p50: number; p99: number }

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (x: number) => x.toFixed(2);

/** Each client asks for one row's score after another for SECONDS; `connect` gives a client its ask. */
async function load(clients: number, connect: () => Promise<{ ask: (id: number) => Promise<number>; close: () => Promise<void> }>): Promise<Level> {
  const all = await Promise.all(Array.from({ length: clients }, connect));
  // Warm: each connection loads what it needs (the model, a keep-alive socket) before the clock.
  await Promise.all(all.map((c) => c.ask(1)));
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(all.map(async (c) => {
    while (performance.now() < until) {
      const id = 1 + Math.floor(Math.random() * ROWS);
      const t = performance.now();
      const score = await c.ask(id);
      if (!Number.isFinite(score)) throw new Error(`no score for row ${id}`);
      latencies.push(performance.now() - t);
    }
  }));
  await Promise.all(all.map((c) => c.close()));
  return { clients, requests: latencies.length, perSecond: latencies.length / SECONDS, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** A connection whose end by the server (the database dropped after a failure) is not a crash. */
function client(url: string): pg.Client {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  return c;
}

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  const admin = execFileSync('bash', [path.join(REPO, 'scripts/pg-server.sh'), 'start'], { encoding: 'utf8' }).trim();
  const stratus = await startStratus(undefined);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sql-pg-'));
  // Outside the (private) work folder: the database server's own user reads it.
  const venv = path.join(os.tmpdir(), `stratus-pg-bench-${process.pid}`);
  const database = `bench_sql_${process.pid}`;
  const adminClient = new pg.Client({ connectionString: admin });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE ${database}`);
  const dbUrl = admin.replace(/\/postgres$/, `/${database}`);
  let gunicorn: ReturnType<typeof spawn> | undefined;
  try {
    await registerLinearModels(stratus.url, work);
    await run(process.execPath, [BIN, 'sql', 'install', '--postgres', dbUrl, '--venv', venv], { STRATUS_URL: stratus.url }, work);
    const setup = client(dbUrl);
    await setup.connect();
    await setup.query(`CREATE TABLE pts AS SELECT g AS id, (g % 997) / 10.0 AS x1, (g % 13) / 4.0 AS x2 FROM generate_series(1, ${ROWS}) g`);
    await setup.query('ALTER TABLE pts ADD PRIMARY KEY (id)');
    await setup.end();

    const port = await freePort();
    gunicorn = spawn(path.join(REPO, '.venv/bin/gunicorn'), ['-w', '2', '-b', `127.0.0.1:${port}`, '--chdir', import.meta.dirname, 'sql_microservice:app'], {
      env: { ...process.env, MODEL_ONNX: path.join(work, 'model.onnx') }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    gunicorn.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const service = `http://127.0.0.1:${port}/predict`;
    for (let i = 0; ; i++) {
      const up = await fetch(service, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"features":[1,2]}' }).then((r) => r.ok, () => false);
      if (up) break;
      if (i > 300) throw new Error(`gunicorn did not start: ${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const inDatabase = async () => {
      const c = client(dbUrl);
      await c.connect();
      return {
        ask: async (id: number) => Number((await c.query({ name: 'score', text: `SELECT ml.predict('lin-onnx:1', x1, x2) AS s FROM pts WHERE id = $1`, values: [id] })).rows[0].s),
        close: () => c.end(),
      };
    };
    const microservice = async () => {
      const c = client(dbUrl);
      await c.connect();
      return {
        ask: async (id: number) => {
          const row = (await c.query({ name: 'features', text: 'SELECT x1, x2 FROM pts WHERE id = $1', values: [id] })).rows[0];
          const res = await fetch(service, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: [Number(row.x1), Number(row.x2)] }) });
          return ((await res.json()) as { score: number }).score;
        },
        close: () => c.end(),
      };
    };
    const results: { how: string; level: Level }[] = [];
    for (const clients of CLIENTS) {
      results.push({ how: 'in the database (`ml.predict`, PL/Python)', level: await load(clients, inDatabase) });
      results.push({ how: 'PostgreSQL + Flask/gunicorn microservice', level: await load(clients, microservice) });
    }
    const body = [
      `Command: \`npm run bench:sql-postgres\` (\`node --import tsx bench/sql-postgres.ts --seconds ${SECONDS} --rows ${ROWS}\`), ${new Date().toISOString().slice(0, 10)}, this machine (2 cores), PostgreSQL ${(await pgVersion(admin))}.`,
      `One row's score per request (a random id of ${ROWS.toLocaleString('en')}), the same ONNX model (a scikit-learn LinearRegression's skl2onnx conversion, registered through the MLflow client) both ways; ${SECONDS} s per row of the table; latency as each client sees it.`,
      '',
      '| clients | how | requests/s | p50 latency | p99 latency |',
      '|---|---|---|---|---|',
      ...results.map(({ how, level }) => `| ${level.clients} | ${how} | ${Math.round(level.perSecond).toLocaleString('en')} | ${ms(level.p50)} ms | ${ms(level.p99)} ms |`),
    ].join('\n');
    writeSection('## SQL: scoring inside PostgreSQL vs a Flask/gunicorn microservice (PostgresML\'s comparison)', body);
    console.log(body);
  } finally {
    gunicorn?.kill('SIGTERM');
    await stratus.stop();
    await adminClient.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await adminClient.end();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(venv, { recursive: true, force: true });
  }
}

async function pgVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const v = String((await c.query('SHOW server_version')).rows[0].server_version).split(' ')[0];
  await c.end();
  return v;
}

await main();

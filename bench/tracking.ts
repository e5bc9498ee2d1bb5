/**
 * npm run bench:tracking — Stratus against the real `mlflow server`, same machine, same run,
 * same workload: the scenarios of MLflow's own server benchmarks, from 20 concurrent clients.
 *
 *   node --import tsx bench/tracking.ts [--seconds 5] [--search-runs 5000] [--stores sqlite,postgres] [--pg URL]
 *
 * Prints mean and p99 latency and throughput per scenario with the Stratus/MLflow throughput
 * ratio, and writes the tables and the command to bench/RESULTS.md.
 */
import pg from 'pg';
import { drive, HttpTarget, runAll, summarize } from './http-driver.ts';
import { startMlflow, startStratus, type Peer } from './servers.ts';
import { writeSection } from './results.ts';

const CONCURRENCY = 20;
const API = '/api/2.0/mlflow';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const SECONDS = Number(arg('seconds', '5'));
const SEARCH_RUNS = Number(arg('search-runs', '5000'));
const STORES = arg('stores', 'sqlite,postgres').split(',');
const PG_URL = arg('pg', process.env.STRATUS_BENCH_PG_URL ?? '');

type Scenario = { name: string; op: (t: HttpTarget, ctx: Ctx, worker: number, i: number) => Promise<void> };

interface Ctx {
  createExp: string;
  workerRuns: string[];
  searchExp: string;
  historyRun: string;
}

const now = () => Date.now();
const metrics = (n: number, step: number) => Array.from({ length: n }, (_, k) => ({ key: `m${k}`, value: Math.random(), timestamp: now(), step }));

const SCENARIOS: Scenario[] = [
  { name: 'CreateRun', op: async (t, c) => { await t.ok('POST', `${API}/runs/create`, { experiment_id: c.createExp, start_time: now() }); } },
  { name: 'LogMetricBatch10', op: async (t, c, w, i) => { await t.ok('POST', `${API}/runs/log-batch`, { run_id: c.workerRuns[w], metrics: metrics(10, i) }); } },
  { name: 'LogMetricBatch500', op: async (t, c, w, i) => { await t.ok('POST', `${API}/runs/log-batch`, { run_id: c.workerRuns[w], metrics: metrics(500, i) }); } },
  {
    name: 'LogParamBatch10',
    op: async (t, c, w, i) => {
      await t.ok('POST', `${API}/runs/log-batch`, { run_id: c.workerRuns[w], params: Array.from({ length: 10 }, (_, k) => ({ key: `p10_${i}_${k}`, value: String(k) })) });
    },
  },
  {
    name: 'LogParamBatch100',
    op: async (t, c, w, i) => {
      await t.ok('POST', `${API}/runs/log-batch`, { run_id: c.workerRuns[w], params: Array.from({ length: 100 }, (_, k) => ({ key: `p100_${i}_${k}`, value: String(k) })) });
    },
  },
  {
    name: 'SearchRuns',
    op: async (t, c) => {
      const res = await t.ok('POST', `${API}/runs/search`, {
        experiment_ids: [c.searchExp], filter: "metrics.acc > 0.5 and params.model = 'b'", order_by: ['metrics.acc DESC'], max_results: 100,
      });
      if (!res.runs || res.runs.length !== 100) throw new Error(`SearchRuns returned ${res.runs?.length ?? 0} runs, expected 100`);
    },
  },
  { name: 'SearchExperiments', op: async (t) => { await t.ok('POST', `${API}/experiments/search`, { max_results: 100 }); } },
  {
    name: 'GetMetricHistory',
    op: async (t, c) => {
      const res = await t.ok('GET', `${API}/metrics/get-history?run_id=${c.historyRun}&metric_key=loss`);
      if (res.metrics?.length !== 1000) throw new Error(`history has ${res.metrics?.length} points, expected 1000`);
    },
  },
];

async function seed(t: HttpTarget): Promise<Ctx> {
  const tag = `${Date.now()}`;
  const createExp = (await t.ok('POST', `${API}/experiments/create`, { name: `create-${tag}` })).experiment_id;
  const searchExp = (await t.ok('POST', `${API}/experiments/create`, { name: `search-${tag}` })).experiment_id;
  await runAll(4, 100, async (i) => { await t.ok('POST', `${API}/experiments/create`, { name: `exp-${tag}-${i}` }); });
  const workExp = (await t.ok('POST', `${API}/experiments/create`, { name: `work-${tag}` })).experiment_id;
  const workerRuns: string[] = [];
  for (let w = 0; w < CONCURRENCY; w++) {
    workerRuns.push((await t.ok('POST', `${API}/runs/create`, { experiment_id: workExp, start_time: now() })).run.info.run_id);
  }
  const historyRun = workerRuns[0];
  for (let b = 0; b < 2; b++) {
    await t.ok('POST', `${API}/runs/log-batch`, {
      run_id: historyRun,
      metrics: Array.from({ length: 500 }, (_, k) => ({ key: 'loss', value: 1 / (b * 500 + k + 1), timestamp: now(), step: b * 500 + k })),
    });
  }
  const t0 = performance.now();
  // Seeding is not measured; 4 clients keep MLflow's SQLite connection pool from timing out.
  await runAll(4, SEARCH_RUNS, async (i) => {
    const run = (await t.ok('POST', `${API}/runs/create`, { experiment_id: searchExp, start_time: now() - i })).run.info.run_id;
    await t.ok('POST', `${API}/runs/log-batch`, {
      run_id: run,
      metrics: [
        { key: 'acc', value: Math.random(), timestamp: now(), step: 0 },
        { key: 'loss', value: Math.random(), timestamp: now(), step: 0 },
      ],
      params: [{ key: 'model', value: ['a', 'b', 'c'][i % 3] }, { key: 'lr', value: String(i % 7) }],
      tags: [{ key: 'team', value: `t${i % 5}` }],
    });
  });
  console.log(`    seeded ${SEARCH_RUNS} runs with metrics, params and tags in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { createExp, workerRuns, searchExp, historyRun };
}

type Row = { scenario: string; meanMs: number; p99Ms: number; throughput: number; ok: number; errors: number; firstError?: string };

async function measure(peer: Peer): Promise<Row[]> {
  const t = new HttpTarget(peer.url, CONCURRENCY);
  try {
    const ctx = await seed(t);
    const rows: Row[] = [];
    for (const s of SCENARIOS) {
      const sample = await drive(CONCURRENCY, SECONDS, (w, i) => s.op(t, ctx, w, i));
      const sum = summarize(sample);
      rows.push({ scenario: s.name, ...sum, firstError: sample.firstError });
      console.log(`    ${s.name.padEnd(18)} ${sum.throughput.toFixed(1).padStart(8)} req/s  mean ${sum.meanMs.toFixed(2)} ms  p99 ${sum.p99Ms.toFixed(2)} ms${sum.errors ? `  ERRORS ${sum.errors}: ${sample.firstError}` : ''}`);
    }
    return rows;
  } finally {
    t.close();
  }
}

async function freshPgDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function table(store: string, stratus: Row[], mlflow: Row[]): string {
  const lines = [
    `| scenario (${store}) | Stratus req/s | MLflow req/s | ratio | Stratus mean / p99 ms | MLflow mean / p99 ms |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (let i = 0; i < stratus.length; i++) {
    const s = stratus[i];
    const m = mlflow[i];
    const ratio = s.throughput / m.throughput;
    lines.push(`| ${s.scenario} | ${s.throughput.toFixed(1)} | ${m.throughput.toFixed(1)} | ${ratio.toFixed(1)}× | ${s.meanMs.toFixed(2)} / ${s.p99Ms.toFixed(2)} | ${m.meanMs.toFixed(2)} / ${m.p99Ms.toFixed(2)} |`);
  }
  const errors = [...stratus, ...mlflow].filter((r) => r.errors);
  if (errors.length) lines.push('', ...errors.map((r) => `Errors in ${r.scenario}: ${r.errors} (first: ${r.firstError})`));
  return lines.join('\n');
}

const userArgs = process.argv.slice(2).filter((a) => !a.startsWith('postgresql://') && a !== '--pg').join(' ');
const cmd = userArgs ? `npm run bench:tracking -- ${userArgs}` : 'npm run bench:tracking';
const METHOD = [
  'Both servers run on the same machine, one after the other, each with a fresh store, driven by the same',
  `closed-loop workload: ${CONCURRENCY} concurrent keep-alive clients, ${SECONDS} s per scenario, after seeding`,
  `${SEARCH_RUNS} runs (2 metrics, 2 params, 1 tag each) for SearchRuns, 100 experiments for SearchExperiments and a`,
  '1,000-step metric history for GetMetricHistory. `mlflow server` runs with its default 4 worker processes; Stratus is',
  'one Node process. On PostgreSQL both use a fresh database on the same local server (started by the benchmark script).',
  'Durability: on SQLite, Stratus runs in WAL mode with `synchronous=NORMAL` (a commit survives a crash of the process,',
  'and a power loss may lose the last commits); MLflow sets no journal pragmas, so SQLite keeps its defaults, a rollback',
  'journal with `synchronous=FULL` (every commit is synced). On PostgreSQL both use the server\'s defaults',
  '(`synchronous_commit=on`, `fsync=on`).',
  "SearchRuns asks for `metrics.acc > 0.5 and params.model = 'b'` ordered by `metrics.acc DESC`, 100 per page.",
  'Ratio = Stratus throughput / MLflow throughput. Errors are requests the server answered with a failure',
  "(MLflow's SQLAlchemy pool times out under 20 concurrent writers); throughput counts successful requests only.",
];

async function main() {
  for (const store of STORES) {
    if (store === 'postgres' && !PG_URL) {
      console.log('PostgreSQL skipped: pass --pg postgresql://user@127.0.0.1:5432/postgres (npm run bench:tracking starts one).');
      continue;
    }
    const results: Record<string, Row[]> = {};
    for (const name of ['stratus', 'mlflow'] as const) {
      const storeUrl = store === 'postgres' ? await freshPgDatabase(PG_URL, `bench_${name}`) : undefined;
      console.log(`== ${name} on ${store}`);
      const peer = name === 'stratus' ? await startStratus(storeUrl) : await startMlflow(storeUrl);
      try {
        results[name] = await measure(peer);
      } finally {
        await peer.stop();
      }
    }
    const section = table(store, results.stratus, results.mlflow);
    console.log(`\n${section}\n`);
    writeSection(`## Tracking server on ${store === 'postgres' ? 'PostgreSQL' : 'SQLite'}: Stratus vs \`mlflow server\``, [
      `Command: \`${cmd}\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's 2-core machine).`,
      '',
      ...METHOD,
      '',
      section,
    ].join('\n'));
  }
  console.log('Results written to bench/RESULTS.md');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * npm run bench:auth — what authorization costs on hot routes: MLflow's log-metric and an online
 * endpoint's scoring (an ONNX model, scored in-process, so the route's own work is small), on a
 * server without authentication against the same server with user accounts on (a personal access
 * token resolved to a user and its roles, the route's action checked, MLflow's per-experiment
 * permission checked, the write queued for the audit log). Closed-loop keep-alive load from this
 * machine at 1 and 16 connections, after a warm-up.
 *
 *   node --import tsx bench/auth.ts [--seconds 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startStratus, type Peer } from './servers.ts';
import { drive, HttpTarget, summarize } from './http-driver.ts';
import { writeSection } from './results.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const MODEL = path.join(REPO, 'tests/fixtures/studio/model');
const SECONDS = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5;
const LEVELS = [1, 16];
const ROUNDS = 3;
const ADMIN_PASSWORD = 'bench-admin-password';

interface Setup { metric: { path: string; body: unknown; headers: Record<string, string> }; score: { path: string; body: unknown; headers: Record<string, string> }[] }

async function prepare(peer: Peer, secured: boolean): Promise<Setup> {
  const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  const call = async (method: string, p: string, body: unknown, auth?: string) => {
    const r = await fetch(peer.url + p, { method, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<Record<string, any>>;
  };
  let user: string | undefined;
  let adminToken: string | undefined;
  if (secured) {
    adminToken = `Bearer ${(await call('POST', '/api/v1/tokens', { name: 'bench' }, basic)).token}`;
    await call('POST', '/api/v1/users', { username: 'ds', password: 'ds-password-1', roles: ['AzureML Data Scientist'] }, adminToken);
    user = `Bearer ${(await call('POST', '/api/v1/tokens', { name: 'bench' }, `Basic ${Buffer.from('ds:ds-password-1').toString('base64')}`)).token}`;
  }
  // The user's own experiment and run (so MLflow's permission check runs, as it would for them).
  const exp = await call('POST', '/api/2.0/mlflow/experiments/create', { name: 'auth-bench' }, user);
  const run = await call('POST', '/api/2.0/mlflow/runs/create', { experiment_id: exp.experiment_id }, user);
  const cli = (args: string[]) => execFileSync(process.execPath, [path.join(REPO, 'bin/stratus.js'), ...args],
    { env: { ...process.env, STRATUS_URL: peer.url, ...(adminToken ? { STRATUS_TOKEN: adminToken.slice(7) } : {}) }, cwd: MODEL, encoding: 'utf8' });
  cli(['online-endpoint', 'create', '--name', 'auth-bench']);
  cli(['model', 'create', '--name', 'auth-bench', '--type', 'mlflow_model', '--path', MODEL]);
  const dep = path.join(os.tmpdir(), `auth-bench-dep-${process.pid}.yml`);
  // Enough concurrent requests that admission control never answers 429 here.
  fs.writeFileSync(dep, 'name: onnx\nendpoint_name: auth-bench\nmodel: azureml:auth-bench:1\ninstance_count: 1\nrequest_settings:\n  max_concurrent_requests_per_instance: 128\n  request_timeout_ms: 60000\n');
  cli(['online-deployment', 'create', '--file', dep, '--all-traffic']);
  const key = JSON.parse(cli(['online-endpoint', 'get-credentials', '--name', 'auth-bench', '-o', 'json'])).primaryKey as string;
  const body = { inputs: [[1.0, 2.0], [0.5, 0.5]] };
  return {
    metric: { path: '/api/2.0/mlflow/runs/log-metric', body: { run_id: run.run.info.run_id, key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 }, headers: user ? { authorization: user } : {} },
    score: [
      { path: '/endpoints/auth-bench/score', body, headers: { authorization: `Bearer ${key}` } },
      ...(user ? [{ path: '/endpoints/auth-bench/score', body, headers: { authorization: user } }] : []),
    ],
  };
}

type Request = { path: string; body: unknown; headers: Record<string, string> };
type Summary = ReturnType<typeof summarize>;

/** One measurement: `seconds` of closed-loop load at `c` connections, after a warm-up. */
async function measure(url: string, r: Request, c: number): Promise<Summary> {
  const t = new HttpTarget(url, c);
  const request = async () => {
    const res = await t.request('POST', r.path, r.body, r.headers);
    if (res.status !== 200) throw new Error(`${res.status} ${res.text.slice(0, 200)}`);
  };
  for (let i = 0; i < 200; i++) await request();
  const s = summarize(await drive(c, SECONDS, request));
  t.close();
  if (s.errors) throw new Error(`${r.path}: ${s.errors} errors`);
  return s;
}

/** The median (by throughput) of ROUNDS measurements. */
const medianOf = (xs: Summary[]) => [...xs].sort((a, b) => a.throughput - b.throughput)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  // Both servers up at once, measured in turn round after round, so drift on the machine falls on both alike.
  const off = await startStratus(undefined, {});
  const on = await startStratus(undefined, { STRATUS_AUTH: 'users', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
  try {
    const [so, sa] = [await prepare(off, false), await prepare(on, true)];
    const cases: { label: string; off?: Request; on: Request }[] = [
      { label: 'log-metric', off: so.metric, on: sa.metric },
      { label: 'score, endpoint key', off: so.score[0], on: sa.score[0] },
      { label: 'score, user\'s token (no key)', on: sa.score[1] },
    ];
    const rows: string[] = [];
    for (const c of LEVELS) {
      let keyOff: Summary | undefined;
      for (const k of cases) {
        const got: { off: Summary[]; on: Summary[] } = { off: [], on: [] };
        for (let round = 0; round < ROUNDS; round++) {
          if (k.off) got.off.push(await measure(off.url, k.off, c));
          got.on.push(await measure(on.url, k.on, c));
        }
        const [o, a] = [k.off ? medianOf(got.off) : undefined, medianOf(got.on)];
        if (k.off === so.score[0]) keyOff = o;
        rows.push(`| ${k.label} | ${c} | ${o ? cell(o) : '— (the key, auth off, above)'} | ${cell(a)} | ${o ? cost(o, a) : keyOff ? `${cost(keyOff, a)} (against the key, auth off)` : ''} |`);
      }
    }
    writeSection('## Authorization: its cost on hot routes', `
Command: \`npm run bench:auth\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's ${os.cpus().length}-core machine).

The same routes on a server without authentication and on one with user accounts on (\`STRATUS_AUTH=users\`), both up
at once and measured in turn, ${ROUNDS} rounds each, median by throughput. With auth, each request's personal access token is
resolved to its user and roles (cached for 10 s, emptied by any access change), the route's action is checked against
the roles, MLflow's per-experiment permission is checked (log-metric, by a non-admin user on their own experiment), and
the write is queued for the audit log. Scoring is an ONNX model served in-process (so the route's own work is small),
called with the endpoint's key, and on the secured server also with the user's token instead of a key. Closed-loop
keep-alive load for ${SECONDS} s per measurement after 200 warm-up requests; p50 / p99 latency.

| route | connections | auth off | auth on | cost of authorization |
|---|---:|---|---|---|
${rows.join('\n')}
`);
    console.log(rows.join('\n'));
  } finally {
    await off.stop();
    await on.stop();
  }
}

const cell = (r: Summary) => `${r.throughput.toFixed(0)} req/s, ${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} ms`;
const cost = (off: Summary, on: Summary) => {
  const pct = ((off.throughput - on.throughput) / off.throughput) * 100;
  // Within this machine's noise a secured route can come out ahead: said as it was measured.
  return `${Math.abs(pct).toFixed(1)} % ${pct >= 0 ? 'fewer' : 'more'} req/s; p50 ${on.p50Ms >= off.p50Ms ? '+' : ''}${(on.p50Ms - off.p50Ms).toFixed(2)} ms`;
};

await main();

/**
 * npm run bench:spark — a Spark cluster from create to Running; a spark job from submission to
 * its driver's first line, against `spark-submit` run by hand with the same environment and
 * script; a group-by over generated rows on the cluster with 1 and then 2 workers; a Livy
 * statement's round trip against its run time in the driver; the master UI direct and proxied.
 *
 *   node --import tsx bench/spark.ts [--runs 3] [--rows 5000000] [--statements 20]
 *
 * The stratus-spark environment is built before timing starts (shared with the tests' cache).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStratus } from './servers.ts';
import { median, numberArg, secs, writeSection } from './results.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/stratus.js');
const RUNS = numberArg('runs', 3);
const ROWS = numberArg('rows', 5_000_000);
const STATEMENTS = numberArg('statements', 20);

async function call(url: string, method: string, route: string, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(url + route, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json() as Record<string, any>;
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function waitCompute(url: string, name: string, done: (c: Record<string, any>) => boolean): Promise<Record<string, any>> {
  for (;;) {
    const c = await call(url, 'GET', `/api/v1/computes/${name}`);
    if (c.state === 'Failed') throw new Error(`${name} failed: ${c.state_reason}`);
    if (done(c)) return c;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cli(url: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, STRATUS_URL: url }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args.join(' ')}: ${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

async function waitForFile(file: string): Promise<number> {
  for (;;) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8')) return Number(fs.readFileSync(file, 'utf8')) * 1000;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  const stratus = await startStratus(undefined);
  const url = stratus.url;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-spark-'));
  fs.mkdirSync(path.join(work, 'src'));
  // The driver's first line records when it ran; then an optional group-by over generated rows.
  fs.writeFileSync(path.join(work, 'src/first_line.py'), [
    'import sys, time',
    'open(sys.argv[1], "w").write(str(time.time()))',
    'if len(sys.argv) > 2:',
    '    from pyspark.sql import SparkSession',
    '    spark = SparkSession.builder.getOrCreate()',
    '    t = time.time()',
    '    groups = spark.range(int(sys.argv[2])).selectExpr("id % 1000 AS k").groupBy("k").count().collect()',
    '    open(sys.argv[1] + ".groupby", "w").write(str(time.time() - t))',
    '    spark.stop()',
  ].join('\n'));
  const job = (marker: string, extra: string, compute?: string) => [
    'type: spark', 'code: ./src', 'entry:', '  file: first_line.py', 'conf:', '  spark.driver.cores: 1', `args: ${marker} ${extra}`,
    ...(compute ? [`compute: ${compute}`] : []), '',
  ].join('\n');
  try {
    // Untimed: builds the environment once.
    await call(url, 'POST', '/api/v1/computes', { name: 'warm', type: 'spark', workers: 1 });
    await waitCompute(url, 'warm', (c) => c.state === 'Running');
    await call(url, 'DELETE', '/api/v1/computes/warm');

    const creates: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await call(url, 'POST', '/api/v1/computes', { name: `c${i}`, type: 'spark', workers: 1 });
      await waitCompute(url, `c${i}`, (c) => c.state === 'Running');
      creates.push(performance.now() - t);
      if (i > 0) await call(url, 'DELETE', `/api/v1/computes/c${i}`);
    }

    const built = fs.readdirSync(process.env.STRATUS_ENV_CACHE).map((d) => path.join(process.env.STRATUS_ENV_CACHE!, d, 'bin', 'spark-submit')).find((p) => fs.existsSync(p))!;
    const viaStratus: number[] = [];
    const byHand: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const m1 = path.join(work, `stratus-${i}`);
      fs.writeFileSync(path.join(work, 'job.yml'), job(m1, ''));
      const t1 = Date.now();
      const submitted = cli(url, ['job', 'create', '--file', 'job.yml', '--stream'], work);
      viaStratus.push((await waitForFile(m1)) - t1);
      await submitted;

      const m2 = path.join(work, `hand-${i}`);
      const t2 = Date.now();
      const bin = path.dirname(built);
      const child = spawn(built, ['--master', 'local[1]', path.join(work, 'src/first_line.py'), m2], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, PYSPARK_PYTHON: path.join(bin, 'python'), PYSPARK_DRIVER_PYTHON: path.join(bin, 'python') }, stdio: 'ignore',
      });
      byHand.push((await waitForFile(m2)) - t2);
      await new Promise((r) => child.once('exit', r));
    }

    const groupBy: Record<number, number> = {};
    for (const workers of [1, 2]) {
      await call(url, 'POST', '/api/v1/computes/c0/resize', { workers });
      const m = path.join(work, `groupby-${workers}`);
      fs.writeFileSync(path.join(work, 'job.yml'), job(m, String(ROWS), 'c0'));
      await cli(url, ['job', 'create', '--file', 'job.yml', '--stream'], work);
      groupBy[workers] = Number(fs.readFileSync(`${m}.groupby`, 'utf8')) * 1000;
    }

    // A Livy session on the cluster: a statement's round trip over REST against its run time inside the driver.
    const session = await call(url, 'POST', '/livy/sessions', { kind: 'pyspark', conf: { 'spark.stratus.compute': 'c0' } });
    while ((await call(url, 'GET', `/livy/sessions/${session.id}/state`)).state !== 'idle') await new Promise((r) => setTimeout(r, 100));
    const roundTrips: number[] = [];
    const inDriver: number[] = [];
    for (let i = 0; i < STATEMENTS; i++) {
      const t = performance.now();
      const st = await call(url, 'POST', `/livy/sessions/${session.id}/statements`, { code: 'import time\n_t = time.time()\nspark.range(1000).count()\nprint(time.time() - _t)' });
      let done: Record<string, any>;
      do done = await call(url, 'GET', `/livy/sessions/${session.id}/statements/${st.id}`); while (done.state !== 'available');
      roundTrips.push(performance.now() - t);
      inDriver.push(Number(done.output.data['text/plain']) * 1000);
    }
    await call(url, 'DELETE', `/livy/sessions/${session.id}`);

    // The master's web UI: its page straight from the master, and through the workspace's port.
    const cluster = await call(url, 'GET', '/api/v1/computes/c0');
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let i = 0; i < 50; i++) {
      for (const [target, into] of [[`${cluster.master_web_ui}/`, direct], [`${url}/computes/c0/spark-ui/`, proxied]] as const) {
        const t = performance.now();
        const res = await fetch(target);
        await res.text();
        into.push(performance.now() - t);
      }
    }
    await call(url, 'DELETE', '/api/v1/computes/c0');
    const ms = (x: number) => x.toFixed(1);

    const body = [
      `Command: \`npm run bench:spark\` (\`node --import tsx bench/spark.ts --runs ${RUNS} --rows ${ROWS} --statements ${STATEMENTS}\`), ${new Date().toISOString().slice(0, 10)}, this machine (2 cores), PySpark 4.3.0, Java 17.`,
      '',
      `| what | median | runs |`,
      '|---|---|---|',
      `| Spark cluster (master + 1 worker) from \`POST /api/v1/computes\` to Running, environment built | ${secs(median(creates))} s | ${creates.map(secs).join(', ')} |`,
      `| spark job: \`stratus job create\` to the driver's first line (local mode) | ${secs(median(viaStratus))} s | ${viaStratus.map(secs).join(', ')} |`,
      `| the same script: \`spark-submit\` by hand to the driver's first line | ${secs(median(byHand))} s | ${byHand.map(secs).join(', ')} |`,
      '',
      `Group-by of ${ROWS.toLocaleString('en')} generated rows into 1,000 keys on the cluster (1 core per worker; the action's time inside the driver):`,
      `1 worker ${secs(groupBy[1])} s, 2 workers ${secs(groupBy[2])} s. The machine has two cores, shared by the driver, the workers and the workspace, so a second worker gains little here; the same cluster scales by adding workers where there are cores.`,
      '',
      `| what | median | of |`,
      '|---|---|---|',
      `| Livy statement \`spark.range(1000).count()\` on the cluster: \`POST …/statements\` to \`available\` (polling) | ${ms(median(roundTrips))} ms | ${STATEMENTS} |`,
      `| the same statement's run time inside the session's driver | ${ms(median(inDriver))} ms | ${STATEMENTS} |`,
      `| the master's web UI page, straight from the master | ${ms(median(direct))} ms | 50 |`,
      `| the same page through the workspace (\`/computes/<name>/spark-ui/\`) | ${ms(median(proxied))} ms | 50 |`,
    ].join('\n');
    writeSection('## Spark: cluster start, spark job submission, 1 vs 2 workers, Livy statements, master UI', body);
    console.log(body);
  } finally {
    await stratus.stop();
  }
}

await main();

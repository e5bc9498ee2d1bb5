/**
 * npm run bench:jobs — time from submitting a job to the user's first line of code running,
 * with the environment already built, for `stratus job create` and for `mlflow run` (MLflow
 * Projects, local env manager) on the same script, in the same run on this machine.
 *
 *   node --import tsx bench/jobs.ts [--runs 7]
 *
 * Each submission's first line writes time.time() to a file; latency = that time minus the
 * moment the command was started. Both track to the same Stratus server.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStratus } from './servers.ts';
import { writeSection } from './results.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 7) || 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function waitForFile(file: string, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file) || !fs.readFileSync(file, 'utf8')) {
    if (Date.now() > deadline) throw new Error(`${file} was never written`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Number(fs.readFileSync(file, 'utf8')) * 1000;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);

async function waitForJob(url: string, name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await (await fetch(`${url}/api/v1/jobs/${encodeURIComponent(name)}`)).json() as { status: string };
    if (TERMINAL.has(job.status)) return;
    if (Date.now() > deadline) throw new Error(`job ${name} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...opts, maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} failed: ${stderr.slice(-2000)}`)) : resolve()));
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jobs-'));
  const project = path.join(dir, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'first_line.py'), 'import sys, time; open(sys.argv[1], "w").write(repr(time.time()))\n');
  fs.writeFileSync(path.join(project, 'MLproject'), 'name: first-line\nentry_points:\n  main:\n    parameters:\n      out: string\n    command: "python first_line.py {out}"\n');
  fs.writeFileSync(path.join(project, 'conda.yml'), 'dependencies:\n  - python=3.11\n');
  const job = (out: string) => `code: .\ncommand: python first_line.py ${out}\nenvironment:\n  image: python:3.11\n  conda_file: conda.yml\nexperiment_name: bench-jobs\n`;

  const peer = await startStratus(undefined);
  const env = { ...process.env, STRATUS_URL: peer.url, MLFLOW_TRACKING_URI: peer.url };
  const stratusTimes: number[] = [];
  const mlflowTimes: number[] = [];
  try {
    // Warm-up: builds (and caches) the environment, and lets each tool create its experiment.
    fs.writeFileSync(path.join(project, 'job.yml'), job(path.join(dir, 'warm-stratus')));
    await run(process.execPath, [path.join(REPO, 'bin/stratus.js'), 'job', 'create', '--file', 'job.yml', '--stream'], { cwd: project, env });
    await run(path.join(REPO, '.venv/bin/mlflow'), ['run', project, '--env-manager', 'local', '-P', `out=${path.join(dir, 'warm-mlflow')}`, '--experiment-name', 'bench-jobs'], { cwd: project, env });

    for (let i = 0; i < RUNS; i++) {
      const out = path.join(dir, `stratus-${i}`);
      fs.writeFileSync(path.join(project, 'job.yml'), job(out));
      const t0 = Date.now();
      const submit = spawn(process.execPath, [path.join(REPO, 'bin/stratus.js'), 'job', 'create', '--file', 'job.yml', '--output', 'json'], { cwd: project, env, stdio: ['ignore', 'pipe', 'ignore'] });
      let submitted = '';
      submit.stdout.on('data', (d) => (submitted += d));
      stratusTimes.push((await waitForFile(out)) - t0);
      // The two tools never overlap on two cores: the job finishes before the peer starts.
      await new Promise((r) => submit.once('exit', r));
      await waitForJob(peer.url, JSON.parse(submitted).name);

      const mout = path.join(dir, `mlflow-${i}`);
      const t1 = Date.now();
      const child = spawn(path.join(REPO, '.venv/bin/mlflow'), ['run', project, '--env-manager', 'local', '-P', `out=${mout}`, '--experiment-name', 'bench-jobs'], { cwd: project, env, stdio: 'ignore' });
      mlflowTimes.push((await waitForFile(mout)) - t1);
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    await peer.stop();
  }
  const s = median(stratusTimes);
  const m = median(mlflowTimes);
  const lines = [
    `Command: \`npm run bench:jobs -- --runs ${RUNS}\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's 2-core machine).`,
    '',
    'The same one-line script, environment already built: `stratus job create --file job.yml` (inline conda environment, cached)',
    'against `mlflow run <project> --env-manager local` (MLflow Projects), both tracking to the same Stratus server. Latency is',
    'from starting the command to the script\'s first line running, medians over the runs, command start-up included. Each',
    'Stratus job runs to completion before the MLflow run starts, so the two never share the two cores.',
    '',
    '| tool | median ms | min ms | max ms |',
    '|---|---:|---:|---:|',
    `| stratus job create | ${s.toFixed(0)} | ${Math.min(...stratusTimes).toFixed(0)} | ${Math.max(...stratusTimes).toFixed(0)} |`,
    `| mlflow run | ${m.toFixed(0)} | ${Math.min(...mlflowTimes).toFixed(0)} | ${Math.max(...mlflowTimes).toFixed(0)} |`,
    '',
    `Stratus is ${(m / s).toFixed(1)}× faster to the first line.`,
    '',
  ].join('\n');
  console.log(lines);
  writeSection('## Jobs: submission to first line of user code', lines);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

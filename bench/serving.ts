/**
 * npm run bench:serving — the same score.py and model served by Stratus and by
 * azureml-inference-server-http (`azmlinfsrv`), with the same number of Python workers, under the
 * same closed-loop load at 1, 16 and 64 keep-alive connections; plus the same model as ONNX,
 * scored in-process by Stratus's ONNX runtime.
 *
 *   node --import tsx bench/serving.ts [--seconds 5] [--workers 2]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { drive, HttpTarget, summarize } from './http-driver.ts';
import { startStratus } from './servers.ts';
import { writeSection } from './results.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const CODE = path.join(REPO, 'bench/serving/sklearn-code');
const arg = (n: string, d: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const SECONDS = Number(arg('seconds', '5'));
const WORKERS = Number(arg('workers', '2'));
const LEVELS = [1, 16, 64];
const BODY = { data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function load(url: string, pathName: string, headers: Record<string, string>, body: unknown) {
  const rows = [];
  for (const c of LEVELS) {
    const t = new HttpTarget(url, c);
    const request = async () => {
      const r = await t.request('POST', pathName, body, headers);
      if (r.status !== 200) throw new Error(`${r.status} ${r.text.slice(0, 200)}`);
    };
    for (let i = 0; i < 50; i++) await request(); // warm-up
    const s = summarize(await drive(c, SECONDS, request));
    t.close();
    rows.push({ c, ...s });
  }
  return rows;
}

interface ModelRows { peer: Row[]; ours: Row[]; onnx: Row[] }
type Row = Awaited<ReturnType<typeof load>>[number];

/** Serves one model three ways (azmlinfsrv, Stratus score.py, Stratus ONNX) and loads each in turn. */
async function benchModel(work: string, model: string, stratusUrl: string, cli: (args: string[]) => string): Promise<ModelRows> {
  // The peer: azmlinfsrv with the same score.py, model folder and worker count.
  const peerPort = await freePort();
  const peer = spawn(path.join(REPO, '.venv-bench/bin/azmlinfsrv'), ['--entry_script', path.join(CODE, 'score.py'), '--model_dir', work,
    '--port', String(peerPort), '--health_port', String(await freePort()), '--worker_count', String(WORKERS)],
  { env: { ...process.env, AZUREML_MODEL_DIR: work, MODEL_NAME: model, WORKER_COUNT: String(WORKERS) }, stdio: 'ignore', detached: true });
  try {
    fs.writeFileSync(path.join(work, `${model}.yml`), [
      'name: sklearn', `endpoint_name: ${model}`, 'model:', `  path: ${path.join(work, model)}`, 'code_configuration:', `  code: ${CODE}`,
      '  scoring_script: score.py', 'environment:', '  image: python:3.11', '  conda_file: conda.yml', 'instance_count: 1',
      'request_settings:', '  request_timeout_ms: 60000', '  max_concurrent_requests_per_instance: 128',
      'environment_variables:', `  WORKER_COUNT: ${WORKERS}`, `  MODEL_NAME: ${model}`, '',
    ].join('\n'));
    // The same request_settings as the score.py deployment: the ONNX runtime applies them too.
    fs.writeFileSync(path.join(work, `${model}-onnx.yml`), `name: onnx\nendpoint_name: ${model}-onnx\nmodel:\n  path: ${path.join(work, `${model}-onnx`)}\ninstance_count: 1\n` +
      'request_settings:\n  request_timeout_ms: 60000\n  max_concurrent_requests_per_instance: 128\n');
    for (const name of [model, `${model}-onnx`]) {
      cli(['online-endpoint', 'create', '--name', name]);
      cli(['online-deployment', 'create', '--file', `${name}.yml`, '--all-traffic']);
    }
    const key = (name: string) => JSON.parse(cli(['online-endpoint', 'get-credentials', '--name', name, '-o', 'json'])).primaryKey as string;
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${peerPort}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
        if (r.ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      peer: await load(`http://127.0.0.1:${peerPort}`, '/score', {}, BODY),
      ours: await load(stratusUrl, `/endpoints/${model}/score`, { authorization: `Bearer ${key(model)}` }, BODY),
      onnx: await load(stratusUrl, `/endpoints/${model}-onnx/score`, { authorization: `Bearer ${key(`${model}-onnx`)}` }, { input_data: { data: BODY.data } }),
    };
  } finally {
    try {
      process.kill(-peer.pid!, 'SIGTERM');
    } catch {
      peer.kill('SIGTERM');
    }
  }
}

function table(title: string, { peer, ours, onnx }: ModelRows): string[] {
  return [
    title,
    '',
    '| connections | azmlinfsrv req/s | Stratus score.py req/s | ratio | azmlinfsrv p50 / p99 ms | Stratus p50 / p99 ms | Stratus ONNX req/s | ONNX / azmlinfsrv | ONNX p50 / p99 ms | errors (azmlinfsrv / score.py / ONNX) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...LEVELS.map((c, i) => {
      const [p, s, o] = [peer[i], ours[i], onnx[i]];
      return `| ${c} | ${p.throughput.toFixed(0)} | ${s.throughput.toFixed(0)} | ${(s.throughput / p.throughput).toFixed(1)}× | ${p.p50Ms.toFixed(2)} / ${p.p99Ms.toFixed(2)} | ` +
        `${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} | ${o.throughput.toFixed(0)} | ${(o.throughput / p.throughput).toFixed(1)}× | ${o.p50Ms.toFixed(2)} / ${o.p99Ms.toFixed(2)} | ` +
        `${p.errors} / ${s.errors} / ${o.errors} |`;
    }),
    '',
  ];
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serving-'));
  const py = path.join(REPO, '.venv/bin/python');
  execFileSync(py, [path.join(REPO, 'bench/serving/make_models.py'), work]);
  const version = (mod: string) => execFileSync(py, ['-c', `import ${mod}; print(${mod}.__version__)`], { encoding: 'utf8' }).trim();
  const pins = ['sklearn', 'numpy', 'joblib'].map((m) => `${m === 'sklearn' ? 'scikit-learn' : m}==${version(m)}`);
  fs.writeFileSync(path.join(work, 'conda.yml'), `dependencies:\n  - python=3.11\n  - pip:\n${pins.map((p) => `    - ${p}`).join('\n')}\n`);
  const stratus = await startStratus(undefined);
  try {
    const env = { ...process.env, STRATUS_URL: stratus.url };
    const cli = (args: string[]) => execFileSync(process.execPath, [path.join(REPO, 'bin/stratus.js'), ...args], { cwd: work, env, encoding: 'utf8' });
    const logreg = await benchModel(work, 'iris-logreg', stratus.url, cli);
    const rf = await benchModel(work, 'iris-rf', stratus.url, cli);
    const lines = [
      `Command: \`npm run bench:serving\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's 2-core machine).`,
      '',
      `The same score.py (bench/serving/sklearn-code) and scikit-learn model, ${WORKERS} Python workers each: Stratus (key auth,`,
      `traffic routing) against azureml-inference-server-http 1.5.1 (\`azmlinfsrv --worker_count ${WORKERS}\`); and the same model`,
      'converted with skl2onnx, served in-process by Stratus\'s ONNX runtime (one instance: one worker thread with its own',
      'onnxruntime session; the server\'s event loop only passes it the body). Closed-loop keep-alive load from the same machine,',
      `${SECONDS} s per level, after a warm-up; each request scores two rows. Two models: a logistic regression, whose predict`,
      'takes microseconds so the serving stack is most of the cost, and a 50-tree random forest, whose predict takes milliseconds',
      'of the same Python in both servers, so no server can be much faster at one connection. Both Stratus deployments run',
      'with `request_settings` of 128 concurrent requests per instance and a 60 s timeout (the ONNX runtime enforces them',
      'in-process); errors are requests answered with anything but 200, and throughput counts 200s only.',
      'The thread costs the ONNX runtime about 0.2 ms per request at one connection (it had scored on the event loop,',
      'where a large request held up every other request to the server and max_concurrent_requests_per_instance never bit).',
      '',
      ...table('Logistic regression (iris-logreg):', logreg),
      ...table('Random forest, 50 trees (iris-rf):', rf),
    ].join('\n').trimEnd();
    console.log(lines);
    writeSection('## Online endpoints: Stratus vs azmlinfsrv, and the ONNX runtime', lines);
  } finally {
    await stratus.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

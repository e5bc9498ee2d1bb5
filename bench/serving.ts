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
const FIX = path.join(REPO, 'tests/fixtures/endpoint');
const arg = (n: string, d: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const SECONDS = Number(arg('seconds', '5'));
const WORKERS = Number(arg('workers', '2'));
const LEVELS = [1, 16, 64];
const BODY = { data: [[1, 2], [3, 4]] };

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

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serving-'));
  const onnxDir = path.join(work, 'linear-onnx');
  fs.mkdirSync(onnxDir);
  execFileSync(path.join(REPO, '.venv/bin/python'), [path.join(REPO, 'bench/serving/make_onnx_linear.py'),
    path.join(FIX, 'model-v1/linear-model/weights.json'), path.join(onnxDir, 'model.onnx')]);

  // The peer: azmlinfsrv with the same score.py, model folder and worker count.
  const peerPort = await freePort();
  const modelRoot = path.join(work, 'model-root');
  fs.cpSync(path.join(FIX, 'model-v1'), modelRoot, { recursive: true });
  const peer = spawn(path.join(REPO, '.venv-bench/bin/azmlinfsrv'), ['--entry_script', path.join(FIX, 'code/score.py'), '--model_dir', modelRoot,
    '--port', String(peerPort), '--health_port', String(await freePort()), '--worker_count', String(WORKERS)],
  { env: { ...process.env, AZUREML_MODEL_DIR: modelRoot, WORKER_COUNT: String(WORKERS) }, stdio: 'ignore', detached: true });
  const stratus = await startStratus(undefined);
  try {
    const env = { ...process.env, STRATUS_URL: stratus.url };
    const cli = (args: string[]) => execFileSync(process.execPath, [path.join(REPO, 'bin/stratus.js'), ...args], { cwd: FIX, env, encoding: 'utf8' });
    cli(['online-endpoint', 'create', '--file', 'endpoint.yml']);
    cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--all-traffic', '--set', `environment_variables.WORKER_COUNT=${WORKERS}`,
      'request_settings.max_concurrent_requests_per_instance=128', 'request_settings.request_timeout_ms=60000']);
    // The same linear model as ONNX, as a second endpoint with no code.
    fs.writeFileSync(path.join(work, 'onnx.yml'), `name: onnx\nendpoint_name: linear-onnx\nmodel:\n  path: ${onnxDir}\ninstance_count: 1\n`);
    cli(['online-endpoint', 'create', '--name', 'linear-onnx']);
    cli(['online-deployment', 'create', '--file', path.join(work, 'onnx.yml'), '--all-traffic']);
    const keys = JSON.parse(cli(['online-endpoint', 'get-credentials', '--name', 'linear']));
    const onnxKeys = JSON.parse(cli(['online-endpoint', 'get-credentials', '--name', 'linear-onnx']));
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${peerPort}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
        if (r.ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const peerRows = await load(`http://127.0.0.1:${peerPort}`, '/score', {}, BODY);
    const ours = await load(stratus.url, '/endpoints/linear/score', { authorization: `Bearer ${keys.primaryKey}` }, BODY);
    const onnx = await load(stratus.url, '/endpoints/linear-onnx/score', { authorization: `Bearer ${onnxKeys.primaryKey}` }, { input_data: { data: BODY.data } });

    const lines = [
      `Command: \`npm run bench:serving\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's 2-core machine).`,
      '',
      `The same score.py (tests/fixtures/endpoint/code) and model, ${WORKERS} Python workers each: Stratus (key auth, traffic routing)`,
      `against azureml-inference-server-http 1.5.1 (\`azmlinfsrv --worker_count ${WORKERS}\`); and the same linear model as ONNX served`,
      `in-process by Stratus. Closed-loop keep-alive load, ${SECONDS} s per level, after a warm-up; the request scores two rows.`,
      '',
      '| connections | azmlinfsrv req/s | Stratus score.py req/s | ratio | azmlinfsrv p50 / p99 ms | Stratus p50 / p99 ms | Stratus ONNX req/s | ONNX / azmlinfsrv | ONNX p50 / p99 ms |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...LEVELS.map((c, i) => {
        const p = peerRows[i];
        const s = ours[i];
        const o = onnx[i];
        return `| ${c} | ${p.throughput.toFixed(0)} | ${s.throughput.toFixed(0)} | ${(s.throughput / p.throughput).toFixed(1)}× | ${p.p50Ms.toFixed(2)} / ${p.p99Ms.toFixed(2)} | ` +
          `${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} | ${o.throughput.toFixed(0)} | ${(o.throughput / p.throughput).toFixed(1)}× | ${o.p50Ms.toFixed(2)} / ${o.p99Ms.toFixed(2)} |`;
      }),
    ].join('\n');
    console.log(lines);
    writeSection('## Online endpoints: Stratus vs azmlinfsrv, and the ONNX runtime', lines);
  } finally {
    await stratus.stop();
    try {
      process.kill(-peer.pid!, 'SIGTERM');
    } catch {
      peer.kill('SIGTERM');
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

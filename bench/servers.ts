/** Starts the two peers the benchmark compares: `stratus up` and the real `mlflow server`. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');

export interface Peer {
  name: string;
  url: string;
  /** Stratus's data folder (Stratus only). */
  dataDir?: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, proc: ChildProcess, log: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited early:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`server at ${url} did not become healthy:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        proc.kill('SIGTERM');
      }
      setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 10_000).unref();
    });
}

async function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<Peer> {
  const log = path.join(os.tmpdir(), `bench-${name}-${port}.log`);
  const out = fs.openSync(log, 'w');
  const proc = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, proc, log);
  return { name, url, stop: stopper(proc) };
}

/** `store` is empty for SQLite in a fresh data dir, or a PostgreSQL database URL. */
export async function startStratus(store: string | undefined, env: NodeJS.ProcessEnv = {}): Promise<Peer> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stratus-'));
  const args = [path.join(REPO, 'bin/stratus.js'), 'up', '--port', String(port), '--data-dir', dataDir];
  if (store) args.push('--store', store);
  return { ...(await start('stratus', process.execPath, args, env, port)), dataDir };
}

/** The real MLflow tracking server with its default workers and a SQLite or PostgreSQL store. */
export async function startMlflow(store: string | undefined): Promise<Peer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mlflow-'));
  const backend = store ?? `sqlite:///${path.join(dir, 'mlflow.db')}`;
  return start('mlflow', path.join(REPO, '.venv/bin/mlflow'), [
    'server', '--host', '127.0.0.1', '--port', String(port),
    '--backend-store-uri', backend, '--artifacts-destination', path.join(dir, 'artifacts'),
  ], { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' }, port);
}

/**
 * One real `jupyter_server` process for a compute instance: started in its own process group on
 * 127.0.0.1 with a random token, its base URL the path Stratus proxies it under, its root the
 * workspace file share. Every process it starts (kernels start sessions of their own) inherits
 * the compute's marker variable (marked-processes.ts), so a stop finds and ends all of them.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../util/processes.ts';
import { freePort, logTail, MARKER_VAR } from './marked-processes.ts';


export interface JupyterLaunch {
  /** The environment's Python (jupyter_server, ipykernel and the kernel's packages are installed in it). */
  python: string;
  /** Folder whose bin/ goes first on PATH (the environment's prefix). */
  prefix?: string;
  baseUrl: string;
  rootDir: string;
  /** Where Jupyter keeps its runtime, config and data files for this instance. */
  stateDir: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
  /** Distinguishes this start's processes from any other's. */
  marker: string;
  /** Kernels idle this long with no client connected are shut down by Jupyter (0: never). */
  cullIdleKernelsSeconds: number;
}

export interface RunningJupyter {
  pid: number;
  port: number;
  token: string;
}

export async function startJupyter(l: JupyterLaunch): Promise<RunningJupyter> {
  const port = await freePort();
  const token = crypto.randomBytes(24).toString('hex');
  for (const d of ['runtime', 'config', 'data']) fs.mkdirSync(path.join(l.stateDir, d), { recursive: true });
  fs.mkdirSync(path.dirname(l.logFile), { recursive: true });
  const log = fs.openSync(l.logFile, 'a');
  const args = [
    '-m', 'jupyter_server',
    '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, '--ServerApp.port_retries=0',
    `--ServerApp.base_url=${l.baseUrl}`, `--ServerApp.root_dir=${l.rootDir}`,
    '--ServerApp.open_browser=False', '--ServerApp.allow_remote_access=False',
    // Stratus does idle shutdown itself (it sees the proxy's traffic as well as the kernels').
    '--ServerApp.shutdown_no_activity_timeout=0',
    // Jupyter's own culling ends kernels nobody uses any more; a kernel a browser is attached to is kept.
    ...(l.cullIdleKernelsSeconds > 0 ? [
      `--MappingKernelManager.cull_idle_timeout=${Math.round(l.cullIdleKernelsSeconds)}`,
      `--MappingKernelManager.cull_interval=${Math.max(5, Math.min(300, Math.round(l.cullIdleKernelsSeconds / 4)))}`,
      '--MappingKernelManager.cull_connected=False',
    ] : []),
    // Jupyter refuses to run as root unless told; containers and CI often are root.
    ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : []),
  ];
  const child = spawn(l.python, args, {
    cwd: l.rootDir,
    env: {
      ...l.env,
      PATH: l.prefix ? `${path.join(l.prefix, 'bin')}:${l.env.PATH ?? ''}` : l.env.PATH,
      // The token goes by environment, not argv: other users of the host can read argv.
      JUPYTER_TOKEN: token,
      JUPYTER_RUNTIME_DIR: path.join(l.stateDir, 'runtime'),
      JUPYTER_CONFIG_DIR: path.join(l.stateDir, 'config'),
      JUPYTER_DATA_DIR: path.join(l.stateDir, 'data'),
      [MARKER_VAR]: l.marker,
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  child.unref();
  child.on('error', () => undefined);
  if (!child.pid) throw new Error(`could not start ${l.python}`);
  return { pid: child.pid, port, token };
}

/** Waits until Jupyter answers its status API, or says why it never will. */
export async function waitReady(j: RunningJupyter, baseUrl: string, logFile: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(j.pid)) throw new Error(`Jupyter exited while starting: ${logTail(logFile)}`);
    const ok = await fetch(`http://127.0.0.1:${j.port}${baseUrl}api/status`, { headers: { Authorization: `token ${j.token}` } })
      .then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Jupyter did not answer within ${timeoutMs / 1000} s: ${logTail(logFile)}`);
}


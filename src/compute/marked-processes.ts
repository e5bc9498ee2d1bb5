/**
 * Processes a managed compute starts (a Jupyter server and its kernels, Spark's master and
 * workers) carry a marker in their environment: `<workspace>/<compute>/<start>[/<part>]`. A stop,
 * or a restarted server cleaning up, finds them all by it — including kernels and executors that
 * started sessions of their own and so left the compute's process group.
 */
import fs from 'node:fs';
import net from 'node:net';
import { groupAlive, signalGroup } from '../util/processes.ts';

export const MARKER_VAR = 'STRATUS_COMPUTE_INSTANCE';

/** A port that was free a moment ago (Jupyter is told not to retry others, so a race shows as a failed start). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The last lines of a log, for a reason shown to the user. */
export function logTail(file: string, lines = 8): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trim().split('\n').slice(-lines).join('\n').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** Pids of live processes carrying a marker (a Jupyter server and the kernels it started). */
export function markedProcesses(match: (marker: string) => boolean): { pid: number; marker: string }[] {
  const found: { pid: number; marker: string }[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  const needle = `${MARKER_VAR}=`;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${e}/environ`, 'utf8');
    } catch {
      continue;
    }
    const at = environ.indexOf(needle);
    if (at < 0) continue;
    const end = environ.indexOf('\0', at);
    const marker = environ.slice(at + needle.length, end < 0 ? undefined : end);
    if (match(marker)) found.push({ pid: Number(e), marker });
  }
  return found;
}

/**
 * Ends a managed compute's processes: SIGTERM to its process group first (Jupyter then shuts its
 * kernels down itself; Spark's daemons stop), SIGKILL after the grace period to whatever still
 * carries a marker under `marker`.
 */
export async function stopMarked(pid: number | undefined, marker: string, graceMs = 8000): Promise<void> {
  const mine = (m: string) => m === marker || m.startsWith(`${marker}/`);
  if (pid) signalGroup(pid, 'SIGTERM');
  // Processes that started groups of their own (Spark workers, kernels) are asked one by one.
  for (const p of markedProcesses(mine)) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if ((!pid || !groupAlive(pid)) && !markedProcesses(mine).length) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  if (pid) signalGroup(pid, 'SIGKILL');
  for (const p of markedProcesses(mine)) signal(p.pid, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

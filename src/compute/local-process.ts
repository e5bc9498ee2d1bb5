/**
 * The local compute provider: runs a job's command as a child process on this host. The process gets its own process
 * group (so cancel and timeout end the whole tree), writes stdout and stderr straight to files
 * (so it survives a server restart and logs can be followed while it runs), and records its
 * exit code in a file the server reads when it finishes — or after a restart.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Compute } from './compute.ts';
import type { ComputeProvider, Exit, Launch } from './provider.ts';
import type { JobPaths } from './job-paths.ts';
import { groupAlive, processAlive, signalGroup } from '../util/processes.ts';

/** Processes started by this server: their exit is an event, not something to poll for. */
const exits = new Map<number, Promise<void>>();

export function startProcess(paths: JobPaths, command: string, env: NodeJS.ProcessEnv): number {
  fs.mkdirSync(path.dirname(paths.stdout), { recursive: true });
  const out = fs.openSync(paths.stdout, 'a');
  const err = fs.openSync(paths.stderr, 'a');
  // The outer shell records the user's exit code even if the server is gone by then.
  const child = spawn('bash', ['-c', 'bash -c "$STRATUS_COMMAND"; code=$?; echo $code > "$STRATUS_EXIT_FILE"; exit $code'], {
    cwd: paths.workdir,
    env: { ...env, STRATUS_COMMAND: command, STRATUS_EXIT_FILE: paths.exitCode },
    stdio: ['ignore', out, err],
    detached: true,
  });
  fs.closeSync(out);
  fs.closeSync(err);
  child.unref();
  child.on('error', () => undefined);
  if (!child.pid) throw new Error('could not start bash');
  const pid = child.pid;
  exits.set(pid, new Promise((resolve) => child.once('exit', () => {
    exits.delete(pid);
    resolve();
  })));
  return pid;
}

/** True while the process runs; an exited process waiting to be reaped (a zombie) counts as gone. */
export function isAlive(pid: number): boolean {
  return processAlive(pid) && !isZombie(pid);
}

/** Ends the whole process group: SIGTERM, then SIGKILL after a grace period. */
export async function killTree(pid: number, graceMs = 5000): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  signalGroup(pid, 'SIGKILL');
}

/** When the process ended: its exit file's time (it may have ended while the server was down), else now. */
export function exitTime(exitFile: string): number {
  try {
    return Math.min(fs.statSync(exitFile).mtimeMs, Date.now());
  } catch {
    return Date.now();
  }
}

/**
 * Resolves with the exit code once the process is gone: on its exit event when this server
 * started it, by polling when it was re-attached after a restart.
 */
export async function waitForExit(pid: number, exitFile: string, pollMs = 200): Promise<number | null> {
  const exited = exits.get(pid);
  if (exited) await exited;
  else while (isAlive(pid)) await new Promise((r) => setTimeout(r, pollMs));
  try {
    return Number(fs.readFileSync(exitFile, 'utf8').trim());
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Reads a log file from `offset`; returns the new text and the next offset. */
export function readFrom(file: string, offset: number, max = 256 * 1024): { data: string; offset: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { data: '', offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (offset >= size) return { data: '', offset };
    const len = Math.min(max, size - offset);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, offset);
    // Do not split a UTF-8 character across reads: stop before an incomplete last one.
    let end = len;
    for (let i = 1; i <= Math.min(3, len); i++) {
      const b = buf[len - i];
      if ((b & 0xc0) === 0x80) continue;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (need > i) end = len - i;
      break;
    }
    return { data: buf.subarray(0, end).toString('utf8'), offset: offset + end };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The local pools: jobs run as process groups on this host. `computeinstance` is a pool here too
 * until compute instances get a provider of their own.
 */
export class LocalProcessProvider implements ComputeProvider {
  readonly types: readonly string[] = ['local', 'amlcompute', 'computeinstance'];

  async provision(): Promise<void> {}
  async deprovision(): Promise<void> {}
  async describe(): Promise<Record<string, unknown>> {
    return {};
  }

  async launch(_compute: Compute, { paths, command, env }: Launch): Promise<number> {
    return startProcess(paths, command, env);
  }

  isRunning(pid: number): boolean {
    return isAlive(pid);
  }

  async waitForExit(pid: number, paths: JobPaths): Promise<Exit> {
    const code = await waitForExit(pid, paths.exitCode);
    return { code, endedAt: Math.round(exitTime(paths.exitCode)) };
  }

  cancel(pid: number, graceMs?: number): Promise<void> {
    return killTree(pid, graceMs);
  }
}

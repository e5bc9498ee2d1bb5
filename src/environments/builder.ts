/**
 * Builds Python environments as virtual environments (venv + pip) and caches them by the
 * content hash of their spec: a second job with the same environment starts with no build.
 * The build log is kept beside the environment.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PythonEnvSpec } from './conda.ts';
import { childEnv } from '../util/child-env.ts';
import { commandLine, processAlive, signalGroup } from '../util/processes.ts';

export interface BuiltEnvironment {
  /** Folder whose bin/ goes first on PATH; undefined for the host Python. */
  prefix?: string;
  python: string;
  cached: boolean;
  logFile?: string;
  hash: string;
  warnings: string[];
}

const MARKER = '.stratus-env-complete';

/**
 * `<prefix>.build.lock` says which server builds an environment and the process group of the
 * step running now. A build is owned: a server that finds the lock of a dead server kills that
 * server's leftover venv/pip group before it starts again in the same folder; it waits for a
 * live one (two workspaces of one user share the cache). Only the marker makes a build usable.
 */
interface BuildLock { server: number; group?: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function specHash(spec: PythonEnvSpec, python: string): string {
  return crypto.createHash('sha256').update(JSON.stringify({ python, requirements: spec.requirements })).digest('hex').slice(0, 24);
}

/** Host Python interpreters on PATH, by version ("3.11" → "python3.11"). */
function hostPythons(): Map<string, string> {
  const found = new Map<string, string>();
  for (const minor of [8, 9, 10, 11, 12, 13, 14]) {
    const exe = `python3.${minor}`;
    const r = spawnSync(exe, ['-c', 'import venv'], { stdio: 'ignore' });
    if (r.status === 0) found.set(`3.${minor}`, exe);
  }
  return found;
}

let pythonsCache: Map<string, string> | undefined;

/** The interpreter for a requested version: exact if the host has it, else the closest, with a warning. */
export function choosePython(requested: string | undefined, warnings: string[]): string {
  pythonsCache ??= hostPythons();
  if (!requested) return 'python3';
  const exact = pythonsCache.get(requested);
  if (exact) return exact;
  const want = Number(requested.split('.')[1] ?? 0);
  let best: [string, string] | undefined;
  for (const [v, exe] of pythonsCache) {
    if (!best || Math.abs(Number(v.split('.')[1]) - want) < Math.abs(Number(best[0].split('.')[1]) - want)) best = [v, exe];
  }
  if (!best) return 'python3';
  warnings.push(`Python ${requested} is not installed on this host; using Python ${best[0]}, the closest available.`);
  return best[1];
}

export class EnvironmentBuilder {
  private building = new Map<string, Promise<BuiltEnvironment>>();

  constructor(readonly cacheDir: string) {
    fs.mkdirSync(cacheDir, { recursive: true });
  }

  /** Whether a spec's environment is built, being built, or failed to build, with its build log. */
  status(spec: PythonEnvSpec): { hash: string; state: 'built' | 'building' | 'failed' | 'not built'; log?: string } {
    const hash = specHash(spec, choosePython(spec.python, []));
    const prefix = path.join(this.cacheDir, hash);
    const logFile = `${prefix}.build.log`;
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-200_000) : undefined;
    if (fs.existsSync(path.join(prefix, MARKER))) return { hash, state: 'built', log };
    if (this.building.has(hash)) return { hash, state: 'building', log };
    return { hash, state: log ? 'failed' : 'not built', log };
  }

  /** Returns a ready environment, building it once; `onLog` receives build output as it comes. */
  ensure(spec: PythonEnvSpec, onLog: (text: string) => void): Promise<BuiltEnvironment> {
    const warnings = [...spec.warnings];
    const python = choosePython(spec.python, warnings);
    const hash = specHash(spec, python);
    const prefix = path.join(this.cacheDir, hash);
    const logFile = `${prefix}.build.log`;
    if (fs.existsSync(path.join(prefix, MARKER))) {
      return Promise.resolve({ prefix, python: path.join(prefix, 'bin', 'python'), cached: true, logFile, hash, warnings });
    }
    let pending = this.building.get(hash);
    if (!pending) {
      pending = this.build(spec, python, prefix, logFile, onLog).then(() => ({
        prefix, python: path.join(prefix, 'bin', 'python'), cached: false, logFile, hash, warnings,
      }));
      this.building.set(hash, pending);
      pending.finally(() => this.building.delete(hash)).catch(() => undefined);
    }
    return pending;
  }

  /** Takes the build lock of `prefix`; false when another live server finished the build meanwhile. */
  private async claim(prefix: string): Promise<boolean> {
    const lockFile = `${prefix}.build.lock`;
    for (;;) {
      let lock: BuildLock | undefined;
      try {
        lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as BuildLock;
      } catch {
        lock = undefined;
      }
      if (lock && lock.server !== process.pid && processAlive(lock.server)) {
        await sleep(1000);
        if (fs.existsSync(path.join(prefix, MARKER))) return false;
        continue;
      }
      // Left by a server that died mid-build: end its builder, whose command line names this folder.
      if (lock?.group && commandLine(lock.group).includes(prefix)) signalGroup(lock.group, 'SIGKILL');
      fs.writeFileSync(lockFile, JSON.stringify({ server: process.pid } satisfies BuildLock));
      return true;
    }
  }

  private async build(spec: PythonEnvSpec, python: string, prefix: string, logFile: string, onLog: (t: string) => void): Promise<void> {
    if (!(await this.claim(prefix))) return;
    const lockFile = `${prefix}.build.lock`;
    fs.rmSync(prefix, { recursive: true, force: true });
    const log = fs.createWriteStream(logFile);
    const emit = (text: string) => {
      log.write(text);
      onLog(text);
    };
    // pip's own reason (its `ERROR:` lines) is what a failed build is reported by.
    const errors: string[] = [];
    const step = (cmd: string, args: string[]) =>
      new Promise<void>((resolve, reject) => {
        emit(`$ ${cmd} ${args.join(' ')}\n`);
        // Its own process group, recorded in the lock, so a later server can end it whole.
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1' }), detached: true });
        if (child.pid) fs.writeFileSync(lockFile, JSON.stringify({ server: process.pid, group: child.pid } satisfies BuildLock));
        child.stdout.on('data', (d) => emit(d.toString()));
        child.stderr.on('data', (d) => {
          const text = d.toString();
          emit(text);
          for (const line of text.split('\n')) if (/^ERROR: /.test(line) && errors.length < 5) errors.push(line.trim());
        });
        child.on('error', (err) => reject(err));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`'${cmd} ${args[0]}' exited with code ${code}`))));
      });
    try {
      await step(python, ['-m', 'venv', prefix]);
      if (spec.requirements.length) {
        const req = path.join(prefix, 'stratus-requirements.txt');
        fs.writeFileSync(req, spec.requirements.join('\n') + '\n');
        await step(path.join(prefix, 'bin', 'python'), ['-m', 'pip', 'install', '--progress-bar', 'off', '-r', req]);
      }
      fs.writeFileSync(path.join(prefix, MARKER), JSON.stringify({ python, requirements: spec.requirements, built_at: new Date().toISOString() }));
      emit('environment ready\n');
    } catch (err) {
      emit(`environment build failed: ${(err as Error).message}\n`);
      fs.rmSync(prefix, { recursive: true, force: true });
      const why = errors.length ? errors.join('\n') : (err as Error).message;
      throw new Error(`Environment build failed:\n${why}\n(the whole build log: stratus job show, its Logs; on the server: ${logFile})`);
    } finally {
      log.end();
      fs.rmSync(lockFile, { force: true });
    }
  }
}

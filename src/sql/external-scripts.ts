/**
 * sp_execute_external_script's runtime, with SQL Server's governance: off until enabled (its
 * `external scripts enabled`), a bound on scripts running at once, and per script a time limit,
 * a memory and a CPU-time cap, and no network (a network namespace of its own with only
 * loopback, where this host allows one). Python scripts run in the curated stratus-sql-python
 * environment (python/stratus_sql/external_script.py), their data coming and going as Parquet;
 * R scripts in the host's R (external_script.R), their data as CSV, which base R reads.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentBuilder } from '../environments/builder.ts';
import { CURATED } from '../environments/curated.ts';
import type { ExternalScriptCall } from '../specs/external-script-sql.ts';
import { childEnv } from '../util/child-env.ts';
import { HARNESS } from '../util/python-harness.ts';
import { invalid, StratusError } from '../util/errors.ts';

export interface ScriptGovernance {
  enabled: boolean;
  maxConcurrent: number;
  timeoutMs: number;
  memoryMb: number;
  cpuSeconds: number;
  /** `isolated`: no network but loopback; `host`: the host's network (and so the workspace's MLflow). */
  network: 'isolated' | 'host';
}

export function governanceFromEnv(env = process.env): ScriptGovernance {
  return {
    enabled: env.STRATUS_SQL_EXTERNAL_SCRIPTS === '1',
    maxConcurrent: Number(env.STRATUS_SQL_SCRIPT_MAX_CONCURRENT ?? 2),
    timeoutMs: Number(env.STRATUS_SQL_SCRIPT_TIMEOUT_SECONDS ?? 600) * 1000,
    memoryMb: Number(env.STRATUS_SQL_SCRIPT_MEMORY_MB ?? 4096),
    cpuSeconds: Number(env.STRATUS_SQL_SCRIPT_CPU_SECONDS ?? 3600),
    network: env.STRATUS_SQL_SCRIPT_NETWORK === 'host' ? 'host' : 'isolated',
  };
}

/** Whether this host lets a process have a network namespace of its own (root, or unprivileged user namespaces). */
function isolationCommand(): string[] | undefined {
  for (const args of [['-n'], ['-rn']]) {
    try {
      execFileSync('unshare', [...args, 'true'], { stdio: 'ignore', timeout: 5000 });
      return ['unshare', ...args];
    } catch { /* not allowed here */ }
  }
  return undefined;
}

export interface ScriptRun { output?: string; messages: string[] }

export class ExternalScripts {
  private running = 0;
  private waiting: (() => void)[] = [];
  private isolation?: string[] | null;

  constructor(private builder: EnvironmentBuilder, private tracking: () => Record<string, string>, readonly governance: ScriptGovernance = governanceFromEnv()) {}

  assertEnabled(): void {
    if (!this.governance.enabled) {
      throw invalid("'sp_execute_external_script' is disabled on this workspace, as SQL Server ships it ('external scripts enabled' is 0). Start the server with STRATUS_SQL_EXTERNAL_SCRIPTS=1 to enable it.");
    }
  }

  /** Checks the call can run here and builds its environment (before the query's clock starts). */
  async ready(call: ExternalScriptCall): Promise<void> {
    this.assertEnabled();
    if (call.language === 'R') {
      if (!commandExists('Rscript')) throw invalid("@language = N'R' needs R on this host (Debian: apt-get install r-base-core r-cran-jsonlite).");
      return;
    }
    await this.builder.ensure(CURATED['stratus-sql-python'], () => undefined);
  }

  /** The file format data goes to and from a script in: Parquet for Python (pandas), CSV for R (base R reads it). */
  static formatOf(call: ExternalScriptCall): 'parquet' | 'csv' {
    return call.language === 'R' ? 'csv' : 'parquet';
  }

  /** Runs the script over `input` (its input query's rows, if any) in `dir`; the output is a file there in the same format. */
  async run(call: ExternalScriptCall, input: string | undefined, dir: string, signal?: AbortSignal): Promise<ScriptRun> {
    // The caller has made it ready (environment built); the switch may not have changed since.
    this.assertEnabled();
    await this.slot();
    try {
      const format = ExternalScripts.formatOf(call);
      const job = {
        script: call.script, params: call.params, input, input_name: call.inputName, output_name: call.outputName,
        output: path.join(dir, `output.${format}`), messages: path.join(dir, 'messages.txt'),
        memory_bytes: this.governance.memoryMb * 1024 * 1024, cpu_seconds: this.governance.cpuSeconds,
      };
      fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify(job));
      const messages: string[] = [];
      let wrap: string[] = [];
      if (this.governance.network === 'isolated') {
        if (this.isolation === undefined) this.isolation = isolationCommand() ?? null;
        if (this.isolation) wrap = this.isolation;
        else messages.push('This host allows no network namespace: the script ran with the host\'s network.');
      }
      const interpreter = call.language === 'R' ? this.rCommand(job) : await this.pythonCommand(dir);
      const cmd = [...wrap, ...interpreter.cmd];
      const env = childEnv({
        ...interpreter.env,
        // Few threads and malloc arenas, so the memory cap measures the script's data, not reserved address space.
        MALLOC_ARENA_MAX: '2', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1',
        // MLflow is preconfigured where the script can reach the workspace.
        ...(this.governance.network === 'host' || !this.isolation ? this.tracking() : {}),
      });
      const { code, stderr, timedOut } = await runProcess(cmd, env, dir, this.governance.timeoutMs, signal);
      const printed = fs.existsSync(job.messages) ? fs.readFileSync(job.messages, 'utf8') : '';
      messages.push(...printed.split('\n').filter((l) => l.length));
      if (timedOut) throw invalid(`The external script ran longer than ${this.governance.timeoutMs / 1000} s and was stopped (STRATUS_SQL_SCRIPT_TIMEOUT_SECONDS).`);
      if (signal?.aborted) throw invalid('The query was cancelled; its script was stopped.');
      if (code !== 0) {
        const tail = stderr.trim().slice(-4000);
        if (code === 3 || /MemoryError/.test(tail)) throw new StratusError('RESOURCE_EXHAUSTED', `The external script went over its memory limit (${this.governance.memoryMb} MB, STRATUS_SQL_SCRIPT_MEMORY_MB) and was stopped.\n${tail}`);
        throw invalid(`An external script error occurred:\n${tail || `the script ended with exit code ${code}`}`);
      }
      return { output: fs.existsSync(job.output) ? job.output : undefined, messages };
    } finally {
      this.release();
    }
  }

  private async pythonCommand(dir: string): Promise<{ cmd: string[]; env: Record<string, string | undefined> }> {
    const built = await this.builder.ensure(CURATED['stratus-sql-python'], () => undefined);
    return {
      cmd: [built.python, '-m', 'stratus_sql.external_script', path.join(dir, 'job.json')],
      env: { PYTHONPATH: HARNESS, PYTHONUNBUFFERED: '1', ...(built.prefix ? { VIRTUAL_ENV: built.prefix, PATH: `${path.join(built.prefix, 'bin')}:${process.env.PATH ?? ''}` } : {}) },
    };
  }

  /** R has no setrlimit of its own: prlimit caps the process before R starts. */
  private rCommand(job: { memory_bytes: number; cpu_seconds: number }): { cmd: string[]; env: Record<string, string | undefined> } {
    const limits = commandExists('prlimit') ? ['prlimit', `--as=${job.memory_bytes}`, `--cpu=${job.cpu_seconds}`] : [];
    return { cmd: [...limits, 'Rscript', '--vanilla', path.join(HARNESS, 'stratus_sql', 'external_script.R'), 'job.json'], env: {} };
  }

  private async slot(): Promise<void> {
    if (this.running < this.governance.maxConcurrent) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

function commandExists(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function runProcess(cmd: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-100_000); });
    const kill = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
    const timer = setTimeout(() => { timedOut = true; kill(); }, timeoutMs);
    signal?.addEventListener('abort', kill);
    child.on('error', (err) => { stderr += err.message; });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      resolve({ code, stderr, timedOut });
    });
  });
}

/**
 * Compute instances (Azure ML's `computeinstance`): each is a real Jupyter server with Python
 * (and, where installed, R) kernels, rooted at the workspace file share, reached through the
 * workspace's own port (server/jupyter-proxy.ts). This service owns their life: Creating →
 * Running ⇄ Stopping → Stopped, Failed with the reason; setup scripts; idle shutdown;
 * start/stop schedules; and reconciling after a server restart so no Jupyter or kernel process
 * is left without an owner.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Db } from '../store/db.ts';
import type { CreateCompute } from '../specs/assets.ts';
import type { EnvironmentBuilder, BuiltEnvironment } from '../environments/builder.ts';
import type { RegisteredEnvironments } from '../environments/resolve.ts';
import { NOTEBOOK_ENVIRONMENT, withJupyter } from '../environments/notebook.ts';
import { childEnv } from '../util/child-env.ts';
import { invalid, notFound } from '../util/errors.ts';
import { nextSlot, readTrigger, type Trigger } from '../util/triggers.ts';
import { killTree } from './local-process.ts';
import { logTail, markedProcesses, startJupyter, stopJupyter, waitReady } from './jupyter-server.ts';
import { groupAlive } from '../util/processes.ts';

export type InstanceSettings = Pick<z.infer<typeof CreateCompute>, 'size' | 'idle_time_before_shutdown_minutes' | 'kernel_idle_timeout_minutes' | 'environment' | 'schedules' | 'setup_scripts'>;

/** Kernels with no client attached are culled after this long unless the instance says otherwise. */
const DEFAULT_KERNEL_CULL_MINUTES = 120;
export type InstanceState = 'Creating' | 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Restarting' | 'Failed' | 'Deleting';

interface InstanceRow {
  name: string; settings: string; state: InstanceState; reason: string | null; pid: number | null; port: number | null;
  token: string | null; marker: string | null; started_at: number | null; created_at: number; setup_done: number;
}

/** What the proxy needs to reach a running instance. */
export interface InstanceTarget { port: number; token: string; baseUrl: string }

export interface InstanceContext {
  /** The workspace URL clients use (endpoint_uri is built on it). */
  publicUrl: string;
  /** The tracking URI and credentials kernels log to MLflow with. */
  trackingUri: string;
  trackingEnv: Record<string, string>;
}

/**
 * Runs in every Python kernel before the first cell: MLflow runs the notebook starts are tagged
 * with the notebook's path in the share (MLflow reads MLFLOW_RUN_CONTEXT at each run's start),
 * whatever client opened it — the studio, JupyterLab or VS Code.
 */
const STARTUP_HOOK = `def _stratus_tag_runs():
    import json, os
    notebook = os.environ.get("JPY_SESSION_NAME")
    if not notebook or "MLFLOW_RUN_CONTEXT" in os.environ:
        return
    root = os.environ.get("STRATUS_SHARE_ROOT", "")
    rel = os.path.relpath(notebook, root) if root and os.path.isabs(notebook) else notebook
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps({"mlflow.source.name": rel, "mlflow.source.type": "NOTEBOOK", "stratus.notebook": rel, "stratus.compute": os.environ.get("STRATUS_COMPUTE_NAME", "")})
_stratus_tag_runs()
del _stratus_tag_runs
`;

function writeStartupHook(ipythonDir: string): void {
  const dir = path.join(ipythonDir, 'profile_default', 'startup');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '00-stratus-notebook.py'), STARTUP_HOOK);
}

export function instanceBaseUrl(name: string): string {
  return `/compute-instances/${encodeURIComponent(name)}/jupyter/`;
}

export class ComputeInstances {
  private ctx?: InstanceContext;
  /** Last request the proxy forwarded to each instance: activity Jupyter's own clock does not see. */
  private proxyActivity = new Map<string, number>();
  /** One lifecycle operation at a time per instance; later ones wait for it. */
  private busy = new Map<string, Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private lastScheduleCheck = Date.now();
  /** Identifies this workspace's processes among others on the host (several workspaces may run). */
  private readonly workspaceId: string;

  constructor(
    private db: Db,
    private builder: EnvironmentBuilder,
    private environments: RegisteredEnvironments,
    private dir: string,
    /** The workspace file share: Jupyter's root. */
    readonly shareDir: string,
  ) {
    this.workspaceId = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 12);
    fs.mkdirSync(path.join(shareDir, 'Users'), { recursive: true });
  }

  /** Called once the server listens: reconciles what a previous server left, then watches idleness and schedules. */
  async start(ctx: InstanceContext): Promise<void> {
    this.ctx = ctx;
    await this.reconcile();
    const idleTimer = setInterval(() => void this.checkIdle().catch(() => undefined), 5_000);
    const scheduleTimer = setInterval(() => void this.checkSchedules().catch(() => undefined), 5_000);
    idleTimer.unref();
    scheduleTimer.unref();
    this.timers.push(idleTimer, scheduleTimer);
  }

  /** Stops watching; running instances keep running (like jobs) and the next server adopts them. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([...this.busy.values()].map((p) => p.catch(() => undefined)));
  }

  async create(name: string, settings: InstanceSettings): Promise<void> {
    if (settings.schedules) for (const s of settings.schedules.compute_start_stop) readTrigger(s.trigger);
    await this.db.run(
      `INSERT INTO compute_instances (name, settings, state, created_at, setup_done) VALUES (?, ?, 'Creating', ?, 0)`,
      [name, JSON.stringify(settings), Date.now()],
    );
    this.operate(name, () => this.boot(name));
  }

  async describe(name: string): Promise<Record<string, unknown>> {
    const row = await this.row(name);
    const settings = JSON.parse(row.settings) as InstanceSettings;
    const base = `${this.ctx?.publicUrl ?? ''}${instanceBaseUrl(name)}`;
    const idle = settings.idle_time_before_shutdown_minutes;
    return {
      state: row.state,
      ...(row.reason ? { state_reason: row.reason } : {}),
      size: settings.size ?? 'local',
      idle_time_before_shutdown_minutes: idle,
      idle_time_before_shutdown: idle ? `PT${Math.round(idle * 60)}S` : undefined,
      kernel_idle_timeout_minutes: settings.kernel_idle_timeout_minutes ?? DEFAULT_KERNEL_CULL_MINUTES,
      environment: settings.environment ?? 'stratus-notebook (Jupyter, ipykernel, MLflow, scikit-learn, pandas, matplotlib)',
      schedules: settings.schedules,
      setup_scripts: settings.setup_scripts && Object.fromEntries(Object.entries(settings.setup_scripts).map(([k, v]) => [k, { command: v?.command, timeout_minutes: v?.timeout_minutes, script: v?.script ? `${v.script.length} characters` : undefined }])),
      services: row.state === 'Running' ? [
        { display_name: 'Jupyter', endpoint_uri: `${base}tree` },
        { display_name: 'Jupyter Lab', endpoint_uri: `${base}lab` },
      ] : [],
      last_activity: row.state === 'Running' ? new Date(await this.lastActivity(row)).toISOString() : undefined,
      log: path.join(this.instanceDir(name), 'jupyter.log'),
    };
  }

  startInstance(name: string): Promise<void> {
    return this.transition(name, ['Stopped', 'Failed'], 'Starting', () => this.boot(name));
  }

  stopInstance(name: string, reason = 'Stopped by a user.'): Promise<void> {
    return this.transition(name, ['Running', 'Failed'], 'Stopping', () => this.halt(name, reason));
  }

  restartInstance(name: string): Promise<void> {
    return this.transition(name, ['Running', 'Stopped', 'Failed'], 'Restarting', async () => {
      await this.halt(name, 'Restarting.', 'Restarting');
      await this.boot(name);
    });
  }

  async delete(name: string): Promise<void> {
    await this.row(name);
    await this.busy.get(name)?.catch(() => undefined);
    await this.halt(name, 'Deleting.', 'Deleting');
    await this.db.run('DELETE FROM compute_instances WHERE name = ?', [name]);
    this.proxyActivity.delete(name);
  }

  /** Where the proxy sends an instance's requests; it must be Running. */
  async target(name: string): Promise<InstanceTarget> {
    const row = await this.db.get<InstanceRow>('SELECT * FROM compute_instances WHERE name = ?', [name]);
    if (!row) throw notFound(`Compute instance '${name}' does not exist. List them with: stratus compute list`);
    if (row.state !== 'Running' || !row.port || !row.token) {
      throw invalid(`Compute instance '${name}' is ${row.state}${row.reason ? ` (${row.reason})` : ''}; start it with: stratus compute start --name ${name}`);
    }
    return { port: Number(row.port), token: row.token, baseUrl: instanceBaseUrl(name) };
  }

  /** The proxy reports each forwarded request or WebSocket message. */
  touch(name: string): void {
    this.proxyActivity.set(name, Date.now());
  }

  /** Resolves when no lifecycle operation is under way (tests). */
  async settled(name: string): Promise<void> {
    while (this.busy.has(name)) await this.busy.get(name)!.catch(() => undefined);
  }

  private instanceDir(name: string): string {
    return path.join(this.dir, name);
  }

  private async row(name: string): Promise<InstanceRow> {
    const row = await this.db.get<InstanceRow>('SELECT * FROM compute_instances WHERE name = ?', [name]);
    if (!row) throw notFound(`Compute instance '${name}' does not exist. List them with: stratus compute list`);
    return row;
  }

  private async setState(name: string, state: InstanceState, reason: string | null, extra: Partial<Pick<InstanceRow, 'pid' | 'port' | 'token' | 'marker' | 'started_at' | 'setup_done'>> = {}): Promise<void> {
    const cols = Object.keys(extra);
    await this.db.run(
      `UPDATE compute_instances SET state = ?, reason = ?${cols.map((c) => `, ${c} = ?`).join('')} WHERE name = ?`,
      [state, reason, ...cols.map((c) => (extra as Record<string, string | number | null | undefined>)[c] ?? null), name],
    );
  }

  /** Checks the instance may make this move now, marks it, and runs the work in the background. */
  private async transition(name: string, from: InstanceState[], via: InstanceState, work: () => Promise<void>): Promise<void> {
    await this.busy.get(name)?.catch(() => undefined);
    const row = await this.row(name);
    if (!from.includes(row.state)) {
      throw invalid(`Compute instance '${name}' is ${row.state}; it can be ${via === 'Starting' ? 'started' : via === 'Stopping' ? 'stopped' : 'restarted'} only when ${from.join(' or ')}.`);
    }
    await this.setState(name, via, null);
    this.operate(name, work);
  }

  private operate(name: string, work: () => Promise<void>): void {
    const run = work().catch(async (err) => {
      await this.setState(name, 'Failed', (err as Error).message.slice(0, 4000)).catch(() => undefined);
    }).finally(() => {
      if (this.busy.get(name) === run) this.busy.delete(name);
    });
    this.busy.set(name, run);
  }

  /** Builds the environment, runs setup scripts, starts Jupyter and waits for it to answer. */
  private async boot(name: string): Promise<void> {
    if (!this.ctx) throw new Error('the workspace server has not started yet');
    const row = await this.row(name);
    const settings = JSON.parse(row.settings) as InstanceSettings;
    const dir = this.instanceDir(name);
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, 'jupyter.log');
    const log = (text: string) => fs.appendFileSync(logFile, text);
    log(`\n=== ${new Date().toISOString()} starting ${name}\n`);
    const env = await this.environment(settings, log);
    const childBase = childEnv({
      MLFLOW_TRACKING_URI: this.ctx.trackingUri, ...this.ctx.trackingEnv, STRATUS_COMPUTE_NAME: name,
      STRATUS_SHARE_ROOT: this.shareDir, IPYTHONDIR: path.join(dir, 'state', 'ipython'),
    });
    const scripts = settings.setup_scripts ?? {};
    if (!row.setup_done && scripts.creation_script) await this.runScript(name, 'creation_script', scripts.creation_script, env, childBase, log);
    if (!row.setup_done) await this.setState(name, row.state, null, { setup_done: 1 });
    if (scripts.startup_script) await this.runScript(name, 'startup_script', scripts.startup_script, env, childBase, log);
    const marker = `${this.workspaceId}/${name}/${crypto.randomBytes(6).toString('hex')}`;
    const baseUrl = instanceBaseUrl(name);
    writeStartupHook(path.join(dir, 'state', 'ipython'));
    const jupyter = await startJupyter({
      python: env.python, prefix: env.prefix, baseUrl, rootDir: this.shareDir, stateDir: path.join(dir, 'state'), logFile, env: childBase, marker,
      cullIdleKernelsSeconds: (settings.kernel_idle_timeout_minutes ?? DEFAULT_KERNEL_CULL_MINUTES) * 60,
    });
    await this.setState(name, (await this.row(name)).state, null, { pid: jupyter.pid, port: jupyter.port, token: jupyter.token, marker });
    try {
      await waitReady(jupyter, baseUrl, logFile);
    } catch (err) {
      await stopJupyter(jupyter.pid, marker, 2000);
      throw err;
    }
    this.proxyActivity.set(name, Date.now());
    await this.setState(name, 'Running', null, { started_at: Date.now() });
  }

  private async environment(settings: InstanceSettings, log: (t: string) => void): Promise<BuiltEnvironment> {
    let spec = NOTEBOOK_ENVIRONMENT;
    if (settings.environment) {
      const m = /^azureml:([^:@]+)(?::([^@]+)|@(.+))?$/.exec(settings.environment);
      if (!m) throw invalid(`Invalid environment '${settings.environment}': use azureml:<name>:<version> or azureml:<name>@latest.`);
      const registered = await this.environments.pythonSpec(m[1], m[2], m[3] ?? (m[2] ? undefined : 'latest'));
      if (!registered) throw invalid(`Environment '${settings.environment}' has no conda file, so there is no Python to add Jupyter to.`);
      spec = withJupyter(registered);
    }
    return this.builder.ensure(spec, log);
  }

  private async runScript(
    name: string, which: string, s: NonNullable<NonNullable<InstanceSettings['setup_scripts']>['creation_script']>,
    env: BuiltEnvironment, base: NodeJS.ProcessEnv, log: (t: string) => void,
  ): Promise<void> {
    const dir = this.instanceDir(name);
    let command = s.command ?? '';
    if (s.script !== undefined) {
      const file = path.join(dir, `${which}.sh`);
      fs.writeFileSync(file, s.script, { mode: 0o700 });
      command = s.command ? `${s.command} ${JSON.stringify(file)}` : `bash ${JSON.stringify(file)}`;
    }
    if (!command.trim()) return;
    log(`--- ${which}: ${command}\n`);
    const logFile = path.join(dir, 'jupyter.log');
    const out = fs.openSync(logFile, 'a');
    const child = spawn('bash', ['-c', command], {
      cwd: this.shareDir, detached: true, stdio: ['ignore', out, out],
      env: { ...base, PATH: env.prefix ? `${path.join(env.prefix, 'bin')}:${base.PATH ?? ''}` : base.PATH },
    });
    fs.closeSync(out);
    const limitMs = (s.timeout_minutes ?? 15) * 60_000;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => void killTree(child.pid!, 2000), limitMs);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
      child.once('error', () => resolve(127));
    });
    if (code !== 0) {
      throw new Error(`The ${which.replace('_', ' ')} ${code === null ? `ran past its ${s.timeout_minutes ?? 15}-minute timeout` : `exited with code ${code}`}: ${logTail(logFile, 5)}`);
    }
  }

  /** Stops Jupyter and its kernels; the instance ends `Stopped` with why (or stays in `keep` while restarting/deleting). */
  private async halt(name: string, reason: string, keep?: InstanceState): Promise<void> {
    const row = await this.row(name);
    await this.setState(name, keep ?? 'Stopping', null);
    if (row.marker) await stopJupyter(row.pid ?? undefined, row.marker);
    await this.setState(name, keep ?? 'Stopped', keep ? null : reason, { pid: null, port: null, token: null, marker: null, started_at: null });
  }

  /**
   * After a restart: an instance whose Jupyter still answers is adopted as it is; one that was
   * meant to run but is gone is started again; one caught half-way is finished; and any process
   * of this workspace's instances that no row owns any more is ended.
   */
  private async reconcile(): Promise<void> {
    const rows = await this.db.all<InstanceRow>('SELECT * FROM compute_instances');
    const owned = new Set(rows.map((r) => r.marker).filter(Boolean));
    const strays = markedProcesses((m) => m.startsWith(`${this.workspaceId}/`) && !owned.has(m));
    for (const marker of new Set(strays.map((s) => s.marker))) await stopJupyter(undefined, marker, 3000);
    for (const row of rows) {
      const alive = !!row.pid && groupAlive(Number(row.pid)) && !!row.port && await fetch(`http://127.0.0.1:${row.port}${instanceBaseUrl(row.name)}api/status`, {
        headers: { Authorization: `token ${row.token}` },
      }).then((r) => r.ok, () => false);
      if (row.state === 'Running' && alive) continue;
      if (row.state === 'Stopped' || row.state === 'Failed') {
        if (row.marker) await stopJupyter(row.pid ?? undefined, row.marker, 3000);
        continue;
      }
      if (row.state === 'Stopping' || row.state === 'Deleting') {
        this.operate(row.name, () => this.halt(row.name, 'Stopped by a user.'));
        continue;
      }
      // Running (but gone), Creating, Starting or Restarting: bring it up again, as a managed instance would be.
      if (row.marker) await stopJupyter(row.pid ?? undefined, row.marker, 3000);
      await this.setState(row.name, 'Starting', 'The workspace server restarted; starting Jupyter again.');
      this.operate(row.name, () => this.boot(row.name));
    }
  }

  /** The latest of: the proxy's last request, any kernel's last activity, the start itself. */
  private async lastActivity(row: InstanceRow): Promise<number> {
    let latest = Math.max(Number(row.started_at ?? 0), this.proxyActivity.get(row.name) ?? 0);
    const kernels = await this.kernels(row);
    for (const k of kernels) {
      if (k.execution_state === 'busy' || k.execution_state === 'starting') return Date.now();
      const t = Date.parse(k.last_activity ?? '');
      if (Number.isFinite(t)) latest = Math.max(latest, t);
    }
    return latest;
  }

  private async kernels(row: InstanceRow): Promise<{ execution_state?: string; last_activity?: string }[]> {
    if (!row.port || !row.token) return [];
    return fetch(`http://127.0.0.1:${row.port}${instanceBaseUrl(row.name)}api/kernels`, { headers: { Authorization: `token ${row.token}` } })
      .then((r) => (r.ok ? r.json() : []), () => []) as Promise<{ execution_state?: string; last_activity?: string }[]>;
  }

  private async checkIdle(): Promise<void> {
    const rows = await this.db.all<InstanceRow>(`SELECT * FROM compute_instances WHERE state = 'Running'`);
    for (const row of rows) {
      if (this.busy.has(row.name)) continue;
      const minutes = (JSON.parse(row.settings) as InstanceSettings).idle_time_before_shutdown_minutes;
      if (!minutes) continue;
      const idleMs = Date.now() - await this.lastActivity(row);
      if (idleMs >= minutes * 60_000) {
        await this.stopInstance(row.name, `Idle shutdown: no kernel activity for ${minutes} minute${minutes === 1 ? '' : 's'}.`).catch(() => undefined);
      }
    }
  }

  /** Fires `schedules.compute_start_stop` slots that fell due since the last check. */
  private async checkSchedules(): Promise<void> {
    const since = this.lastScheduleCheck;
    const now = Date.now();
    this.lastScheduleCheck = now;
    const rows = await this.db.all<InstanceRow>('SELECT * FROM compute_instances');
    for (const row of rows) {
      const settings = JSON.parse(row.settings) as InstanceSettings;
      for (const s of settings.schedules?.compute_start_stop ?? []) {
        if (s.state === 'disabled') continue;
        const slot = nextSlot(readTrigger(s.trigger) as Trigger, since, Number(row.created_at));
        if (slot === undefined || slot > now) continue;
        if (s.action === 'stop' && row.state === 'Running') await this.stopInstance(row.name, `Stopped by its schedule at ${new Date(slot).toISOString()}.`).catch(() => undefined);
        if (s.action === 'start' && (row.state === 'Stopped' || row.state === 'Failed')) await this.startInstance(row.name).catch(() => undefined);
      }
    }
  }
}

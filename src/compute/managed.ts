/**
 * Computes Stratus runs processes for — compute instances (Jupyter) and Spark clusters — share
 * one life: Creating → Running ⇄ Stopping → Stopped, Starting, Restarting, Failed with the
 * reason; idle shutdown; start/stop schedules; and reconciling after a server restart so that no
 * process is left without an owner. This engine owns that life and the rows that record it; what
 * a kind of compute starts, how it tells it is in use and what `show` adds is its runtime's
 * (jupyter-runtime.ts, spark-runtime.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.ts';
import { invalid, notFound } from '../util/errors.ts';
import { nextSlot, readTrigger, type Trigger } from '../util/triggers.ts';
import { groupAlive } from '../util/processes.ts';
import { stopMarked, markedProcesses } from './marked-processes.ts';

export type ManagedState = 'Creating' | 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Restarting' | 'Failed' | 'Deleting';

/** What every managed compute's settings may say; each runtime reads its own fields too. */
export interface ManagedSettings {
  idle_time_before_shutdown_minutes?: number;
  /** A personal compute's user (compute instances): only they use it, and its code runs as them. */
  assigned_user?: string;
  schedules?: { compute_start_stop: { action: 'start' | 'stop'; trigger: Record<string, unknown>; state?: 'enabled' | 'disabled' }[] };
  [key: string]: unknown;
}

export interface ManagedRow {
  name: string; type: string; settings: string; state: ManagedState; reason: string | null; pid: number | null; port: number | null;
  token: string | null; marker: string | null; started_at: number | null; created_at: number; setup_done: number;
  /** The runtime's own facts about the running compute (JSON). */
  info: string | null;
}

export interface ManagedContext {
  /** The workspace URL clients use (service links are built on it). */
  publicUrl: string;
  /** The tracking URI and credentials the compute's code logs to MLflow with. */
  trackingUri: string;
  trackingEnv: Record<string, string>;
  /** With accounts: a compute assigned to a user runs with that user's own token, made at start and revoked at stop. */
  personalCredentials?: {
    issue(compute: string, user: string): Promise<Record<string, string> | undefined>;
    release(compute: string, user: string): Promise<void>;
  };
}

/** What a runtime gets to boot one compute. */
export interface Boot {
  name: string;
  settings: ManagedSettings;
  /** The compute's own folder (logs, state). */
  dir: string;
  /** Every process the runtime starts must carry this (marked-processes.ts). */
  marker: string;
  /** True on the compute's first boot (creation-time setup runs then). */
  first: boolean;
  ctx: ManagedContext;
  /** The credentials the compute's code logs to MLflow with: its user's own token, else the workspace's. */
  trackingEnv: Record<string, string>;
  log(text: string): void;
}

export interface Booted { pid: number; port: number; token?: string; info?: Record<string, unknown> }

/** One kind of managed compute. */
export interface ComputeRuntime {
  /** Starts the compute's processes, resolving once they answer (or throwing why not). */
  boot(b: Boot): Promise<Booted>;
  /** Whether a started compute still answers (a restarted server adopts it then). */
  answers(row: ManagedRow): Promise<boolean>;
  /** The latest time it was used, for idle shutdown (now while it is busy). */
  lastUsed(row: ManagedRow): Promise<number>;
  /** What `compute show` adds for this kind. */
  describe(row: ManagedRow, settings: ManagedSettings, ctx: ManagedContext | undefined): Promise<Record<string, unknown>>;
  /** Words for the idle-shutdown reason ("kernel activity", "Spark applications"). */
  readonly activityWord: string;
  /** Called once the compute's processes are gone (stopped, restarting or deleted). */
  halted?(name: string): void;
}

const VERB: Record<string, string> = { Starting: 'started', Stopping: 'stopped', Restarting: 'restarted' };

export class ManagedComputes {
  private ctx?: ManagedContext;
  private runtimes = new Map<string, ComputeRuntime>();
  /** Last request the proxy forwarded to each compute: use its own clock does not see. */
  private activity = new Map<string, number>();
  /** One lifecycle operation at a time per compute; later ones wait for it. */
  private busy = new Map<string, Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private lastScheduleCheck = Date.now();
  /** Identifies this workspace's processes among others on the host (several workspaces may run). */
  private readonly workspaceId: string;

  constructor(private db: Db, private dir: string) {
    this.workspaceId = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 12);
  }

  register(type: string, runtime: ComputeRuntime): void {
    this.runtimes.set(type, runtime);
  }

  /** Called once the server listens: reconciles what a previous server left, then watches idleness and schedules. */
  async start(ctx: ManagedContext): Promise<void> {
    this.ctx = ctx;
    await this.reconcile();
    const idleTimer = setInterval(() => void this.checkIdle().catch(() => undefined), 5_000);
    const scheduleTimer = setInterval(() => void this.checkSchedules().catch(() => undefined), 5_000);
    idleTimer.unref();
    scheduleTimer.unref();
    this.timers.push(idleTimer, scheduleTimer);
  }

  /** Stops watching; running computes keep running (like jobs) and the next server adopts them. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([...this.busy.values()].map((p) => p.catch(() => undefined)));
  }

  /** Stops every running compute of this workspace (tests stop what they start; `stratus up` leaves them running). */
  async stopAll(): Promise<void> {
    for (const row of await this.db.all<ManagedRow>('SELECT * FROM managed_computes')) {
      await this.busy.get(row.name)?.catch(() => undefined);
      const fresh = await this.row(row.name).catch(() => undefined);
      if (fresh?.marker) await this.halt(row.name, 'Stopped with the workspace server.');
    }
  }

  async create(name: string, type: string, settings: ManagedSettings): Promise<void> {
    this.runtime(type);
    if (settings.schedules) for (const s of settings.schedules.compute_start_stop) readTrigger(s.trigger);
    await this.db.run(
      `INSERT INTO managed_computes (name, type, settings, state, created_at, setup_done) VALUES (?, ?, ?, 'Creating', ?, 0)`,
      [name, type, JSON.stringify(settings), Date.now()],
    );
    this.operate(name, () => this.boot(name));
  }

  async describe(name: string): Promise<Record<string, unknown>> {
    const row = await this.row(name);
    const settings = JSON.parse(row.settings) as ManagedSettings;
    const idle = settings.idle_time_before_shutdown_minutes;
    return {
      state: row.state,
      ...(row.reason ? { state_reason: row.reason } : {}),
      idle_time_before_shutdown_minutes: idle,
      idle_time_before_shutdown: idle ? `PT${Math.round(idle * 60)}S` : undefined,
      schedules: settings.schedules,
      last_activity: row.state === 'Running' ? new Date(await this.lastUsed(row)).toISOString() : undefined,
      log: path.join(this.computeDir(name), 'compute.log'),
      ...(await this.runtime(row.type).describe(row, settings, this.ctx)),
    };
  }

  startCompute(name: string): Promise<void> {
    return this.transition(name, ['Stopped', 'Failed'], 'Starting', () => this.boot(name));
  }

  stopCompute(name: string, reason = 'Stopped by a user.'): Promise<void> {
    return this.transition(name, ['Running', 'Failed'], 'Stopping', () => this.halt(name, reason));
  }

  restartCompute(name: string): Promise<void> {
    return this.transition(name, ['Running', 'Stopped', 'Failed'], 'Restarting', async () => {
      await this.halt(name, 'Restarting.', 'Restarting');
      await this.boot(name);
    });
  }

  /**
   * Changes a compute's settings; when it is running, `apply` makes the change take effect on it
   * (a Spark cluster adds or removes workers) under the same one-operation-at-a-time rule.
   */
  async update(name: string, change: (s: ManagedSettings) => ManagedSettings, apply?: (row: ManagedRow, settings: ManagedSettings) => Promise<void>): Promise<void> {
    await this.busy.get(name)?.catch(() => undefined);
    const row = await this.row(name);
    const settings = change(JSON.parse(row.settings) as ManagedSettings);
    await this.db.run('UPDATE managed_computes SET settings = ? WHERE name = ?', [JSON.stringify(settings), name]);
    if (row.state !== 'Running' || !apply) return;
    await this.setState(name, 'Running', null);
    this.operate(name, () => apply({ ...row, settings: JSON.stringify(settings) }, settings));
    await this.busy.get(name);
  }

  async delete(name: string): Promise<void> {
    await this.row(name);
    await this.busy.get(name)?.catch(() => undefined);
    await this.halt(name, 'Deleting.', 'Deleting');
    await this.db.run('DELETE FROM managed_computes WHERE name = ?', [name]);
    this.activity.delete(name);
  }

  /** The user a personal compute is assigned to, if it is one. */
  assignee(row: ManagedRow): string | undefined {
    return (JSON.parse(row.settings) as ManagedSettings).assigned_user;
  }

  /** A running compute's row (for the proxy and for jobs); anything else is a clear error. */
  async running(name: string): Promise<ManagedRow> {
    const row = await this.db.get<ManagedRow>('SELECT * FROM managed_computes WHERE name = ?', [name]);
    if (!row) throw notFound(`Compute '${name}' does not exist. List them with: stratus compute list`);
    if (row.state !== 'Running' || !row.port) {
      throw invalid(`Compute '${name}' is ${row.state}${row.reason ? ` (${row.reason})` : ''}; start it with: stratus compute start --name ${name}`);
    }
    return row;
  }

  /** The first running compute of a type (Livy's default Spark cluster), if any. */
  async firstRunning(type: string): Promise<string | undefined> {
    const row = await this.db.get<{ name: string }>(`SELECT name FROM managed_computes WHERE type = ? AND state = 'Running' ORDER BY created_at, name LIMIT 1`, [type]);
    return row?.name;
  }

  /** The tracking URI and credentials the computes' code logs with (set once the server listens). */
  get context(): ManagedContext | undefined {
    return this.ctx;
  }

  /** A marker for processes of this workspace that belong to no compute (reconcile ends them after a restart). */
  looseMarker(part: string): string {
    return `${this.workspaceId}/.${part}`;
  }

  /** Whether a compute can take work now or soon (running or on its way); a stopped one cannot. */
  async assertUsable(name: string): Promise<void> {
    const row = await this.row(name);
    if (['Stopped', 'Failed', 'Stopping', 'Deleting'].includes(row.state)) {
      throw invalid(`Compute '${name}' is ${row.state}${row.reason ? ` (${row.reason})` : ''}: nothing can run on it. Start it with: stratus compute start --name ${name}`);
    }
  }

  /** Something used the compute through the workspace (a proxied request, a submitted job). */
  touch(name: string): void {
    this.activity.set(name, Date.now());
  }

  computeDir(name: string): string {
    return path.join(this.dir, name);
  }

  private runtime(type: string): ComputeRuntime {
    const r = this.runtimes.get(type);
    if (!r) throw invalid(`No runtime for computes of type '${type}' on this workspace.`);
    return r;
  }

  private async row(name: string): Promise<ManagedRow> {
    const row = await this.db.get<ManagedRow>('SELECT * FROM managed_computes WHERE name = ?', [name]);
    if (!row) throw notFound(`Compute '${name}' does not exist. List them with: stratus compute list`);
    return row;
  }

  private async setState(name: string, state: ManagedState, reason: string | null, extra: Partial<Pick<ManagedRow, 'pid' | 'port' | 'token' | 'marker' | 'started_at' | 'setup_done' | 'info'>> = {}): Promise<void> {
    const cols = Object.keys(extra);
    await this.db.run(
      `UPDATE managed_computes SET state = ?, reason = ?${cols.map((c) => `, ${c} = ?`).join('')} WHERE name = ?`,
      [state, reason, ...cols.map((c) => (extra as Record<string, string | number | null | undefined>)[c] ?? null), name],
    );
  }

  /** Checks the compute may make this move now, marks it, and runs the work in the background. */
  private async transition(name: string, from: ManagedState[], via: ManagedState, work: () => Promise<void>): Promise<void> {
    await this.busy.get(name)?.catch(() => undefined);
    const row = await this.row(name);
    if (!from.includes(row.state)) throw invalid(`Compute '${name}' is ${row.state}; it can be ${VERB[via]} only when ${from.join(' or ')}.`);
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

  private async boot(name: string): Promise<void> {
    if (!this.ctx) throw new Error('the workspace server has not started yet');
    const row = await this.row(name);
    const dir = this.computeDir(name);
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, 'compute.log');
    const log = (text: string) => fs.appendFileSync(logFile, text);
    log(`\n=== ${new Date().toISOString()} starting ${name}\n`);
    const marker = `${this.workspaceId}/${name}/${crypto.randomBytes(6).toString('hex')}`;
    // Recorded before anything starts, so a crash half-way still leaves the processes findable.
    await this.setState(name, row.state, null, { marker });
    const settings = JSON.parse(row.settings) as ManagedSettings;
    let booted: Booted;
    try {
      const own = settings.assigned_user ? await this.ctx.personalCredentials?.issue(name, settings.assigned_user) : undefined;
      booted = await this.runtime(row.type).boot({ name, settings, dir, marker, first: !row.setup_done, ctx: this.ctx, trackingEnv: own ?? this.ctx.trackingEnv, log });
    } catch (err) {
      await stopMarked(undefined, marker, 2000);
      throw err;
    }
    this.activity.set(name, Date.now());
    await this.setState(name, 'Running', null, {
      pid: booted.pid, port: booted.port, token: booted.token ?? null, info: booted.info ? JSON.stringify(booted.info) : null, started_at: Date.now(), setup_done: 1,
    });
  }

  /** Stops the compute's processes; it ends `Stopped` with why (or stays in `keep` while restarting or deleting). */
  private async halt(name: string, reason: string, keep?: ManagedState): Promise<void> {
    const row = await this.row(name);
    await this.setState(name, keep ?? 'Stopping', null);
    if (row.marker) await stopMarked(row.pid ?? undefined, row.marker);
    this.runtime(row.type).halted?.(name);
    const { assigned_user: user } = JSON.parse(row.settings) as ManagedSettings;
    if (user) await this.ctx?.personalCredentials?.release(name, user).catch(() => undefined);
    await this.setState(name, keep ?? 'Stopped', keep ? null : reason, { pid: null, port: null, token: null, info: null, marker: null, started_at: null });
  }

  /**
   * After a restart: a compute that still answers is adopted as it is; one that was meant to run
   * but is gone is started again; one caught half-way is finished; and any process of this
   * workspace's computes that no row owns any more is ended.
   */
  private async reconcile(): Promise<void> {
    const rows = await this.db.all<ManagedRow>('SELECT * FROM managed_computes');
    const owned = rows.map((r) => r.marker).filter((m): m is string => !!m);
    const strays = markedProcesses((m) => m.startsWith(`${this.workspaceId}/`) && !owned.some((o) => m === o || m.startsWith(`${o}/`)));
    for (const marker of new Set(strays.map((s) => s.marker))) await stopMarked(undefined, marker, 3000);
    for (const row of rows) {
      const alive = !!row.pid && groupAlive(Number(row.pid)) && !!row.port && await this.runtime(row.type).answers(row).catch(() => false);
      if (row.state === 'Running' && alive) continue;
      if (row.state === 'Stopped' || row.state === 'Failed') {
        if (row.marker) await stopMarked(row.pid ?? undefined, row.marker, 3000);
        continue;
      }
      if (row.state === 'Stopping' || row.state === 'Deleting') {
        this.operate(row.name, () => this.halt(row.name, 'Stopped by a user.'));
        continue;
      }
      // Running (but gone), Creating, Starting or Restarting: bring it up again, as a managed compute would be.
      if (row.marker) await stopMarked(row.pid ?? undefined, row.marker, 3000);
      await this.setState(row.name, 'Starting', 'The workspace server restarted; starting it again.');
      this.operate(row.name, () => this.boot(row.name));
    }
  }

  /** The latest of: the workspace's last request to it, the runtime's own last use, the start itself. */
  private async lastUsed(row: ManagedRow): Promise<number> {
    const own = await this.runtime(row.type).lastUsed(row).catch(() => 0);
    return Math.max(Number(row.started_at ?? 0), this.activity.get(row.name) ?? 0, own);
  }

  private async checkIdle(): Promise<void> {
    const rows = await this.db.all<ManagedRow>(`SELECT * FROM managed_computes WHERE state = 'Running'`);
    for (const row of rows) {
      if (this.busy.has(row.name)) continue;
      const minutes = (JSON.parse(row.settings) as ManagedSettings).idle_time_before_shutdown_minutes;
      if (!minutes) continue;
      const idleMs = Date.now() - await this.lastUsed(row);
      if (idleMs >= minutes * 60_000) {
        const word = this.runtime(row.type).activityWord;
        await this.stopCompute(row.name, `Idle shutdown: no ${word} for ${minutes} minute${minutes === 1 ? '' : 's'}.`).catch(() => undefined);
      }
    }
  }

  /** Fires `schedules.compute_start_stop` slots that fell due since the last check. */
  private async checkSchedules(): Promise<void> {
    const since = this.lastScheduleCheck;
    const now = Date.now();
    this.lastScheduleCheck = now;
    for (const row of await this.db.all<ManagedRow>('SELECT * FROM managed_computes')) {
      const settings = JSON.parse(row.settings) as ManagedSettings;
      for (const s of settings.schedules?.compute_start_stop ?? []) {
        if (s.state === 'disabled') continue;
        const slot = nextSlot(readTrigger(s.trigger) as Trigger, since, Number(row.created_at));
        if (slot === undefined || slot > now) continue;
        if (s.action === 'stop' && row.state === 'Running') await this.stopCompute(row.name, `Stopped by its schedule at ${new Date(slot).toISOString()}.`).catch(() => undefined);
        if (s.action === 'start' && (row.state === 'Stopped' || row.state === 'Failed')) await this.startCompute(row.name).catch(() => undefined);
      }
    }
  }
}

/**
 * Schedules: a trigger that submits a job (pipeline, sweep or command) at each slot. Every slot
 * is claimed by inserting a (schedule, slot) row before its job is submitted, so a slot fires at
 * most once even across restarts; a claimed slot whose job was never submitted (the server
 * stopped in between) is submitted at the next start. Slots that passed while the server was down
 * are recorded as missed — the latest of them is run late, once — so none is lost silently.
 */
import type { Db } from '../store/db.ts';
import type { JobService } from '../jobs/job-service.ts';
import { alreadyExists, invalid, notFound } from '../util/errors.ts';
import { nextSlot, readTrigger, type Trigger } from '../util/triggers.ts';

interface ScheduleRow { name: string; spec: string; enabled: number; next_fire_at: number | null; description: string | null; tags: string; created_at: number }
interface FireRow { schedule: string; slot: number; job_name: string | null; outcome: string; fired_at: number }

export interface ScheduleSpec {
  name: string;
  display_name?: string;
  description?: string;
  tags?: Record<string, string>;
  trigger: Trigger;
  /** The job to submit at each slot (as `job create` would send it), or `azureml:<job name>` to copy. */
  create_job: Record<string, unknown> | string;
  is_enabled?: boolean;
}

const TICK_MS = 1000;
const MAX_MISSED_RECORDED = 100;

export class ScheduleService {
  private timer?: NodeJS.Timeout;
  private ticking = Promise.resolve();

  constructor(private db: Db, private jobs: JobService) {}

  async create(input: ScheduleSpec) {
    if (!input || typeof input !== 'object' || !input.name) throw invalid("A schedule needs 'name', 'trigger' and 'create_job'.");
    if (!/^[A-Za-z0-9][\w-]{0,254}$/.test(input.name)) throw invalid(`Invalid schedule name '${input.name}': letters, digits, '-' and '_'.`);
    const trigger = readTrigger(input.trigger);
    const job = await this.jobSpec(input.create_job);
    await this.jobs.validate(job);
    const now = Date.now();
    const spec = { ...input, trigger, create_job: job, is_enabled: input.is_enabled !== false };
    const next = spec.is_enabled ? nextSlot(trigger, now, now) ?? null : null;
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM schedules WHERE name = ?', [input.name])) {
        throw alreadyExists(`Schedule '${input.name}' already exists. Delete it first, or choose another name.`);
      }
      await t.run('INSERT INTO schedules (name, spec, enabled, next_fire_at, description, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [input.name, JSON.stringify(spec), spec.is_enabled ? 1 : 0, next, input.description ?? null, JSON.stringify(input.tags ?? {}), now]);
    });
    return this.show(input.name);
  }

  /** `azureml:<job>` copies an earlier job's spec (as Azure ML's create_job does); a spec passes through. */
  private async jobSpec(createJob: ScheduleSpec['create_job']): Promise<Record<string, unknown>> {
    if (typeof createJob === 'string') {
      const m = /^azureml:([\w-]+)$/.exec(createJob);
      if (!m) throw invalid(`create_job '${createJob}': give a job YAML file (the CLI reads it) or azureml:<existing job name>.`);
      const row = await this.jobs.store.get(m[1]);
      const spec = JSON.parse(row.spec) as Record<string, unknown>;
      delete spec.name;
      return spec;
    }
    if (!createJob || typeof createJob !== 'object') throw invalid("A schedule needs 'create_job': a job YAML file or azureml:<job name>.");
    const { name: _ignored, ...spec } = createJob;
    return spec;
  }

  private async row(name: string): Promise<ScheduleRow> {
    const row = await this.db.get<ScheduleRow>('SELECT * FROM schedules WHERE name = ?', [name]);
    if (!row) throw notFound(`Schedule '${name}' does not exist. List schedules with: stratus schedule list`);
    return row;
  }

  async show(name: string) {
    const row = await this.row(name);
    const fires = await this.db.all<FireRow>('SELECT * FROM schedule_fires WHERE schedule = ? ORDER BY slot DESC LIMIT 20', [name]);
    return toJson(row, fires);
  }

  async list() {
    const rows = await this.db.all<ScheduleRow>('SELECT * FROM schedules ORDER BY name');
    return rows.map((r) => toJson(r, []));
  }

  async setEnabled(name: string, enabled: boolean) {
    const row = await this.row(name);
    const spec = JSON.parse(row.spec) as ScheduleSpec;
    // Re-enabling starts from now: the slots while disabled were not wanted.
    const next = enabled ? nextSlot(spec.trigger, Date.now(), Number(row.created_at)) ?? null : null;
    await this.db.run('UPDATE schedules SET enabled = ?, next_fire_at = ?, spec = ? WHERE name = ?',
      [enabled ? 1 : 0, next, JSON.stringify({ ...spec, is_enabled: enabled }), name]);
    return this.show(name);
  }

  async delete(name: string): Promise<void> {
    await this.row(name);
    await this.db.tx(async (t) => {
      await t.run('DELETE FROM schedule_fires WHERE schedule = ?', [name]);
      await t.run('DELETE FROM schedules WHERE name = ?', [name]);
    });
  }

  /** Finishes claimed-but-unsubmitted slots, accounts for slots missed while down, then ticks. */
  async start(): Promise<void> {
    for (const f of await this.db.all<FireRow>(`SELECT * FROM schedule_fires WHERE outcome = 'claimed'`)) {
      const row = await this.db.get<ScheduleRow>('SELECT * FROM schedules WHERE name = ?', [f.schedule]);
      if (row) await this.submit(row, f.slot);
    }
    const now = Date.now();
    for (const row of await this.db.all<ScheduleRow>('SELECT * FROM schedules WHERE enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at < ?', [now - TICK_MS])) {
      await this.catchUp(row, now);
    }
    await this.tick();
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async catchUp(row: ScheduleRow, now: number): Promise<void> {
    const spec = JSON.parse(row.spec) as ScheduleSpec;
    const missed: number[] = [];
    for (let slot: number | undefined = Number(row.next_fire_at); slot !== undefined && slot < now; slot = nextSlot(spec.trigger, slot, Number(row.created_at))) {
      missed.push(slot);
      if (missed.length > 10_000) break;
    }
    const latest = missed.pop();
    for (const slot of missed.slice(-MAX_MISSED_RECORDED)) {
      await this.db.run(`INSERT INTO schedule_fires (schedule, slot, job_name, outcome, fired_at) VALUES (?, ?, NULL, 'missed: the server was not running', ?) ON CONFLICT (schedule, slot) DO NOTHING`,
        [row.name, slot, now]);
    }
    if (latest !== undefined) await this.fire(row, latest, 'late');
  }

  private tick(): Promise<void> {
    this.ticking = this.ticking.then(async () => {
      const now = Date.now();
      const due = await this.db.all<ScheduleRow>('SELECT * FROM schedules WHERE enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ?', [now]);
      for (const row of due) await this.fire(row, Number(row.next_fire_at), 'on time');
    }).catch(() => undefined);
    return this.ticking;
  }

  /** Claims the slot (at most once, ever), moves the schedule on, then submits the job. */
  private async fire(row: ScheduleRow, slot: number, when: 'on time' | 'late'): Promise<void> {
    const spec = JSON.parse(row.spec) as ScheduleSpec;
    const claimed = await this.db.tx(async (t) => {
      const n = await t.run(`INSERT INTO schedule_fires (schedule, slot, job_name, outcome, fired_at) VALUES (?, ?, NULL, 'claimed', ?) ON CONFLICT (schedule, slot) DO NOTHING`,
        [row.name, slot, Date.now()]);
      await t.run('UPDATE schedules SET next_fire_at = ? WHERE name = ? AND next_fire_at = ?',
        [nextSlot(spec.trigger, Math.max(slot, Date.now()), Number(row.created_at)) ?? null, row.name, row.next_fire_at]);
      return n > 0;
    });
    if (claimed) await this.submit(row, slot, when);
  }

  private async submit(row: ScheduleRow, slot: number, when: 'on time' | 'late' = 'late'): Promise<void> {
    const spec = JSON.parse(row.spec) as ScheduleSpec;
    const job = spec.create_job as Record<string, unknown>;
    try {
      const created = await this.jobs.submit({
        ...job,
        display_name: `${spec.display_name ?? row.name}-${new Date(slot).toISOString().slice(0, 16)}`,
        tags: { ...((job.tags as Record<string, string>) ?? {}), 'azureml.schedule': row.name, 'azureml.schedule_slot': new Date(slot).toISOString() },
      });
      await this.db.run('UPDATE schedule_fires SET job_name = ?, outcome = ?, fired_at = ? WHERE schedule = ? AND slot = ?',
        [String(created.name), when === 'late' ? 'submitted late' : 'submitted', Date.now(), row.name, slot]);
    } catch (err) {
      await this.db.run('UPDATE schedule_fires SET outcome = ?, fired_at = ? WHERE schedule = ? AND slot = ?',
        [`failed: ${(err as Error).message}`, Date.now(), row.name, slot]);
    }
  }
}

function toJson(row: ScheduleRow, fires: FireRow[]) {
  const spec = JSON.parse(row.spec) as ScheduleSpec;
  const job = spec.create_job as Record<string, unknown>;
  return {
    name: row.name,
    display_name: spec.display_name,
    description: row.description ?? undefined,
    tags: JSON.parse(row.tags),
    is_enabled: !!Number(row.enabled),
    provisioning_state: 'Succeeded',
    trigger: spec.trigger,
    create_job: { type: job.type ?? 'command', experiment_name: job.experiment_name, display_name: job.display_name },
    next_run_time: row.next_fire_at ? new Date(Number(row.next_fire_at)).toISOString() : undefined,
    creation_context: { created_at: new Date(Number(row.created_at)).toISOString() },
    fires: fires.length ? fires.map((f) => ({ slot: new Date(Number(f.slot)).toISOString(), job_name: f.job_name ?? undefined, outcome: f.outcome })) : undefined,
  };
}

/**
 * The job store: job rows, their status transitions, and the MLflow run each job is. Every
 * terminal status goes through here, so the MLflow run always ends with its job and whoever
 * waits on a job (a pipeline, a sweep) hears of it through `onSettled`.
 *
 * Status words are Azure ML's: Queued → Preparing → Running → Finalizing → Completed | Failed | Canceled.
 */
import crypto from 'node:crypto';
import { currentActor } from '../util/actor.ts';
import type { Db } from '../store/db.ts';
import type { ExperimentService } from '../tracking/experiments.ts';
import type { RunService } from '../tracking/runs.ts';
import { randomRunName } from '../tracking/ids.ts';
import { alreadyExists, invalid, notFound, StratusError } from '../util/errors.ts';
import { jobOutputFolder } from '../artifacts/layout.ts';
import type { JobSpec } from '../specs/command-job.ts';

/** Job types that run as one process on a compute (the command runner's); the others are graphs of jobs. */

export interface JobListOptions { status?: string; maxResults?: number; parent?: string; compute?: string; createdBy?: string; tag?: { key: string; value: string } }

export const PROCESS_TYPES = ['command', 'spark', 'automl'];
const PROCESS_TYPES_SQL = PROCESS_TYPES.map((t) => `'${t}'`).join(', ');

export interface JobRow {
  name: string; type: string; status: string; experiment_id: number; run_id: string; display_name: string | null;
  description: string | null; compute: string; spec: string; tags: string; created_at: number; started_at: number | null;
  ended_at: number | null; error: string | null; pid: number | null; environment_hash: string | null;
  /** Who submitted it (Azure ML's creation_context.created_by). */
  created_by: string | null;
  /** A step or trial: the pipeline or sweep it belongs to, and its step name there. */
  parent_job: string | null; step_name: string | null;
  /** Step reuse: the hash of what the step ran on; step_info: reused or why not, or a trial's parameters. */
  reuse_hash: string | null; step_info: string | null; step_key: string | null;
  /** Output name → store path, for jobs whose outputs live elsewhere (reused steps, pipelines, sweeps). */
  outputs_map: string | null;
}

/** Where a job sits in a pipeline or sweep, and how step reuse saw it. */
export interface ChildPlacement {
  parent: { job: string; runId: string };
  stepName: string;
  /** What identifies "the same step" across runs (component name, or pipeline + step), for reuse explanations. */
  stepKey?: string;
  reuseHash?: string;
  info?: Record<string, unknown>;
}

export interface JobError { message: string; exit_code?: number; stderr_tail?: string }

export type TerminalStatus = 'Completed' | 'Failed' | 'Canceled';

const RUN_STATUS: Record<TerminalStatus, 'FINISHED' | 'FAILED' | 'KILLED'> = { Completed: 'FINISHED', Failed: 'FAILED', Canceled: 'KILLED' };

function generateJobName(): string {
  return `${randomRunName().split('-').slice(0, 2).join('_')}_${crypto.randomBytes(5).toString('hex').slice(0, 8)}`;
}

export class JobStore {
  /** Called once a job reaches a terminal status (set by the job service). */
  onSettled: (row: JobRow) => void = () => undefined;

  constructor(private db: Db, private experiments: ExperimentService, private runs: RunService) {}

  async get(name: string): Promise<JobRow> {
    const row = await this.db.get<JobRow>('SELECT * FROM jobs WHERE name = ?', [name]);
    if (!row) throw notFound(`Job '${name}' does not exist. List jobs with: stratus job list`);
    return row;
  }

  async find(name: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>('SELECT * FROM jobs WHERE name = ?', [name]);
  }

  async newJobName(requested?: string): Promise<string> {
    const name = requested ?? generateJobName();
    if (!/^[A-Za-z0-9][\w-]{0,254}$/.test(name)) throw invalid(`Invalid job name '${name}': letters, digits, '-' and '_' only.`);
    if (await this.db.get('SELECT 1 AS x FROM jobs WHERE name = ?', [name])) throw alreadyExists(`A job named '${name}' already exists. Choose another --name.`);
    return name;
  }

  private async experimentId(name: string): Promise<string> {
    try {
      return (await this.experiments.getByName(name)).experiment_id;
    } catch (err) {
      if ((err as StratusError).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
      try {
        return await this.experiments.create(name);
      } catch (again) {
        if ((again as StratusError).code !== 'RESOURCE_ALREADY_EXISTS') throw again;
        return (await this.experiments.getByName(name)).experiment_id;
      }
    }
  }

  /** The job's MLflow run (a child run under its pipeline's or sweep's) and its row. */
  async insert(j: {
    name: string; type: string; status: string; spec: unknown; experimentName: string; displayName?: string; description?: string;
    compute: string; tags: Record<string, string>; placement?: ChildPlacement; runStatus: 'SCHEDULED' | 'RUNNING' | 'FINISHED';
    outputsMap?: Record<string, string>; startedAt?: number; endedAt?: number;
  }): Promise<JobRow> {
    const experimentId = await this.experimentId(j.experimentName);
    // Azure ML's rule: without a display name, a job is shown by its name (one name, not two random ones).
    const displayName = j.displayName || (j.placement ? j.placement.stepName : j.name);
    const run = await this.runs.create({
      experimentId,
      runName: displayName,
      tags: [
        { key: 'mlflow.source.type', value: 'JOB' },
        { key: 'mlflow.source.name', value: j.name },
        { key: 'stratus.job', value: j.name },
        ...(j.placement ? [{ key: 'mlflow.parentRunId', value: j.placement.parent.runId }, { key: 'stratus.step', value: j.placement.stepName }] : []),
        ...Object.entries(j.tags).map(([key, value]) => ({ key, value })),
      ],
    });
    await this.runs.update(run.info.run_id, { status: j.runStatus, ...(j.runStatus === 'FINISHED' ? { endTime: Date.now() } : {}) });
    await this.db.run(
      `INSERT INTO jobs (name, type, status, experiment_id, run_id, display_name, description, compute, spec, tags, created_at, started_at, ended_at,
         parent_job, step_name, step_key, reuse_hash, step_info, outputs_map, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT p.created_by FROM jobs p WHERE p.name = ?)))`,
      [j.name, j.type, j.status, Number(experimentId), run.info.run_id, displayName, j.description ?? null, j.compute, JSON.stringify(j.spec),
        JSON.stringify(j.tags), Date.now(), j.startedAt ?? null, j.endedAt ?? null, j.placement?.parent.job ?? null, j.placement?.stepName ?? null,
        j.placement?.stepKey ?? null, j.placement?.reuseHash ?? null, j.placement?.info ? JSON.stringify(j.placement.info) : null, j.outputsMap ? JSON.stringify(j.outputsMap) : null,
        // Who submitted it; a pipeline's step or a sweep's trial was submitted by whoever submitted its parent.
        currentActor() ?? null, j.placement?.parent.job ?? null],
    );
    return this.get(j.name);
  }

  /** Moves a job to `to` only if it is still in one of `from` (cancel and execution race safely). */
  async transition(name: string, from: string[], to: string, extra: Record<string, string | number | null> = {}): Promise<boolean> {
    const sets = ['status = ?', ...Object.keys(extra).map((k) => `${k} = ?`)];
    const n = await this.db.run(
      `UPDATE jobs SET ${sets.join(', ')} WHERE name = ? AND status IN (${from.map(() => '?').join(', ')})`,
      [to, ...Object.values(extra), name, ...from],
    );
    return n > 0;
  }

  /**
   * Ends a job that has not ended yet, and its MLflow run: the one way any job reaches
   * Completed, Failed or Canceled. `outputsMap` says where a composite's outputs are.
   */
  async settle(name: string, status: TerminalStatus, opts: { error?: JobError; endedAt?: number; outputsMap?: Record<string, string> } = {}): Promise<boolean> {
    const endedAt = opts.endedAt ?? Date.now();
    const n = await this.db.run(
      `UPDATE jobs SET status = ?, error = COALESCE(?, error), ended_at = ?, outputs_map = COALESCE(?, outputs_map) WHERE name = ? AND status NOT IN ('Completed', 'Failed', 'Canceled')`,
      [status, opts.error ? JSON.stringify(opts.error) : null, endedAt, opts.outputsMap ? JSON.stringify(opts.outputsMap) : null, name],
    );
    if (!n) return false;
    const row = await this.get(name);
    await this.runs.update(row.run_id, { status: RUN_STATUS[status], endTime: endedAt }).catch(() => undefined);
    this.onSettled(row);
    return true;
  }

  async setEnvironmentHash(name: string, hash: string): Promise<void> {
    await this.db.run('UPDATE jobs SET environment_hash = ? WHERE name = ?', [hash, name]);
  }

  /** A Completed job that produced what an earlier one did (same reuse hash) and shares its outputs. */
  async findReusable(reuseHash: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>(`SELECT * FROM jobs WHERE reuse_hash = ? AND status = 'Completed' AND type = 'command' AND outputs_map IS NULL ORDER BY created_at DESC LIMIT 1`, [reuseHash]);
  }

  /** The newest job of the same step key that ran for real, to say why this one was not reused. */
  async lastRunOf(stepKey: string): Promise<JobRow | undefined> {
    return this.db.get<JobRow>(
      `SELECT * FROM jobs WHERE step_key = ? AND status = 'Completed' AND type = 'command' ORDER BY created_at DESC LIMIT 1`, [stepKey]);
  }

  /** Adds to a child's step_info (e.g. why a trial was stopped early). */
  async setStepInfo(name: string, patch: Record<string, unknown>): Promise<void> {
    const row = await this.get(name);
    await this.db.run('UPDATE jobs SET step_info = ? WHERE name = ?', [JSON.stringify({ ...JSON.parse(row.step_info ?? '{}'), ...patch }), name]);
  }

  async children(parent: string): Promise<JobRow[]> {
    return this.db.all<JobRow>('SELECT * FROM jobs WHERE parent_job = ? ORDER BY created_at', [parent]);
  }

  /** Jobs in one of `statuses`, oldest first; `commandOnly` for the runner's own kind. */
  /** Jobs in `statuses`: those that run as one process (`process: true`: command and spark) or those that are graphs of others (`process: false`). */
  async withStatus(statuses: string[], kind?: { process: boolean }): Promise<JobRow[]> {
    const where = [`status IN (${statuses.map(() => '?').join(', ')})`, ...(kind ? [`type ${kind.process ? '' : 'NOT '}IN (${PROCESS_TYPES_SQL})`] : [])];
    return this.db.all<JobRow>(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at`, statuses);
  }

  /** Command jobs holding a slot of `compute` (preparing, running or finalizing). */
  async busySlots(compute: string): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM jobs WHERE compute = ? AND type IN (${PROCESS_TYPES_SQL}) AND status IN ('Preparing', 'Running', 'Finalizing')`, [compute]);
    return Number(row!.n);
  }

  /**
   * Top-level jobs, newest first; the steps/trials of `parent` (as `az ml job list --parent-job-name`); or the jobs of a compute.
   * `tag`: only jobs whose run carries that tag (the database filters, so the newest matches are found however many jobs there are).
   */
  async list(opts: JobListOptions = {}): Promise<JobRow[]> {
    // A compute's view lists the command jobs it runs, steps and trials included.
    const where = [opts.compute ? `compute = ? AND type IN (${PROCESS_TYPES_SQL})` : opts.parent ? 'parent_job = ?' : 'parent_job IS NULL',
      ...(opts.status ? ['status = ?'] : []), ...(opts.createdBy ? ['created_by = ?'] : []),
      ...(opts.tag ? ['EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = jobs.run_id AND t.key = ? AND t.value = ?)'] : [])];
    const args = [...(opts.compute ? [opts.compute] : opts.parent ? [opts.parent] : []), ...(opts.status ? [opts.status] : []), ...(opts.createdBy ? [opts.createdBy] : []),
      ...(opts.tag ? [opts.tag.key, opts.tag.value] : []), opts.maxResults ?? 100];
    return this.db.all<JobRow>(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC LIMIT ?`, args);
  }

  /** display_name, description and tags, kept in step with the MLflow run. */
  async update(name: string, changes: { display_name?: string; description?: string; tags?: Record<string, string> }): Promise<void> {
    const row = await this.get(name);
    if (changes.display_name !== undefined) {
      await this.db.run('UPDATE jobs SET display_name = ? WHERE name = ?', [changes.display_name, name]);
      await this.runs.update(row.run_id, { runName: changes.display_name }).catch(() => undefined);
    }
    if (changes.description !== undefined) await this.db.run('UPDATE jobs SET description = ? WHERE name = ?', [changes.description, name]);
    if (changes.tags) {
      const tags = { ...JSON.parse(row.tags), ...changes.tags };
      await this.db.run('UPDATE jobs SET tags = ? WHERE name = ?', [JSON.stringify(tags), name]);
      for (const [k, v] of Object.entries(changes.tags)) await this.runs.setTag(row.run_id, k, v).catch(() => undefined);
    }
  }

  /** Where a job's named output is in the store: its own folder, or where its outputs map points. */
  outputPath(job: JobRow, output: string): string {
    const map = job.outputs_map ? (JSON.parse(job.outputs_map) as Record<string, string>) : undefined;
    return map?.[output] ?? `${jobOutputFolder(job.name)}/${output}`;
  }

  /** Where a completed job's named output is kept, and the run that made it (for assets). */
  async outputLocation(name: string, output: string): Promise<{ storePath: string; runId: string }> {
    const job = await this.get(name);
    const declared = PROCESS_TYPES.includes(job.type) ? Object.keys((JSON.parse(job.spec) as JobSpec).outputs) : Object.keys(JSON.parse(job.outputs_map ?? '{}'));
    if (!declared.includes(output)) throw notFound(`Job '${name}' has no output named '${output}'. Its outputs: ${declared.join(', ') || 'none'}.`);
    if (job.status !== 'Completed') throw invalid(`Job '${name}' is ${job.status}; its outputs exist once it has Completed.`);
    return { storePath: this.outputPath(job, output), runId: job.run_id };
  }
}

/**
 * The job service: one entry point for every job type. Command jobs go to the command runner;
 * job types that are graphs of other jobs (pipeline, sweep) go to the runner registered for
 * them. Rows, statuses and MLflow runs are the job store's.
 *
 * To add a job type: write its spec (specs/), a runner implementing `JobTypeRunner` in a module
 * of its own, and register it in workspace.ts.
 */
import type { ExperimentService } from '../tracking/experiments.ts';
import { invalid } from '../util/errors.ts';
import type { CommandRunner, TrackingTarget } from './command-runner.ts';
import { jobJson } from './job-json.ts';
import type { InputSources } from './input-sources.ts';
import type { ChildPlacement, JobListOptions, JobRow, JobStore } from './job-store.ts';
import type { JobSpec } from '../specs/command-job.ts';
import { isTerminal } from '../specs/job-status.ts';

export type { ChildPlacement, JobError, JobRow } from './job-store.ts';
export type { TrackingTarget } from './command-runner.ts';

/** Runs a job type that is a graph of other jobs (pipeline, sweep). */
export interface JobTypeRunner {
  /** Checks a spec as submit would, without running anything; says what would run. */
  validate(spec: Record<string, unknown>): Promise<Record<string, unknown>>;
  submit(spec: Record<string, unknown>, placement?: ChildPlacement): Promise<string>;
  cancel(name: string): Promise<void>;
  describe(row: JobRow): Promise<Record<string, unknown>>;
  /** Resumes the jobs of this type that were running when the server stopped. */
  resume(name: string): Promise<void>;
  /** One of this job's children reached a terminal status. */
  childSettled(name: string): void;
}

const unsupported = (type: string) => invalid(`Unsupported job type '${type}': command, spark, automl, pipeline and sweep jobs are supported.`);
/** Job types the command runner runs as one process (a spark job is spark-submit's driver). */
const PROCESS_JOB = new Set(['command', 'spark', 'automl']);

export class JobService {
  private runners = new Map<string, JobTypeRunner>();
  /** What `job show` adds for a process job type (an AutoML job's leaderboard). */
  private details = new Map<string, (row: JobRow) => Promise<Record<string, unknown>>>();

  constructor(readonly store: JobStore, readonly commands: CommandRunner, readonly inputs: InputSources, private experiments: ExperimentService) {
    // A finished child moves its pipeline or sweep on.
    store.onSettled = (row) => {
      if (!row.parent_job) return;
      void store.find(row.parent_job).then((parent) => {
        if (parent) this.runners.get(parent.type)?.childSettled(parent.name);
      });
    };
  }

  register(type: string, runner: JobTypeRunner): void {
    this.runners.set(type, runner);
  }

  /** Adds to `job show` of a process job type (command, spark, automl) what `describe` says. */
  describeWith(type: string, describe: (row: JobRow) => Promise<Record<string, unknown>>): void {
    this.details.set(type, describe);
  }

  /** Begins executing jobs (the server knows its own URL only once it listens), and resumes composite ones. */
  async start(tracking: TrackingTarget): Promise<void> {
    await this.commands.start(tracking);
    for (const row of await this.store.withStatus(['Queued', 'Preparing', 'Running', 'Finalizing'], { process: false })) {
      await this.runners.get(row.type)?.resume(row.name);
    }
  }

  /** Stops scheduling; running job processes keep going and are re-attached at next start. */
  async stop(): Promise<void> {
    this.commands.stop();
  }

  /** Submits any job type. */
  async submit(spec: JobSpec | Record<string, unknown>, placement?: ChildPlacement): Promise<Record<string, unknown>> {
    const type = String((spec as { type?: unknown }).type ?? 'command');
    const runner = this.runners.get(type);
    if (runner) return this.get(await runner.submit(spec as Record<string, unknown>, placement));
    if (!PROCESS_JOB.has(type)) throw unsupported(type);
    return this.get(await this.commands.submit(spec as JobSpec, placement));
  }

  /** `job validate`: everything submit checks, nothing run. */
  async validate(spec: JobSpec | Record<string, unknown>): Promise<Record<string, unknown>> {
    const type = String((spec as { type?: unknown }).type ?? 'command');
    const runner = this.runners.get(type);
    if (runner) return { valid: true, type, ...(await runner.validate(spec as Record<string, unknown>)) };
    if (!PROCESS_JOB.has(type)) throw unsupported(type);
    await this.commands.check(spec as JobSpec);
    return { valid: true, type };
  }

  /** Checks that a compute named in a spec exists, saying where it was named. */
  async checkCompute(name: string, where: string): Promise<void> {
    await this.commands.checkCompute(name, where);
  }

  async get(name: string): Promise<Record<string, unknown>> {
    return this.toJson(await this.store.get(name));
  }

  async list(opts: JobListOptions = {}): Promise<Record<string, unknown>[]> {
    return Promise.all((await this.store.list(opts)).map((r) => this.toJson(r)));
  }

  async update(name: string, changes: { display_name?: string; description?: string; tags?: Record<string, string> }) {
    await this.store.update(name, changes);
    return this.get(name);
  }

  async cancel(name: string): Promise<Record<string, unknown>> {
    const job = await this.store.get(name);
    if (!isTerminal(job.status)) {
      const runner = this.runners.get(job.type);
      if (runner) await runner.cancel(name);
      else await this.commands.cancel(job);
    }
    return this.get(name);
  }

  /** New log text since the given offsets, with the job's status (for --stream). */
  async logs(name: string, offsets: { stdout?: number; stderr?: number; build?: number }) {
    const job = await this.store.get(name);
    return { name, status: job.status, ...this.commands.logs(name, offsets), error: job.error ? JSON.parse(job.error) : undefined };
  }

  /** The first rows and per-column statistics of a completed job's output table (the designer's node previews). */
  async previewOutput(name: string, output: string, rows: number) {
    const { storePath } = await this.store.outputLocation(name, output);
    return this.commands.previewStored(storePath, rows);
  }

  /** Where a completed job's named output is kept, and the run that made it (for assets). */
  outputLocation(name: string, output: string): Promise<{ storePath: string; runId: string }> {
    return this.store.outputLocation(name, output);
  }

  /** Resolves when no job is executing in this process (tests and shutdown). */
  idle(): Promise<void> {
    return this.commands.idle();
  }

  private async toJson(r: JobRow): Promise<Record<string, unknown>> {
    const exp = await this.experiments.get(String(r.experiment_id)).catch(() => undefined);
    const runner = this.runners.get(r.type);
    return jobJson(r, {
      experimentName: exp?.name,
      trackingUri: this.commands.trackingUri,
      outputPath: (output) => this.store.outputPath(r, output),
      extra: runner ? await runner.describe(r) : ((await this.details.get(r.type)?.(r)) ?? {}),
    });
  }
}

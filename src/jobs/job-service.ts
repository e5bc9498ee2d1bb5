/**
 * Command jobs: submit, queue per compute, prepare (environment, working directory, inputs),
 * run as a local process, finalize (artifacts, outputs, MLflow run status). Every job is an
 * MLflow run. Status words are Azure ML's: Queued → Preparing → Running → Finalizing →
 * Completed | Failed | Canceled.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { exportPath, importFolder } from '../artifacts/local-store.ts';
import { mlflowArtifactsPath } from '../artifacts/uri-policy.ts';
import type { ExperimentService } from '../tracking/experiments.ts';
import type { RunService } from '../tracking/runs.ts';
import { alreadyExists, invalid, notFound, StratusError } from '../util/errors.ts';
import { childEnv } from '../util/child-env.ts';
import type { EnvironmentBuilder, BuiltEnvironment } from '../environments/builder.ts';
import type { PythonEnvSpec } from '../environments/conda.ts';
import { environmentLabel, resolveEnvironment } from '../environments/resolve.ts';
import type { ComputeService } from './computes.ts';
import type { EnvironmentAssetService } from '../assets/environments.ts';
import type { DataAssetService } from '../assets/data.ts';
import { renderCommand } from './expressions.ts';
import { isAlive, jobPaths, killTree, readFrom, startProcess, waitForExit, exitTime, type JobPaths } from './local-executor.ts';
import type { EnvironmentRef, JobSpec } from './spec.ts';
import { isTerminal } from './status.ts';

import { randomRunName } from '../tracking/ids.ts';


export interface JobRow {
  name: string; type: string; status: string; experiment_id: number; run_id: string; display_name: string | null;
  description: string | null; compute: string; spec: string; tags: string; created_at: number; started_at: number | null;
  ended_at: number | null; error: string | null; pid: number | null; environment_hash: string | null;
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

/** Runs the job types that are graphs of other jobs (pipeline, sweep): JobService hands them over. */
export interface CompositeRunner {
  /** Checks a spec as submit would, without running anything; says what would run. */
  validate(spec: Record<string, unknown>): Promise<Record<string, unknown>>;
  submit(spec: Record<string, unknown>, placement?: ChildPlacement): Promise<string>;
  cancel(name: string): Promise<void>;
  describe(row: JobRow): Promise<Record<string, unknown>>;
  /** Resumes the composite jobs that were running when the server stopped. */
  resume(name: string): Promise<void>;
  /** One of this composite's children reached a terminal status. */
  childSettled(name: string): void;
}

export interface JobError { message: string; exit_code?: number; stderr_tail?: string }

export interface TrackingTarget {
  uri: string;
  env: Record<string, string>;
}

/** A step shows how step reuse saw it; a trial shows its parameters. */
function stepInfoJson(info: string | null): Record<string, unknown> {
  if (!info) return {};
  const parsed = JSON.parse(info) as Record<string, unknown>;
  if ('params' in parsed) return { trial: parsed };
  const { parts: _parts, ...reuse } = parsed;
  return { reuse };
}

function generateJobName(): string {
  return `${randomRunName().split('-').slice(0, 2).join('_')}_${crypto.randomBytes(5).toString('hex').slice(0, 8)}`;
}

export class JobService {
  private tracking?: TrackingTarget;
  private running = new Map<string, Promise<void>>();
  private cancelRequested = new Set<string>();
  private stopping = false;
  private composites = new Map<string, CompositeRunner>();

  constructor(
    private db: Db,
    private experiments: ExperimentService,
    private runs: RunService,
    private artifacts: LocalArtifactStore,
    private computes: ComputeService,
    private builder: EnvironmentBuilder,
    private jobsDir: string,
    private environments: EnvironmentAssetService,
    private data: () => DataAssetService,
  ) {}

  registerComposite(type: string, runner: CompositeRunner): void {
    this.composites.set(type, runner);
  }

  /** A job reached Completed, Failed or Canceled: its pipeline or sweep, if any, moves on. */
  private async settled(name: string): Promise<void> {
    const row = await this.db.get<JobRow>('SELECT * FROM jobs WHERE name = ?', [name]);
    if (!row?.parent_job || !isTerminal(row.status)) return;
    const parent = await this.db.get<JobRow>('SELECT * FROM jobs WHERE name = ?', [row.parent_job]);
    if (parent) this.composites.get(parent.type)?.childSettled(parent.name);
  }

  /** Begins executing jobs (the server knows its own URL only once it listens). */
  async start(tracking: TrackingTarget): Promise<void> {
    this.tracking = tracking;
    await this.reconcile();
    await this.schedule();
    const composites = await this.db.all<JobRow>(`SELECT * FROM jobs WHERE type <> 'command' AND status NOT IN ('Completed', 'Failed', 'Canceled') ORDER BY created_at`);
    for (const row of composites) await this.composites.get(row.type)?.resume(row.name);
  }

  /** Stops scheduling; running job processes keep going and are re-attached at next start. */
  async stop(): Promise<void> {
    this.stopping = true;
  }

  paths(name: string): JobPaths {
    return jobPaths(this.jobsDir, name);
  }

  private async row(name: string): Promise<JobRow> {
    const row = await this.db.get<JobRow>('SELECT * FROM jobs WHERE name = ?', [name]);
    if (!row) throw notFound(`Job '${name}' does not exist. List jobs with: stratus job list`);
    return row;
  }

  /** Submits any job type: command jobs run here, pipelines and sweeps go to their runner. */
  async submit(spec: JobSpec | Record<string, unknown>, placement?: ChildPlacement): Promise<Record<string, unknown>> {
    const type = String((spec as { type?: unknown }).type ?? 'command');
    const composite = this.composites.get(type);
    if (composite) return this.get(await composite.submit(spec as Record<string, unknown>, placement));
    if (type !== 'command') throw invalid(`Unsupported job type '${type}': command, pipeline and sweep jobs are supported.`);
    return this.get(await this.submitCommand(spec as JobSpec, placement));
  }

  /** `job validate`: everything submit checks, nothing run. */
  async validate(spec: JobSpec | Record<string, unknown>): Promise<Record<string, unknown>> {
    const type = String((spec as { type?: unknown }).type ?? 'command');
    const composite = this.composites.get(type);
    if (composite) return { valid: true, type, ...(await composite.validate(spec as Record<string, unknown>)) };
    if (type !== 'command') throw invalid(`Unsupported job type '${type}': command, pipeline and sweep jobs are supported.`);
    await this.checkCommand(spec as JobSpec);
    return { valid: true, type };
  }

  /** Checks a command job can run: its compute, environment, code and inputs exist. */
  async checkCommand(spec: JobSpec): Promise<void> {
    if (!spec.command?.trim()) throw invalid("A command job needs 'command'.");
    await this.computes.get(spec.compute);
    await this.environmentSpec(spec.environment);
    if (spec.code && !fs.existsSync(this.artifacts.resolve(`snapshots/${spec.code}/.stratus-complete`))) {
      throw invalid(`Code snapshot ${spec.code} has not been uploaded completely. Submit the job again with stratus job create.`);
    }
    for (const [input, value] of Object.entries(spec.inputs)) {
      if (value.type !== 'literal') await this.inputSource(input, value.path);
    }
  }

  async submitCommand(spec: JobSpec, placement?: ChildPlacement): Promise<string> {
    await this.checkCommand(spec);
    const name = await this.newJobName(spec.name);
    const row = await this.insertJob({
      name, type: 'command', status: 'Queued', spec: { ...spec, name }, experimentName: spec.experiment_name, displayName: spec.display_name,
      description: spec.description, compute: spec.compute, tags: spec.tags, placement, runStatus: 'SCHEDULED',
    });
    const literals = Object.entries(spec.inputs).filter(([, v]) => v.type === 'literal').map(([key, v]) => ({ key, value: String((v as { value: unknown }).value) }));
    if (literals.length) await this.runs.logBatch(row.run_id, [], literals.slice(0, 100), []);
    void this.schedule();
    return name;
  }

  async checkCompute(name: string, where: string): Promise<void> {
    await this.computes.get(name).catch(() => {
      throw invalid(`${where}: compute '${name}' does not exist. Create it with: stratus compute create --name ${name}, or list them with: stratus compute list`);
    });
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
  async insertJob(j: {
    name: string; type: string; status: string; spec: unknown; experimentName: string; displayName?: string; description?: string;
    compute: string; tags: Record<string, string>; placement?: ChildPlacement; runStatus: 'SCHEDULED' | 'RUNNING' | 'FINISHED';
    outputsMap?: Record<string, string>; startedAt?: number; endedAt?: number;
  }): Promise<JobRow> {
    const experimentId = await this.experimentId(j.experimentName);
    const displayName = j.displayName || (j.placement ? j.placement.stepName : randomRunName());
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
         parent_job, step_name, step_key, reuse_hash, step_info, outputs_map)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [j.name, j.type, j.status, Number(experimentId), run.info.run_id, displayName, j.description ?? null, j.compute, JSON.stringify(j.spec),
        JSON.stringify(j.tags), Date.now(), j.startedAt ?? null, j.endedAt ?? null, j.placement?.parent.job ?? null, j.placement?.stepName ?? null,
        j.placement?.stepKey ?? null, j.placement?.reuseHash ?? null, j.placement?.info ? JSON.stringify(j.placement.info) : null, j.outputsMap ? JSON.stringify(j.outputsMap) : null],
    );
    return this.row(j.name);
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
    const row = await this.row(name);
    await this.db.run('UPDATE jobs SET step_info = ? WHERE name = ?', [JSON.stringify({ ...JSON.parse(row.step_info ?? '{}'), ...patch }), name]);
  }

  async children(parent: string): Promise<JobRow[]> {
    return this.db.all<JobRow>('SELECT * FROM jobs WHERE parent_job = ? ORDER BY created_at', [parent]);
  }

  async rowOf(name: string): Promise<JobRow> {
    return this.row(name);
  }

  /** Ends a composite job (pipeline, sweep) and its MLflow run; its outputs are where `outputsMap` says. */
  async settleComposite(name: string, status: 'Completed' | 'Failed' | 'Canceled', error?: JobError, outputsMap?: Record<string, string>): Promise<void> {
    const job = await this.row(name);
    const n = await this.db.run(
      `UPDATE jobs SET status = ?, error = ?, ended_at = ?, outputs_map = COALESCE(?, outputs_map) WHERE name = ? AND status NOT IN ('Completed', 'Failed', 'Canceled')`,
      [status, error ? JSON.stringify(error) : null, Date.now(), outputsMap ? JSON.stringify(outputsMap) : null, name],
    );
    if (!n) return;
    await this.runs.update(job.run_id, { status: status === 'Completed' ? 'FINISHED' : status === 'Failed' ? 'FAILED' : 'KILLED', endTime: Date.now() }).catch(() => undefined);
    await this.settled(name);
  }

  /** Where an asset input's files are in the artifact store; checks they exist. */
  async inputSource(input: string, ref: string): Promise<string> {
    let rel: string;
    if (ref.startsWith('stratus-upload:')) rel = `uploads/${ref.slice('stratus-upload:'.length)}`;
    else if (ref.startsWith('runs:/')) {
      const m = /^runs:\/+([^/]+)\/?(.*)$/.exec(ref);
      if (!m) throw invalid(`Input '${input}': cannot read '${ref}'; use runs:/<run_id>/<path>.`);
      const info = await this.runs.getInfo(m[1]);
      if (!info.artifact_uri.startsWith('mlflow-artifacts:')) throw invalid(`Input '${input}': run ${m[1]} keeps artifacts outside this workspace.`);
      rel = [mlflowArtifactsPath(info.artifact_uri), m[2]].filter(Boolean).join('/');
    } else if (ref.startsWith('azureml://jobs/')) {
      const m = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/(.*))?$/.exec(ref);
      if (!m) throw invalid(`Input '${input}': cannot read '${ref}'; use azureml://jobs/<job>/outputs/<name>.`);
      const source = await this.row(m[1]).catch(() => {
        throw notFound(`Input '${input}': job '${m[1]}' does not exist.`);
      });
      if (source.status !== 'Completed') throw invalid(`Input '${input}': job '${m[1]}' is ${source.status}; its outputs exist once it has Completed.`);
      rel = [this.outputPath(source, m[2]), m[3]].filter(Boolean).join('/');
    } else if (ref.startsWith('azureml:')) {
      const m = /^azureml:([A-Za-z0-9][\w.-]*?)(?::([\w.-]+)|@([\w.-]+))?$/.exec(ref);
      if (!m) throw invalid(`Input '${input}': cannot read '${ref}'; use azureml:<name>:<version> or azureml:<name>@latest.`);
      rel = (await this.data().storePath(m[1], m[2], m[3] ?? (m[2] ? undefined : 'latest')).catch((err: StratusError) => {
        throw new StratusError(err.code, `Input '${input}': data asset '${ref}' does not exist in this workspace.`);
      })).path;
    } else {
      throw invalid(`Input '${input}': unsupported path '${ref}'.`);
    }
    try {
      await this.artifacts.stat(rel);
    } catch {
      throw notFound(`Input '${input}': nothing found at '${ref}'.`);
    }
    return rel;
  }

  private environmentSpec(env: EnvironmentRef): Promise<PythonEnvSpec | undefined> {
    return resolveEnvironment(env, this.environments);
  }

  async get(name: string): Promise<Record<string, unknown>> {
    return this.toJson(await this.row(name));
  }

  /** Top-level jobs, newest first; the steps/trials of `parent` (as `az ml job list --parent-job-name`); or the jobs of a compute. */
  async list(opts: { status?: string; maxResults?: number; parent?: string; compute?: string } = {}): Promise<Record<string, unknown>[]> {
    // A compute's view lists the command jobs it runs, steps and trials included.
    const where = [opts.compute ? "compute = ? AND type = 'command'" : opts.parent ? 'parent_job = ?' : 'parent_job IS NULL', ...(opts.status ? ['status = ?'] : [])];
    const args = [...(opts.compute ? [opts.compute] : opts.parent ? [opts.parent] : []), ...(opts.status ? [opts.status] : []), opts.maxResults ?? 100];
    const rows = await this.db.all<JobRow>(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC LIMIT ?`, args);
    return Promise.all(rows.map((r) => this.toJson(r)));
  }

  async update(name: string, changes: { display_name?: string; description?: string; tags?: Record<string, string> }) {
    const row = await this.row(name);
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
    return this.get(name);
  }

  private async toJson(r: JobRow): Promise<Record<string, unknown>> {
    const composite = this.composites.get(r.type);
    const spec = JSON.parse(r.spec) as JobSpec;
    const exp = await this.experiments.get(String(r.experiment_id)).catch(() => undefined);
    const job: Record<string, unknown> = {
      name: r.name,
      display_name: r.display_name,
      type: r.type,
      status: r.status,
      experiment_name: exp?.name ?? spec.experiment_name,
      description: r.description ?? undefined,
      tags: JSON.parse(r.tags),
      compute: `azureml:${r.compute}`,
      command: spec.command,
      code: spec.code ? `snapshot:${spec.code}` : undefined,
      environment: spec.environment ? environmentLabel(spec.environment) : undefined,
      environment_variables: spec.environment_variables,
      inputs: spec.inputs,
      // store_path: where the files are in this workspace's store (a reused step's are its original's).
      outputs: Object.fromEntries(Object.entries(spec.outputs ?? {}).map(([k, v]) => [k, { ...v, path: `azureml://jobs/${r.name}/outputs/${k}`, store_path: this.outputPath(r, k) }])),
      limits: spec.timeout_seconds ? { timeout: spec.timeout_seconds } : undefined,
      creation_context: { created_at: new Date(Number(r.created_at)).toISOString() },
      start_time: r.started_at ? new Date(Number(r.started_at)).toISOString() : undefined,
      end_time: r.ended_at ? new Date(Number(r.ended_at)).toISOString() : undefined,
      services: { Tracking: { job_service_type: 'Tracking', endpoint: this.tracking?.uri } },
      properties: { 'mlflow.run_id': r.run_id, 'mlflow.experiment_id': String(r.experiment_id) },
      error: r.error ? JSON.parse(r.error) : undefined,
      notes: spec.notes?.length ? spec.notes : undefined,
      parent_job_name: r.parent_job ?? undefined,
      step_name: r.step_name ?? undefined,
      ...stepInfoJson(r.step_info),
      ...(composite ? await composite.describe(r) : {}),
    };
    for (const k of Object.keys(job)) if (job[k] === undefined) delete job[k];
    return job;
  }

  /** Moves a job to `to` only if it is still in one of `from` (cancel and execution race safely). */
  private async transition(name: string, from: string[], to: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    const sets = ['status = ?', ...Object.keys(extra).map((k) => `${k} = ?`)];
    const n = await this.db.run(
      `UPDATE jobs SET ${sets.join(', ')} WHERE name = ? AND status IN (${from.map(() => '?').join(', ')})`,
      [to, ...(Object.values(extra) as (string | number | null)[]), name, ...from],
    );
    return n > 0;
  }

  private scheduling = Promise.resolve();

  /** Starts queued jobs, oldest first, while their compute has free slots. */
  schedule(): Promise<void> {
    this.scheduling = this.scheduling.then(async () => {
      if (!this.tracking || this.stopping) return;
      const queued = await this.db.all<JobRow>(`SELECT * FROM jobs WHERE status = 'Queued' AND type = 'command' ORDER BY created_at`);
      for (const job of queued) {
        const compute = await this.computes.get(job.compute).catch(() => undefined);
        if (!compute) {
          await this.fail(job, { message: `Compute '${job.compute}' no longer exists.` });
          continue;
        }
        const busy = (await this.db.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM jobs WHERE compute = ? AND type = 'command' AND status IN ('Preparing', 'Running', 'Finalizing')`, [job.compute]))!.n;
        if (Number(busy) >= compute.max_instances) continue;
        if (!(await this.transition(job.name, ['Queued'], 'Preparing'))) continue;
        this.track(job.name, this.execute(job.name));
      }
    }).catch(() => undefined);
    return this.scheduling;
  }

  private track(name: string, work: Promise<void>): void {
    const p = work.catch(() => undefined).finally(() => {
      this.running.delete(name);
      void this.schedule();
    });
    this.running.set(name, p);
  }

  /** Resolves when no job is executing in this process (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all(this.running.values());
  }

  private async execute(name: string): Promise<void> {
    const job = await this.row(name);
    const spec = JSON.parse(job.spec) as JobSpec;
    const paths = this.paths(name);
    try {
      fs.rmSync(paths.root, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(paths.buildLog), { recursive: true });
      const envSpec = await this.environmentSpec(spec.environment);
      let env: BuiltEnvironment | undefined;
      if (envSpec) {
        const log = fs.createWriteStream(paths.buildLog, { flags: 'a' });
        try {
          env = await this.builder.ensure(envSpec, (text) => log.write(text));
          if (env.cached) log.write(`environment ${env.hash} found in the cache: no build needed\n`);
          for (const w of env.warnings) log.write(`warning: ${w}\n`);
        } finally {
          await new Promise((r) => log.end(r));
        }
        await this.db.run('UPDATE jobs SET environment_hash = ? WHERE name = ?', [env.hash, name]);
      } else {
        fs.writeFileSync(paths.buildLog, spec.environment.kind === 'host' && spec.environment.image
          ? `note: image '${spec.environment.image}' has no conda file; the job runs on the host Python.\n`
          : 'note: no environment given; the job runs on the host Python.\n');
      }
      const command = await this.prepareWorkdir(name, spec, paths);
      if (this.cancelRequested.has(name)) return await this.markCanceled(job);
      const startedAt = Date.now();
      const pid = startProcess(paths, command, this.processEnv(job, spec, paths, env));
      if (!(await this.transition(name, ['Preparing'], 'Running', { pid, started_at: startedAt }))) {
        await killTree(pid, 1000);
        return;
      }
      await this.runs.update(job.run_id, { status: 'RUNNING' }).catch(() => undefined);
      await this.watch(job, pid, spec.timeout_seconds);
    } catch (err) {
      await this.fail(job, { message: `Preparing the job failed: ${(err as Error).message}` });
    }
  }

  /** Code snapshot, ./outputs and ./logs, inputs and named outputs; returns the rendered command. */
  private async prepareWorkdir(name: string, spec: JobSpec, paths: JobPaths): Promise<string> {
    fs.mkdirSync(paths.workdir, { recursive: true });
    if (spec.code) await exportPath(this.artifacts, `snapshots/${spec.code}`, paths.workdir);
    fs.mkdirSync(path.join(paths.workdir, 'outputs'), { recursive: true });
    fs.mkdirSync(path.join(paths.workdir, 'logs'), { recursive: true });
    const inputs: Record<string, string> = {};
    for (const [input, value] of Object.entries(spec.inputs)) {
      if (value.type === 'literal') {
        inputs[input] = String(value.value);
        continue;
      }
      const rel = await this.inputSource(input, value.path);
      const dest = path.join(paths.inputs, input, path.basename(rel));
      const kind = await exportPath(this.artifacts, rel, dest);
      inputs[input] = kind === 'file' && value.type === 'uri_folder' ? path.dirname(dest) : dest;
    }
    const outputs: Record<string, string> = {};
    for (const out of Object.keys(spec.outputs)) {
      outputs[out] = path.join(paths.namedOutputs, out);
      fs.mkdirSync(outputs[out], { recursive: true });
    }
    return renderCommand(spec.command, { name, inputs, outputs });
  }

  private processEnv(job: JobRow, spec: JobSpec, paths: JobPaths, env: BuiltEnvironment | undefined): NodeJS.ProcessEnv {
    const base = Object.fromEntries(Object.entries(childEnv()).filter(([k]) => !k.startsWith('MLFLOW_')));
    const vars: NodeJS.ProcessEnv = {
      ...base,
      ...spec.environment_variables,
      ...this.tracking!.env,
      MLFLOW_TRACKING_URI: this.tracking!.uri,
      MLFLOW_RUN_ID: job.run_id,
      MLFLOW_EXPERIMENT_ID: String(job.experiment_id),
      AZUREML_RUN_ID: job.name,
      PYTHONUNBUFFERED: '1',
    };
    for (const [k, v] of Object.entries(spec.inputs)) if (v.type !== 'literal') vars[`AZURE_ML_INPUT_${k}`] = path.join(paths.inputs, k);
    for (const k of Object.keys(spec.outputs)) vars[`AZURE_ML_OUTPUT_${k}`] = path.join(paths.namedOutputs, k);
    if (env?.prefix) {
      vars.VIRTUAL_ENV = env.prefix;
      vars.PATH = `${path.join(env.prefix, 'bin')}:${process.env.PATH ?? ''}`;
    }
    return vars;
  }

  /** Waits for the process, enforcing the timeout, then finalizes. */
  private async watch(job: JobRow, pid: number, timeoutSeconds?: number): Promise<void> {
    const paths = this.paths(job.name);
    let timedOut = false;
    const timer = timeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          void killTree(pid);
        }, Math.max(0, timeoutSeconds * 1000 - (Date.now() - Number(job.started_at ?? Date.now()))))
      : undefined;
    const code = await waitForExit(pid, paths.exitCode);
    const endedAt = Math.round(exitTime(paths.exitCode));
    if (timer) clearTimeout(timer);
    if (this.stopping) return; // the next start re-attaches
    const current = await this.row(job.name);
    if (current.status === 'Canceled') return;
    if (!(await this.transition(job.name, ['Running'], 'Finalizing'))) return;
    await this.collectArtifacts(current);
    if (timedOut) return this.fail(current, { message: `The job exceeded limits.timeout of ${timeoutSeconds} s and was stopped.`, stderr_tail: this.tail(paths.stderr) });
    if (code === 0) {
      await this.transition(job.name, ['Finalizing'], 'Completed', { ended_at: endedAt });
      await this.runs.update(job.run_id, { status: 'FINISHED', endTime: endedAt }).catch(() => undefined);
      await this.settled(job.name);
      return;
    }
    await this.fail(current, {
      message: code === null ? 'The job process ended without an exit code (killed, or lost while the server was down).' : `The command exited with code ${code}.`,
      exit_code: code ?? undefined,
      stderr_tail: this.tail(paths.stderr),
    }, endedAt);
  }

  private tail(file: string, lines = 20): string | undefined {
    try {
      const text = fs.readFileSync(file, 'utf8').trimEnd();
      return text ? text.split('\n').slice(-lines).join('\n') : undefined;
    } catch {
      return undefined;
    }
  }

  /** ./outputs, ./logs, the logs and named outputs become the run's artifacts. */
  private async collectArtifacts(job: JobRow): Promise<void> {
    const paths = this.paths(job.name);
    const info = await this.runs.getInfo(job.run_id);
    if (!info.artifact_uri.startsWith('mlflow-artifacts:')) return;
    const root = mlflowArtifactsPath(info.artifact_uri);
    await importFolder(this.artifacts, path.join(paths.workdir, 'outputs'), `${root}/outputs`);
    await importFolder(this.artifacts, path.join(paths.workdir, 'logs'), `${root}/logs`);
    await importFolder(this.artifacts, path.join(paths.root, 'user_logs'), `${root}/user_logs`);
    await importFolder(this.artifacts, path.join(paths.root, 'system_logs'), `${root}/system_logs`);
    await importFolder(this.artifacts, paths.namedOutputs, `jobs/${job.name}/named-outputs`);
  }

  private async fail(job: JobRow, error: JobError, endedAt = Date.now()): Promise<void> {
    await this.db.run(`UPDATE jobs SET status = 'Failed', error = ?, ended_at = ? WHERE name = ? AND status NOT IN ('Completed', 'Failed', 'Canceled')`,
      [JSON.stringify(error), endedAt, job.name]);
    await this.runs.update(job.run_id, { status: 'FAILED', endTime: endedAt }).catch(() => undefined);
    await this.settled(job.name);
  }

  private async markCanceled(job: JobRow): Promise<void> {
    await this.db.run(`UPDATE jobs SET status = 'Canceled', ended_at = ? WHERE name = ? AND status NOT IN ('Completed', 'Failed', 'Canceled')`, [Date.now(), job.name]);
    await this.runs.update(job.run_id, { status: 'KILLED', endTime: Date.now() }).catch(() => undefined);
    this.cancelRequested.delete(job.name);
    await this.settled(job.name);
  }

  async cancel(name: string): Promise<Record<string, unknown>> {
    const job = await this.row(name);
    if (isTerminal(job.status)) return this.get(name);
    const composite = this.composites.get(job.type);
    if (composite) {
      await composite.cancel(name);
      return this.get(name);
    }
    this.cancelRequested.add(name);
    if (job.status === 'Queued' || job.status === 'Preparing') {
      await this.markCanceled(job);
      return this.get(name);
    }
    await this.markCanceled(job);
    if (job.pid) await killTree(Number(job.pid));
    await this.collectArtifacts(job).catch(() => undefined);
    return this.get(name);
  }

  /** New log text since the given offsets, with the job's status (for --stream). */
  async logs(name: string, offsets: { stdout?: number; stderr?: number; build?: number }) {
    const job = await this.row(name);
    const p = this.paths(name);
    return {
      name,
      status: job.status,
      build: readFrom(p.buildLog, offsets.build ?? 0),
      stdout: readFrom(p.stdout, offsets.stdout ?? 0),
      stderr: readFrom(p.stderr, offsets.stderr ?? 0),
      error: job.error ? JSON.parse(job.error) : undefined,
    };
  }

  /** After a restart: re-attach to jobs whose process still runs, settle the rest, requeue preparing ones. */
  private async reconcile(): Promise<void> {
    const rows = await this.db.all<JobRow>(`SELECT * FROM jobs WHERE status IN ('Preparing', 'Running', 'Finalizing') AND type = 'command'`);
    for (const job of rows) {
      if (this.running.has(job.name)) continue;
      if (job.status === 'Preparing') {
        await this.transition(job.name, ['Preparing'], 'Queued');
        continue;
      }
      if (job.status === 'Finalizing') {
        await this.transition(job.name, ['Finalizing'], 'Running');
      }
      const pid = Number(job.pid);
      if (pid && isAlive(pid)) {
        this.track(job.name, this.watch(job, pid, (JSON.parse(job.spec) as JobSpec).timeout_seconds));
      } else {
        // The process ended while the server was down: its exit code file tells how.
        this.track(job.name, this.watch(job, pid || -1, undefined));
      }
    }
  }

  /** Where a job's named output is in the store: its own folder, or where its outputs map points. */
  outputPath(job: JobRow, output: string): string {
    const map = job.outputs_map ? (JSON.parse(job.outputs_map) as Record<string, string>) : undefined;
    return map?.[output] ?? `jobs/${job.name}/named-outputs/${output}`;
  }

  /** Where a completed job's named output is kept, and the run that made it (for assets). */
  async outputLocation(name: string, output: string): Promise<{ storePath: string; runId: string }> {
    const job = await this.row(name);
    const declared = job.type === 'command' ? Object.keys((JSON.parse(job.spec) as JobSpec).outputs) : Object.keys(JSON.parse(job.outputs_map ?? '{}'));
    if (!declared.includes(output)) throw notFound(`Job '${name}' has no output named '${output}'. Its outputs: ${declared.join(', ') || 'none'}.`);
    if (job.status !== 'Completed') throw invalid(`Job '${name}' is ${job.status}; its outputs exist once it has Completed.`);
    return { storePath: this.outputPath(job, output), runId: job.run_id };
  }
}

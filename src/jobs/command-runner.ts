/**
 * Command jobs: checked and queued per compute, then prepared (environment, working folder,
 * inputs), launched on their compute's provider, watched, and finalized (artifacts, outputs,
 * MLflow run status). The same for every kind of compute: only the launch and the wait belong
 * to the provider (compute/provider.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { exportPath, importFolder } from '../artifacts/local-store.ts';
import { completeMarker, jobOutputFolder, snapshotFolder } from '../artifacts/layout.ts';
import { mlflowArtifactsPath } from '../artifacts/uri-policy.ts';
import type { EnvironmentAssetService } from '../assets/environments.ts';
import type { Compute, ComputeService } from '../compute/computes.ts';
import { jobPaths, type JobPaths } from '../compute/job-paths.ts';
import { readFrom } from '../compute/local-process.ts';
import type { ComputeProviders } from '../compute/providers.ts';
import type { BuiltEnvironment, EnvironmentBuilder } from '../environments/builder.ts';
import { resolveEnvironment } from '../environments/resolve.ts';
import type { RunService } from '../tracking/runs.ts';
import { childEnv } from '../util/child-env.ts';
import { invalid } from '../util/errors.ts';
import { renderCommand } from '../specs/expressions.ts';
import type { InputSources } from './input-sources.ts';
import type { ChildPlacement, JobError, JobRow, JobStore } from './job-store.ts';
import type { JobSpec } from '../specs/command-job.ts';
import { isTerminal } from '../specs/job-status.ts';
import { HARNESS } from '../util/python-harness.ts';

/** Where jobs send their MLflow data, and the credentials they need for it. */
export interface TrackingTarget {
  uri: string;
  env: Record<string, string>;
  /**
   * Credentials of the job's own submitter, for its lifetime (so its code can do what they may,
   * not more): issued before the process starts, released when the job ends. Without them, `env`.
   */
  credentials?: {
    issue(job: JobRow): Promise<Record<string, string> | undefined>;
    release(jobName: string): Promise<void>;
  };
}

export class CommandRunner {
  private tracking?: TrackingTarget;
  private running = new Map<string, Promise<void>>();
  private cancelRequested = new Set<string>();
  private stopping = false;
  private scheduling = Promise.resolve();

  constructor(
    private store: JobStore,
    private runs: RunService,
    private artifacts: LocalArtifactStore,
    private computes: ComputeService,
    private providers: ComputeProviders,
    private builder: EnvironmentBuilder,
    private environments: EnvironmentAssetService,
    private inputs: InputSources,
    private jobsDir: string,
  ) {}

  /** Begins executing jobs (the server knows its own URL only once it listens). */
  async start(tracking: TrackingTarget): Promise<void> {
    this.tracking = tracking;
    await this.reconcile();
    await this.schedule();
  }

  /** Stops scheduling; running job processes keep going and are re-attached at next start. */
  stop(): void {
    this.stopping = true;
  }

  get trackingUri(): string | undefined {
    return this.tracking?.uri;
  }

  paths(name: string): JobPaths {
    return jobPaths(this.jobsDir, name);
  }

  /** Checks that a compute named in a spec exists, saying where it was named. */
  async checkCompute(name: string, where: string): Promise<void> {
    await this.computes.get(name).catch(() => {
      throw invalid(`${where}: compute '${name}' does not exist. Create it with: stratus compute create --name ${name}, or list them with: stratus compute list`);
    });
  }

  /** Checks a command job can run: its compute, environment, code and inputs exist. */
  async check(spec: JobSpec): Promise<void> {
    if (!spec.command?.trim()) throw invalid("A command job needs 'command'.");
    await this.computes.assertUsable(spec.compute);
    await resolveEnvironment(spec.environment, this.environments);
    if (spec.code && !fs.existsSync(this.artifacts.resolve(completeMarker('snapshots', spec.code)))) {
      throw invalid(`Code snapshot ${spec.code} has not been uploaded completely. Submit the job again with stratus job create.`);
    }
    for (const [input, value] of Object.entries(spec.inputs)) {
      if (value.type !== 'literal') await this.inputs.resolve(input, value.path, value.type);
    }
  }

  async submit(spec: JobSpec, placement?: ChildPlacement): Promise<string> {
    await this.check(spec);
    if (spec.spark && (await this.computes.get(spec.compute)).type === 'spark') {
      // On a cluster the executors are the cluster's: say so instead of the local-mode notes.
      spec = { ...spec, spark: { ...spec.spark, master: `the Spark cluster '${spec.compute}' (its master_url in compute show)` }, notes: spec.notes.filter((n) => !/local mode/.test(n)) };
    }
    const name = await this.store.newJobName(spec.name);
    const row = await this.store.insert({
      name, type: spec.type ?? 'command', status: 'Queued', spec: { ...spec, name }, experimentName: spec.experiment_name, displayName: spec.display_name,
      description: spec.description, compute: spec.compute, tags: spec.tags, placement, runStatus: 'SCHEDULED',
    });
    const literals = Object.entries(spec.inputs).filter(([, v]) => v.type === 'literal').map(([key, v]) => ({ key, value: String((v as { value: unknown }).value) }));
    if (literals.length) await this.runs.logBatch(row.run_id, [], literals.slice(0, 100), []);
    void this.schedule();
    return name;
  }

  /** Starts queued jobs, oldest first, while their compute has free slots. */
  schedule(): Promise<void> {
    this.scheduling = this.scheduling.then(async () => {
      if (!this.tracking || this.stopping) return;
      for (const job of await this.store.withStatus(['Queued'], { process: true })) {
        const compute = await this.computes.get(job.compute).catch(() => undefined);
        if (!compute) {
          await this.fail(job, { message: `Compute '${job.compute}' no longer exists.` });
          continue;
        }
        if ((await this.store.busySlots(job.compute)) >= compute.max_instances) continue;
        if (!(await this.store.transition(job.name, ['Queued'], 'Preparing'))) continue;
        this.track(job.name, this.execute(job.name, compute));
      }
    }).catch(() => undefined);
    return this.scheduling;
  }

  private track(name: string, work: Promise<void>): void {
    const p = work.catch(() => undefined).finally(async () => {
      // The job has ended (or this server stops watching it): its own credentials go with it.
      if (!this.stopping) await this.tracking?.credentials?.release(name).catch(() => undefined);
      this.running.delete(name);
      void this.schedule();
    });
    this.running.set(name, p);
  }

  /** Resolves when no job is executing in this process (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all(this.running.values());
  }

  private async execute(name: string, compute: Compute): Promise<void> {
    const job = await this.store.get(name);
    const spec = JSON.parse(job.spec) as JobSpec;
    const paths = this.paths(name);
    try {
      fs.rmSync(paths.root, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(paths.buildLog), { recursive: true });
      const env = await this.buildEnvironment(name, spec, paths);
      const { command, inputs } = await this.prepareWorkdir(name, spec, paths);
      if (this.cancelRequested.has(name)) return await this.markCanceled(job);
      const provider = this.providers.for(compute);
      const startedAt = Date.now();
      const credentials = await this.tracking!.credentials?.issue(job);
      const handle = await provider.launch(compute, { paths, command, env: this.processEnv(job, spec, paths, env, inputs, credentials) });
      if (!(await this.store.transition(name, ['Preparing'], 'Running', { pid: handle, started_at: startedAt }))) {
        await provider.cancel(handle, 1000);
        return;
      }
      await this.runs.update(job.run_id, { status: 'RUNNING' }).catch(() => undefined);
      await this.watch({ ...job, started_at: startedAt }, compute, handle, spec.timeout_seconds);
    } catch (err) {
      await this.fail(job, { message: `Preparing the job failed: ${(err as Error).message}` });
    }
  }

  /** The job's Python environment, built once and cached; undefined for the host Python. */
  private async buildEnvironment(name: string, spec: JobSpec, paths: JobPaths): Promise<BuiltEnvironment | undefined> {
    const envSpec = await resolveEnvironment(spec.environment, this.environments);
    if (!envSpec) {
      fs.writeFileSync(paths.buildLog, spec.environment.kind === 'host' && spec.environment.image
        ? `note: image '${spec.environment.image}' has no conda file; the job runs on the host Python.\n`
        : 'note: no environment given; the job runs on the host Python.\n');
      return undefined;
    }
    const log = fs.createWriteStream(paths.buildLog, { flags: 'a' });
    try {
      const env = await this.builder.ensure(envSpec, (text) => log.write(text));
      if (env.cached) log.write(`environment ${env.hash} found in the cache: no build needed\n`);
      for (const w of env.warnings) log.write(`warning: ${w}\n`);
      await this.store.setEnvironmentHash(name, env.hash);
      return env;
    } finally {
      await new Promise((r) => log.end(r));
    }
  }

  /** Code snapshot, ./outputs and ./logs, inputs and named outputs; returns the rendered command and each input's value (a path or a literal). */
  private async prepareWorkdir(name: string, spec: JobSpec, paths: JobPaths): Promise<{ command: string; inputs: Record<string, string> }> {
    fs.mkdirSync(paths.workdir, { recursive: true });
    if (spec.code) await exportPath(this.artifacts, snapshotFolder(spec.code), paths.workdir);
    fs.mkdirSync(path.join(paths.workdir, 'outputs'), { recursive: true });
    fs.mkdirSync(path.join(paths.workdir, 'logs'), { recursive: true });
    const inputs: Record<string, string> = {};
    for (const [input, value] of Object.entries(spec.inputs)) {
      if (value.type === 'literal') {
        inputs[input] = String(value.value);
        continue;
      }
      const rel = await this.inputs.resolve(input, value.path, value.type);
      const dest = path.join(paths.inputs, input, path.basename(rel));
      const kind = await exportPath(this.artifacts, rel, dest);
      inputs[input] = kind === 'file' && value.type === 'uri_folder' ? path.dirname(dest) : dest;
    }
    const outputs: Record<string, string> = {};
    for (const out of Object.keys(spec.outputs)) {
      outputs[out] = path.join(paths.namedOutputs, out);
      fs.mkdirSync(outputs[out], { recursive: true });
    }
    return { command: renderCommand(spec.command, { name, inputs, outputs }), inputs };
  }

  /** A table in the artifact store (a job's output), previewed as a data asset's is. */
  async previewStored(storePath: string, rows: number) {
    const { previewTable } = await import('../assets/data-preview.ts');
    return previewTable(this.artifacts.resolve(storePath), 'uri_folder', rows);
  }

  private processEnv(job: JobRow, spec: JobSpec, paths: JobPaths, env: BuiltEnvironment | undefined, inputs: Record<string, string>, credentials?: Record<string, string>): NodeJS.ProcessEnv {
    const base = Object.fromEntries(Object.entries(childEnv()).filter(([k]) => !k.startsWith('MLFLOW_')));
    const vars: NodeJS.ProcessEnv = {
      ...base,
      ...spec.environment_variables,
      ...(credentials ?? this.tracking!.env),
      MLFLOW_TRACKING_URI: this.tracking!.uri,
      MLFLOW_RUN_ID: job.run_id,
      MLFLOW_EXPERIMENT_ID: String(job.experiment_id),
      AZUREML_RUN_ID: job.name,
      PYTHONUNBUFFERED: '1',
      // An AutoML job's search is Stratus's own Python (python/stratus_automl).
      ...(spec.type === 'automl' ? { PYTHONPATH: HARNESS } : {}),
    };
    // Every input by name, as Azure ML sets them: what ${{inputs.<name>}} is — a data input's path, a literal's value (text that needs no shell quoting).
    for (const [k, v] of Object.entries(inputs)) vars[`AZURE_ML_INPUT_${k}`] = v;
    for (const k of Object.keys(spec.outputs)) vars[`AZURE_ML_OUTPUT_${k}`] = path.join(paths.namedOutputs, k);
    if (env?.prefix) {
      vars.VIRTUAL_ENV = env.prefix;
      vars.PATH = `${path.join(env.prefix, 'bin')}:${process.env.PATH ?? ''}`;
    }
    return vars;
  }

  /** Waits for the process, enforcing the timeout, then finalizes. */
  private async watch(job: JobRow, compute: Compute, handle: number, timeoutSeconds?: number): Promise<void> {
    const provider = this.providers.for(compute);
    const paths = this.paths(job.name);
    let timedOut = false;
    const timer = timeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          void provider.cancel(handle);
        }, Math.max(0, timeoutSeconds * 1000 - (Date.now() - Number(job.started_at ?? Date.now()))))
      : undefined;
    const { code, endedAt } = await provider.waitForExit(handle, paths);
    if (timer) clearTimeout(timer);
    if (this.stopping) return; // the next start re-attaches
    const current = await this.store.get(job.name);
    if (current.status === 'Canceled') return;
    if (!(await this.store.transition(job.name, ['Running'], 'Finalizing'))) return;
    await this.collectArtifacts(current);
    if (timedOut) return this.fail(current, { message: `The job exceeded limits.timeout of ${timeoutSeconds} s and was stopped.`, stderr_tail: tail(paths.stderr) });
    if (code === 0) {
      await this.store.settle(job.name, 'Completed', { endedAt });
      return;
    }
    await this.fail(current, {
      message: code === null ? 'The job process ended without an exit code (killed, or lost while the server was down).' : `The command exited with code ${code}.`,
      exit_code: code ?? undefined,
      stderr_tail: tail(paths.stderr),
    }, endedAt);
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
    await importFolder(this.artifacts, paths.namedOutputs, jobOutputFolder(job.name));
  }

  private async fail(job: JobRow, error: JobError, endedAt = Date.now()): Promise<void> {
    await this.store.settle(job.name, 'Failed', { error, endedAt });
  }

  private async markCanceled(job: JobRow): Promise<void> {
    await this.store.settle(job.name, 'Canceled');
    this.cancelRequested.delete(job.name);
  }

  /** Cancels a command job wherever it is: queued, preparing, or running on its compute. */
  async cancel(job: JobRow): Promise<void> {
    if (isTerminal(job.status)) return;
    this.cancelRequested.add(job.name);
    await this.markCanceled(job);
    if (job.status === 'Queued' || job.status === 'Preparing' || !job.pid) return;
    const compute = await this.computes.get(job.compute).catch(() => undefined);
    if (compute) await this.providers.for(compute).cancel(Number(job.pid));
    await this.collectArtifacts(job).catch(() => undefined);
  }

  /** New log text since the given offsets (for --stream). */
  logs(name: string, offsets: { stdout?: number; stderr?: number; build?: number }) {
    const p = this.paths(name);
    return {
      build: readFrom(p.buildLog, offsets.build ?? 0),
      stdout: readFrom(p.stdout, offsets.stdout ?? 0),
      stderr: readFrom(p.stderr, offsets.stderr ?? 0),
    };
  }

  /** After a restart: re-attach to jobs whose process still runs, settle the rest, requeue preparing ones. */
  private async reconcile(): Promise<void> {
    for (const job of await this.store.withStatus(['Preparing', 'Running', 'Finalizing'], { process: true })) {
      if (this.running.has(job.name)) continue;
      if (job.status === 'Preparing') {
        await this.store.transition(job.name, ['Preparing'], 'Queued');
        continue;
      }
      if (job.status === 'Finalizing') await this.store.transition(job.name, ['Finalizing'], 'Running');
      const compute = await this.computes.get(job.compute).catch(() => undefined);
      if (!compute) {
        await this.fail(job, { message: `Compute '${job.compute}' no longer exists.` });
        continue;
      }
      const handle = Number(job.pid) || -1;
      // A process that ended while the server was down is settled from its exit record.
      const stillRunning = handle > 0 && this.providers.for(compute).isRunning(handle);
      this.track(job.name, this.watch(job, compute, handle, stillRunning ? (JSON.parse(job.spec) as JobSpec).timeout_seconds : undefined));
    }
  }
}

function tail(file: string, lines = 20): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parts of the Databricks REST API its SDK and CLI use for clusters and one-time runs,
 * mapped onto Stratus: a Databricks cluster is a Spark cluster compute (its cluster_id is the
 * compute's name), a submitted run's `spark_python_task` is a spark job on that cluster.
 * Field names, states (`PENDING`, `RUNNING`, `TERMINATED`, …) and errors are Databricks'.
 */
import type { ComputeService } from '../compute/computes.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { JobSpec } from '../specs/command-job.ts';
import type { StepSpec } from '../specs/pipeline-types.ts';
import type { RunSubmitT, SubmitTaskT } from '../specs/databricks.ts';
import type { Db } from '../store/db.ts';
import { sparkSubmitCommand } from '../specs/spark-job.ts';
import { shellQuote } from '../util/shell.ts';
import { invalid, notFound } from '../util/errors.ts';
import { sharePath } from './share-paths.ts';
import fs from 'node:fs';
import path from 'node:path';
import { HARNESS } from '../util/python-harness.ts';

const CLUSTER_STATE: Record<string, string> = {
  Creating: 'PENDING', Starting: 'PENDING', Restarting: 'RESTARTING', Running: 'RUNNING', Stopping: 'TERMINATING',
  Deleting: 'TERMINATING', Stopped: 'TERMINATED', Failed: 'ERROR',
};
const LIFE_CYCLE: Record<string, string> = {
  NotStarted: 'PENDING', Queued: 'QUEUED', Preparing: 'PENDING', Running: 'RUNNING', Finalizing: 'TERMINATING',
  CancelRequested: 'TERMINATING', Completed: 'TERMINATED', Failed: 'TERMINATED', Canceled: 'TERMINATED',
};
const RESULT: Record<string, string> = { Completed: 'SUCCESS', Failed: 'FAILED', Canceled: 'CANCELED' };
export const SPARK_VERSION = { key: '4.3.x-stratus-scala2.13', name: 'Apache Spark 4.3 (PySpark, on Stratus)' };

export interface ClusterCreate {
  cluster_name?: string; spark_version?: string; node_type_id?: string; num_workers?: number;
  autoscale?: { min_workers?: number; max_workers?: number }; spark_conf?: Record<string, string>; autotermination_minutes?: number;
  custom_tags?: Record<string, string>;
}

type SubmitTask = SubmitTaskT;

const MAX_TASKS = 100;
const TASK_KEY = /^[\w-]{1,100}$/;
const EXPERIMENT = 'databricks-runs';
const SPARK_ENV = { kind: 'curated', name: 'stratus-spark' } as const;

/** The PySpark kernel notebook tasks run in (python/stratus_spark/jupyter): `spark` on the run's cluster. */
const NOTEBOOK_KERNELS = path.join(HARNESS, 'stratus_spark', 'jupyter');

export class DatabricksApi {
  constructor(private db: Db, private computes: ComputeService, private jobs: JobService, private shareRoot: string) {}

  async createCluster(req: ClusterCreate): Promise<{ cluster_id: string }> {
    // As Databricks does: a cluster names its Spark version (spark-versions lists the one here).
    if (typeof req.spark_version !== 'string' || !req.spark_version) throw invalid(`Missing required field: spark_version (use ${SPARK_VERSION.key}; see clusters/spark-versions).`);
    const workers = req.num_workers ?? req.autoscale?.min_workers ?? 1;
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(4, 14);
    const id = `db-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
    await this.computes.create({
      name: id, type: 'spark', workers, description: req.cluster_name ?? id, tags: { ...(req.custom_tags ?? {}), 'databricks.cluster_name': req.cluster_name ?? id },
      spark_conf: req.spark_conf, idle_time_before_shutdown_minutes: req.autotermination_minutes || undefined,
    });
    return { cluster_id: id };
  }

  async getCluster(id: string): Promise<Record<string, unknown>> {
    const c = await this.cluster(id);
    const tags = (c.tags ?? {}) as Record<string, string>;
    const { 'databricks.cluster_name': name, ...custom } = tags;
    return {
      cluster_id: c.name, cluster_name: name ?? c.name, spark_version: SPARK_VERSION.key, node_type_id: 'local',
      num_workers: c.workers, state: CLUSTER_STATE[c.state as string] ?? 'UNKNOWN', state_message: c.state_reason ?? '',
      spark_conf: c.spark_conf ?? {}, autotermination_minutes: c.idle_time_before_shutdown_minutes ?? 0, custom_tags: custom,
      cluster_source: 'API', start_time: c.created_at,
      executors: ((c.nodes ?? []) as { id: string; host?: string }[]).map((n) => ({ node_id: n.id, host_private_ip: n.host ?? '127.0.0.1', private_ip: n.host ?? '127.0.0.1' })),
      ...(c.master_url ? { driver: { host_private_ip: '127.0.0.1', private_ip: '127.0.0.1', node_id: 'driver' } } : {}),
    };
  }

  async listClusters(): Promise<{ clusters: Record<string, unknown>[] }> {
    const all = (await this.computes.showAll()).filter((c) => c.type === 'spark');
    return { clusters: await Promise.all(all.map((c) => this.getCluster(c.name as string))) };
  }

  async startCluster(id: string): Promise<Record<string, never>> {
    await this.cluster(id);
    await this.computes.lifecycle(id, 'start');
    return {};
  }

  async restartCluster(id: string): Promise<Record<string, never>> {
    await this.cluster(id);
    await this.computes.lifecycle(id, 'restart');
    return {};
  }

  /**
   * Databricks' "delete" terminates a cluster (it can be started again); permanent-delete removes
   * it. As in Databricks, runs still running on the cluster are canceled first.
   */
  async terminateCluster(id: string): Promise<Record<string, never>> {
    const c = await this.cluster(id);
    await this.cancelRunsOn(id);
    if (c.state === 'Running' || c.state === 'Failed') await this.computes.lifecycle(id, 'stop', { force: true });
    return {};
  }

  async permanentDelete(id: string): Promise<Record<string, never>> {
    await this.cluster(id);
    await this.cancelRunsOn(id);
    await this.computes.delete(id, { force: true });
    return {};
  }

  private async cancelRunsOn(cluster: string): Promise<void> {
    for (const job of await this.computes.activeJobs(cluster)) await this.jobs.cancel(job).catch(() => undefined);
  }

  async resizeCluster(id: string, numWorkers: number): Promise<Record<string, never>> {
    await this.cluster(id);
    await this.computes.resize(id, numWorkers);
    return {};
  }

  /**
   * A one-task run is one job; a run of several tasks is a pipeline job with a step per task,
   * each step after the tasks it `depends_on` (a task that fails stops the run, and the tasks
   * after it are skipped, as Databricks' default `run_if: ALL_SUCCESS` has it).
   */
  async submitRun(req: RunSubmitT): Promise<{ run_id: number }> {
    const tasks: SubmitTask[] = req.tasks?.length ? req.tasks : [{ ...req, task_key: 'main' }];
    if (tasks.length > MAX_TASKS) throw invalid(`A run has at most ${MAX_TASKS} tasks; this one has ${tasks.length}.`);
    const keys = new Set<string>();
    for (const t of tasks) {
      if (!t.task_key || !TASK_KEY.test(t.task_key)) throw invalid(`Invalid task_key '${t.task_key ?? ''}': use 1 to 100 letters, digits, '-' and '_'.`);
      if (keys.has(t.task_key)) throw invalid(`Task key '${t.task_key}' is used twice: each task needs its own.`);
      keys.add(t.task_key);
    }
    for (const t of tasks) {
      for (const d of t.depends_on ?? []) if (!keys.has(d.task_key)) throw invalid(`Task '${t.task_key}' depends on '${d.task_key}', which is not a task of this run.`);
      if (t.run_if && t.run_if !== 'ALL_SUCCESS') throw invalid(`Task '${t.task_key}': run_if ${t.run_if} is not supported here; tasks run when all they depend on succeeded (ALL_SUCCESS).`);
      if (t.existing_cluster_id) await this.cluster(t.existing_cluster_id);
    }
    const single = tasks.length === 1 && !tasks[0].depends_on?.length;
    const name = req.run_name ?? (single ? tasks[0].task_key! : 'run');
    const spec = single ? this.taskJob(tasks[0], name) : {
      type: 'pipeline', display_name: name, experiment_name: EXPERIMENT, tags: { 'databricks.run': 'multi-task' },
      settings: { continue_on_step_failure: false, force_rerun: true }, inputs: {}, outputs: {}, notes: [],
      jobs: Object.fromEntries(tasks.map((t) => [t.task_key!, this.taskStep(t)])),
    };
    const runId = await this.db.tx(async (t) => {
      const row = await t.get<{ n: number | null }>('SELECT MAX(run_id) AS n FROM databricks_runs');
      const first = Number(row?.n ?? 0) + 1;
      await t.run('INSERT INTO databricks_runs (run_id, job_name, task_key, created_at) VALUES (?, ?, NULL, ?)', [first, '', Date.now()]);
      // Each task of a multi-task run has a run id of its own (get-output takes it).
      if (!single) for (const [i, task] of tasks.entries()) await t.run('INSERT INTO databricks_runs (run_id, job_name, task_key, created_at) VALUES (?, ?, ?, ?)', [first + i + 1, '', task.task_key!, Date.now()]);
      return first;
    });
    try {
      const job = await this.jobs.submit(spec);
      await this.db.run('UPDATE databricks_runs SET job_name = ? WHERE run_id >= ? AND run_id <= ?', [String(job.name), runId, runId + (single ? 0 : tasks.length)]);
    } catch (err) {
      await this.db.run('DELETE FROM databricks_runs WHERE run_id >= ? AND run_id <= ?', [runId, runId + (single ? 0 : tasks.length)]);
      throw err;
    }
    return { run_id: runId };
  }

  /** A task as a job of its own (a one-task run). */
  private taskJob(task: SubmitTask, name: string): JobSpec {
    return {
      ...this.taskCommand(task, name),
      display_name: name, experiment_name: EXPERIMENT, tags: { 'databricks.task_key': task.task_key ?? 'main', 'databricks.task_type': taskType(task) },
      environment: SPARK_ENV, inputs: {}, compute: task.existing_cluster_id ?? 'local', notes: [],
    };
  }

  /** A task as a pipeline step: it reads a `done` folder of each task it depends on, so it runs after them. */
  private taskStep(task: SubmitTask): StepSpec {
    const run = this.taskCommand(task, task.task_key!);
    const after = Object.fromEntries((task.depends_on ?? []).map((d) => [`after_${d.task_key.replace(/-/g, '_')}`, d.task_key]));
    return {
      type: run.spark ? 'spark' : 'command', display_name: task.task_key, compute: task.existing_cluster_id,
      component: {
        // The `done` folder holds a marker once the task succeeded: the tasks after it read it.
        type: 'command', tags: { 'databricks.task_type': taskType(task) }, is_deterministic: false, environment: SPARK_ENV,
        command: `${run.command} && touch "\${{outputs.done}}/SUCCEEDED"`,
        environment_variables: run.environment_variables, ...(run.spark ? { spark: run.spark } : {}),
        inputs: Object.fromEntries(Object.keys(after).map((k) => [k, { type: 'uri_folder' as const }])),
        outputs: { ...Object.fromEntries(Object.entries(run.outputs).map(([k, o]) => [k, { type: o.type }])), done: { type: 'uri_folder' } },
      },
      inputs: Object.fromEntries(Object.entries(after).map(([k, dep]) => [k, { kind: 'step_output' as const, step: dep, output: 'done' }])),
      outputs: {},
    };
  }

  /** The job's command for the task's type: spark-submit of a file or a wheel's entry point, or papermill of a notebook. */
  private taskCommand(task: SubmitTask, name: string): Pick<JobSpec, 'type' | 'command' | 'spark' | 'outputs' | 'environment_variables'> {
    const args = (list: string[] = []) => list.map((p) => shellQuote(String(p))).join(' ');
    if (task.spark_python_task) {
      const spark = { entry: { file: sharePath(this.shareRoot, task.spark_python_task.python_file, 'python_file') }, master: 'local[*]', conf: {} };
      return { type: 'spark', spark, command: sparkSubmitCommand(spark, name, args(task.spark_python_task.parameters)), outputs: {}, environment_variables: {} };
    }
    if (task.python_wheel_task) {
      const w = task.python_wheel_task;
      const wheels = (task.libraries ?? []).filter((l) => l.whl).map((l) => sharePath(this.shareRoot, l.whl!, 'libraries.whl'));
      if (!wheels.length) throw invalid('A python_wheel_task needs its wheel in libraries: [{"whl": "/Workspace/.../package.whl"}].');
      const named = Object.entries(w.named_parameters ?? {}).map(([k, v]) => `--${k}=${v}`);
      const spark = { entry: { file: path.join(HARNESS, 'stratus_spark', 'wheel_task.py') }, master: 'local[*]', conf: {}, py_files: wheels };
      return { type: 'spark', spark, command: sparkSubmitCommand(spark, name, args([w.package_name, w.entry_point, ...(w.parameters ?? []), ...named])), outputs: {}, environment_variables: {} };
    }
    if (task.notebook_task) {
      const notebook = this.notebook(task.notebook_task.notebook_path);
      const params = Object.entries(task.notebook_task.base_parameters ?? {}).map(([k, v]) => `-p ${shellQuote(k)} ${shellQuote(String(v))}`);
      const out = `"\${{outputs.notebook}}"/${shellQuote(path.basename(notebook))}`;
      return {
        type: 'spark', outputs: { notebook: { type: 'uri_folder' } },
        // papermill runs the notebook in the PySpark kernel, whose `spark` is on the run's cluster (or local mode).
        command: ['papermill', shellQuote(notebook), out, '-k stratus-pyspark', ...params, '--log-output'].join(' '),
        environment_variables: { JUPYTER_PATH: NOTEBOOK_KERNELS, PYTHONPATH: HARNESS },
      };
    }
    throw invalid('The task needs spark_python_task, notebook_task or python_wheel_task (other task types are not supported here).');
  }

  /** A workspace notebook: Databricks paths name it without `.ipynb`. */
  private notebook(p: string): string {
    const file = sharePath(this.shareRoot, p, 'notebook_path');
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
    if (fs.existsSync(`${file}.ipynb`)) return `${file}.ipynb`;
    throw invalid(`notebook_path '${p}': no such notebook in the workspace file share (upload it with: stratus file upload).`);
  }

  async getRun(runId: number): Promise<Record<string, unknown>> {
    const row = await this.runRow(runId);
    const job = await this.jobs.get(row.job_name);
    if (row.task_key) return this.taskRun(runId, row.task_key, await this.taskJobOf(job, row.task_key), job);
    if (job.type !== 'pipeline') return this.oneTaskRun(runId, job);
    const taskRows = await this.db.all<{ run_id: number; task_key: string }>('SELECT run_id, task_key FROM databricks_runs WHERE job_name = ? AND task_key IS NOT NULL ORDER BY run_id', [row.job_name]);
    const children = (await this.jobs.list({ parent: row.job_name, maxResults: MAX_TASKS })) as Record<string, unknown>[];
    return {
      ...times(job), run_id: runId, run_name: job.display_name, state: runState(job), run_type: 'SUBMIT_RUN', run_page_url: `#/jobs/${job.name}`,
      tasks: taskRows.map((t) => this.taskRun(Number(t.run_id), t.task_key, children.find((c) => c.step_name === t.task_key), job)),
    };
  }

  async getRunOutput(runId: number): Promise<Record<string, unknown>> {
    const row = await this.runRow(runId);
    const parent = await this.jobs.get(row.job_name);
    if (!row.task_key && parent.type === 'pipeline') {
      throw invalid('Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.');
    }
    const job = row.task_key ? await this.taskJobOf(parent, row.task_key) : parent;
    const metadata = row.task_key ? this.taskRun(runId, row.task_key, job, parent) : this.oneTaskRun(runId, parent);
    if (!job) return { metadata, logs: '', logs_truncated: false };
    const logs = await this.jobs.logs(job.name as string, { stdout: 0, stderr: 0, build: 0 });
    const type = (job.tags as Record<string, string>)['databricks.task_type'] ?? (job.type === 'spark' ? 'spark_python_task' : 'notebook_task');
    return {
      metadata,
      // A notebook task's cell outputs are papermill's log (stderr); other tasks' are the driver's stdout.
      logs: type === 'notebook_task' ? logs.stderr.data : logs.stdout.data, logs_truncated: false,
      ...(job.status === 'Failed' ? { error: (job.error as { message?: string } | undefined)?.message ?? 'failed', error_trace: logs.stderr.data.slice(-4000) } : {}),
    };
  }

  async cancelRun(runId: number): Promise<Record<string, never>> {
    const job = await this.jobs.get((await this.runRow(runId)).job_name);
    if (!['Completed', 'Failed', 'Canceled'].includes(job.status as string)) await this.jobs.cancel(job.name as string);
    return {};
  }

  /** Submitted runs, newest first (Databricks pages them by `offset` and `limit`, at most 25). */
  async listRuns(offset = 0, limit = 25): Promise<{ runs: Record<string, unknown>[]; has_more: boolean }> {
    const rows = await this.db.all<{ run_id: number }>('SELECT run_id FROM databricks_runs WHERE task_key IS NULL AND job_name <> ? ORDER BY run_id DESC LIMIT ? OFFSET ?', ['', limit + 1, offset]);
    const runs = await Promise.all(rows.slice(0, limit).map((r) => this.getRun(Number(r.run_id))));
    return { runs, has_more: rows.length > limit };
  }

  /** A one-task run: its job is the run and its one task. */
  private oneTaskRun(runId: number, job: Record<string, unknown>): Record<string, unknown> {
    const run = this.taskRun(runId, (job.tags as Record<string, string>)['databricks.task_key'] ?? 'main', job, job);
    return { ...run, run_name: job.display_name, run_type: 'SUBMIT_RUN', tasks: [run] };
  }

  /** One task's run: its job's state, or PENDING until its step starts (SKIPPED when the run ended first). */
  private taskRun(runId: number, taskKey: string, job: Record<string, unknown> | undefined, run: Record<string, unknown>): Record<string, unknown> {
    const ended = ['Completed', 'Failed', 'Canceled'].includes(run.status as string);
    const state = job ? runState(job) : ended
      ? { life_cycle_state: 'SKIPPED', result_state: run.status === 'Canceled' ? 'CANCELED' : 'UPSTREAM_FAILED', state_message: 'An upstream task did not succeed.' }
      : { life_cycle_state: 'PENDING', state_message: 'Waiting for the tasks it depends on.' };
    return {
      ...(job ? times(job) : { start_time: 0, end_time: 0 }), run_id: runId, task_key: taskKey, state,
      ...(job?.compute && job.compute !== 'azureml:local' ? { existing_cluster_id: String(job.compute).replace(/^azureml:/, '') } : {}),
      run_page_url: `#/jobs/${String(job?.name ?? run.name)}`,
    };
  }

  /** A multi-task run's job for one task (undefined until its step has started). */
  private async taskJobOf(run: Record<string, unknown>, taskKey: string): Promise<Record<string, unknown> | undefined> {
    const children = (await this.jobs.list({ parent: run.name as string, maxResults: MAX_TASKS })) as Record<string, unknown>[];
    const child = children.find((c) => c.step_name === taskKey);
    return child ? this.jobs.get(child.name as string) : undefined;
  }

  private async runRow(runId: number): Promise<{ job_name: string; task_key: string | null }> {
    const row = await this.db.get<{ job_name: string; task_key: string | null }>('SELECT job_name, task_key FROM databricks_runs WHERE run_id = ?', [runId]);
    if (!row?.job_name) throw notFound(`Run ${runId} does not exist.`);
    return row;
  }

  private async cluster(id: string): Promise<Record<string, unknown>> {
    const c = await this.computes.show(id).catch(() => undefined);
    if (!c || c.type !== 'spark') throw notFound(`Cluster ${id} does not exist`);
    return c;
  }
}

function taskType(task: SubmitTask): string {
  return task.notebook_task ? 'notebook_task' : task.python_wheel_task ? 'python_wheel_task' : 'spark_python_task';
}

function runState(job: Record<string, unknown>): Record<string, string> {
  const status = job.status as string;
  return { life_cycle_state: LIFE_CYCLE[status] ?? 'INTERNAL_ERROR', ...(RESULT[status] ? { result_state: RESULT[status] } : {}), state_message: (job.error as { message?: string } | undefined)?.message ?? '' };
}

function times(job: Record<string, unknown>): { start_time: number; end_time: number } {
  return { start_time: job.start_time ? Date.parse(job.start_time as string) : 0, end_time: job.end_time ? Date.parse(job.end_time as string) : 0 };
}

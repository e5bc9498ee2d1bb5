/**
 * The parts of the Databricks REST API its SDK and CLI use for clusters and one-time runs,
 * mapped onto Stratus: a Databricks cluster is a Spark cluster compute (its cluster_id is the
 * compute's name), a submitted run's `spark_python_task` is a spark job on that cluster.
 * Field names, states (`PENDING`, `RUNNING`, `TERMINATED`, …) and errors are Databricks'.
 */
import type { ComputeService } from '../compute/computes.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { JobSpec } from '../specs/command-job.ts';
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

interface SubmitTask {
  task_key?: string;
  existing_cluster_id?: string;
  spark_python_task?: { python_file: string; parameters?: string[] };
  notebook_task?: { notebook_path: string; base_parameters?: Record<string, string>; source?: string };
  python_wheel_task?: { package_name: string; entry_point: string; parameters?: string[]; named_parameters?: Record<string, string> };
  libraries?: { whl?: string; pypi?: unknown; jar?: unknown }[];
}

export interface RunSubmit extends Omit<SubmitTask, 'task_key'> {
  run_name?: string;
  tasks?: SubmitTask[];
}

/** The PySpark kernel notebook tasks run in (python/stratus_spark/jupyter): `spark` on the run's cluster. */
const NOTEBOOK_KERNELS = path.join(HARNESS, 'stratus_spark', 'jupyter');

export class DatabricksApi {
  constructor(private computes: ComputeService, private jobs: JobService, private shareRoot: string) {}

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

  /** Databricks' "delete" terminates a cluster (it can be started again); permanent-delete removes it. */
  async terminateCluster(id: string): Promise<Record<string, never>> {
    const c = await this.cluster(id);
    if (c.state === 'Running' || c.state === 'Failed') await this.computes.lifecycle(id, 'stop');
    return {};
  }

  async permanentDelete(id: string): Promise<Record<string, never>> {
    await this.cluster(id);
    await this.computes.delete(id);
    return {};
  }

  async resizeCluster(id: string, numWorkers: number): Promise<Record<string, never>> {
    await this.cluster(id);
    await this.computes.resize(id, numWorkers);
    return {};
  }

  async submitRun(req: RunSubmit): Promise<{ run_id: number }> {
    if ((req.tasks?.length ?? 1) !== 1) throw invalid('Only one-task runs are supported here: submit one task per run.');
    const task: SubmitTask = req.tasks?.[0] ?? { ...req, task_key: 'main' };
    const cluster = task.existing_cluster_id;
    if (cluster) await this.cluster(cluster);
    const name = req.run_name ?? task.task_key ?? 'run';
    const spec: JobSpec = {
      ...this.taskCommand(task, name),
      display_name: name, experiment_name: 'databricks-runs', tags: { 'databricks.task_key': task.task_key ?? 'main', 'databricks.task_type': taskType(task) },
      environment: { kind: 'curated', name: 'stratus-spark' }, inputs: {}, compute: cluster ?? 'local', notes: [],
    };
    const runId = await this.nextRunId();
    spec.tags['databricks.run_id'] = String(runId);
    await this.jobs.submit(spec);
    return { run_id: runId };
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
    const job = await this.job(runId);
    const status = job.status as string;
    const state = { life_cycle_state: LIFE_CYCLE[status] ?? 'INTERNAL_ERROR', ...(RESULT[status] ? { result_state: RESULT[status] } : {}), state_message: (job.error as { message?: string } | undefined)?.message ?? '' };
    const start = job.start_time ? Date.parse(job.start_time as string) : undefined;
    const end = job.end_time ? Date.parse(job.end_time as string) : undefined;
    return {
      run_id: runId, run_name: job.display_name, state, start_time: start ?? 0, end_time: end ?? 0, run_type: 'SUBMIT_RUN',
      tasks: [{ run_id: runId, task_key: (job.tags as Record<string, string>)['databricks.task_key'] ?? 'main', state, existing_cluster_id: String(job.compute).replace(/^azureml:/, '') }],
      run_page_url: `#/jobs/${job.name}`,
    };
  }

  async getRunOutput(runId: number): Promise<Record<string, unknown>> {
    const job = await this.job(runId);
    const logs = await this.jobs.logs(job.name as string, { stdout: 0, stderr: 0, build: 0 });
    return {
      metadata: await this.getRun(runId),
      // A notebook task's cell outputs are papermill's log (stderr); other tasks' are the driver's stdout.
      logs: (job.tags as Record<string, string>)['databricks.task_type'] === 'notebook_task' ? logs.stderr.data : logs.stdout.data, logs_truncated: false,
      ...(job.status === 'Failed' ? { error: (job.error as { message?: string } | undefined)?.message ?? 'failed', error_trace: logs.stderr.data.slice(-4000) } : {}),
    };
  }

  async cancelRun(runId: number): Promise<Record<string, never>> {
    const job = await this.job(runId);
    if (!['Completed', 'Failed', 'Canceled'].includes(job.status as string)) await this.jobs.cancel(job.name as string);
    return {};
  }

  async listRuns(): Promise<{ runs: Record<string, unknown>[]; has_more: boolean }> {
    const jobs = (await this.jobs.list({ maxResults: 1000 })).filter((j) => (j.tags as Record<string, string>)['databricks.run_id']);
    return { runs: await Promise.all(jobs.map((j) => this.getRun(Number((j.tags as Record<string, string>)['databricks.run_id'])))), has_more: false };
  }

  /** Run ids are numbers in Databricks: each run's job carries its id as a tag. */
  private async nextRunId(): Promise<number> {
    const all = await this.jobs.list({ maxResults: 10_000 });
    return 1 + Math.max(0, ...all.map((j) => Number((j.tags as Record<string, string>)['databricks.run_id'] ?? 0)));
  }

  private async job(runId: number): Promise<Record<string, unknown>> {
    const all = await this.jobs.list({ maxResults: 10_000 });
    const job = all.find((j) => (j.tags as Record<string, string>)['databricks.run_id'] === String(runId));
    if (!job) throw notFound(`Run ${runId} does not exist.`);
    return this.jobs.get(job.name as string);
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

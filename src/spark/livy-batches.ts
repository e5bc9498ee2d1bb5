/**
 * Apache Livy's batch API (what HDInsight serves at /livy): each batch is a Stratus spark job —
 * spark-submit of the batch's file with its settings — so it is tracked, logged, cancellable and
 * visible in `job list` like any other. Paths without a scheme are in the workspace file share
 * (the "default file system" of this Livy). It runs on the Spark cluster named by
 * `conf["spark.stratus.compute"]`, else on the first running Spark cluster, else in local mode.
 */
import type { Db } from '../store/db.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { ComputeService } from '../compute/computes.ts';
import type { JobSpec, SparkSettings } from '../specs/command-job.ts';
import { livySparkConf, takeCompute, type LivyBatchRequestT } from '../specs/livy.ts';
import { sparkSubmitCommand } from '../specs/spark-job.ts';
import { shellQuote } from '../util/shell.ts';
import { notFound } from '../util/errors.ts';
import { sharePath } from './share-paths.ts';

/** Livy's batch states, from the job's status. */
const STATE: Record<string, string> = {
  NotStarted: 'not_started', Queued: 'starting', Preparing: 'starting', Running: 'running', Finalizing: 'running',
  Completed: 'success', Failed: 'dead', CancelRequested: 'killed', Canceled: 'killed',
};

export interface LivyBatch { id: number; name: string | null; appId: string | null; appInfo: Record<string, string | null>; log: string[]; state: string }

export class LivyBatches {
  constructor(private db: Db, private jobs: JobService, private computes: ComputeService, private shareRoot: string) {}

  private sharePath(p: string, field: string): string {
    return sharePath(this.shareRoot, p, field);
  }

  async create(req: LivyBatchRequestT): Promise<LivyBatch> {
    const file = this.sharePath(req.file, 'file');
    const conf = livySparkConf(req);
    const compute = takeCompute(conf) ?? await this.computes.managed.firstRunning('spark') ?? 'local';
    const spark: SparkSettings = {
      entry: req.className ? { class_name: req.className } : { file },
      master: `local[${conf['spark.driver.cores'] ?? '*'}]`,
      conf,
      ...(req.pyFiles ? { py_files: req.pyFiles.map((p) => this.sharePath(p, 'pyFiles')) } : {}),
      ...(req.jars || req.className ? { jars: [...(req.className ? [file] : []), ...(req.jars ?? []).map((p) => this.sharePath(p, 'jars'))] } : {}),
      ...(req.files ? { files: req.files.map((p) => this.sharePath(p, 'files')) } : {}),
      ...(req.archives ? { archives: req.archives.map((p) => this.sharePath(p, 'archives')) } : {}),
    };
    const id = await this.db.tx(async (t) => {
      const row = await t.get<{ n: number | null }>('SELECT MAX(id) AS n FROM livy_batches');
      const next = row?.n === null || row?.n === undefined ? 0 : Number(row.n) + 1;
      await t.run('INSERT INTO livy_batches (id, job_name, created_at) VALUES (?, ?, ?)', [next, '', Date.now()]);
      return next;
    });
    const appName = req.name ?? `livy-batch-${id}`;
    const spec: JobSpec = {
      type: 'spark', display_name: appName, experiment_name: 'livy', tags: { 'livy.batch_id': String(id) },
      command: sparkSubmitCommand(spark, appName, (req.args ?? []).map((a) => shellQuote(String(a))).join(' ')),
      environment: { kind: 'curated', name: 'stratus-spark' }, environment_variables: {}, inputs: {}, outputs: {}, compute, spark,
      notes: [
        ...(req.proxyUser ? [`proxyUser '${req.proxyUser}' is accepted, not applied: the batch runs as the workspace's own user.`] : []),
        ...(req.queue ? [`queue '${req.queue}' is accepted, not applied: there is no YARN here.`] : []),
      ],
    };
    try {
      const job = await this.jobs.submit(spec);
      await this.db.run('UPDATE livy_batches SET job_name = ? WHERE id = ?', [String(job.name), id]);
    } catch (err) {
      await this.db.run('DELETE FROM livy_batches WHERE id = ?', [id]);
      throw err;
    }
    return this.get(id);
  }

  async list(from = 0, size = 100): Promise<{ from: number; total: number; sessions: LivyBatch[] }> {
    const rows = await this.db.all<{ id: number }>('SELECT id FROM livy_batches ORDER BY id LIMIT ? OFFSET ?', [size, from]);
    const total = Number((await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM livy_batches'))!.n);
    return { from, total, sessions: await Promise.all(rows.map((r) => this.get(Number(r.id)))) };
  }

  async get(id: number): Promise<LivyBatch> {
    const job = await this.job(id);
    const log = await this.lines(job.name as string);
    const appId = log.join('\n').match(/\b(app-\d{14}-\d{4}|local-\d{10,})\b/)?.[1] ?? null;
    return { id, name: (job.display_name as string) ?? null, appId, appInfo: { driverLogUrl: null, sparkUiUrl: null }, log: log.slice(-100), state: STATE[job.status as string] ?? 'error' };
  }

  async state(id: number): Promise<{ id: number; state: string }> {
    const job = await this.job(id);
    return { id, state: STATE[job.status as string] ?? 'error' };
  }

  /** Livy's log: stdout's lines, then stderr's, `size` of them from line `from`. */
  async log(id: number, from = 0, size = 100): Promise<{ id: number; from: number; total: number; log: string[] }> {
    const job = await this.job(id);
    const lines = await this.lines(job.name as string);
    return { id, from, total: lines.length, log: lines.slice(from, from + size) };
  }

  async delete(id: number): Promise<{ msg: string }> {
    const job = await this.job(id);
    if (!['Completed', 'Failed', 'Canceled'].includes(job.status as string)) await this.jobs.cancel(job.name as string);
    await this.db.run('DELETE FROM livy_batches WHERE id = ?', [id]);
    return { msg: 'deleted' };
  }

  private async job(id: number): Promise<Record<string, unknown>> {
    const row = await this.db.get<{ job_name: string }>('SELECT job_name FROM livy_batches WHERE id = ?', [id]);
    if (!row?.job_name) throw notFound(`Session '${id}' not found.`);
    return this.jobs.get(row.job_name);
  }

  private async lines(name: string): Promise<string[]> {
    const logs = await this.jobs.logs(name, { stdout: 0, stderr: 0, build: 0 });
    const split = (t: string) => (t ? t.replace(/\n$/, '').split('\n') : []);
    return ['stdout: ', ...split(logs.stdout.data), '\nstderr: ', ...split(logs.stderr.data)];
  }
}

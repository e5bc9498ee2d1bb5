/** A job as `az ml job show --output json` prints it (Azure ML's field names), from its row. */
import { environmentLabel } from '../environments/resolve.ts';
import type { JobRow } from './job-store.ts';
import type { JobSpec } from '../specs/command-job.ts';

/** A step shows how step reuse saw it; a trial shows its parameters. */
function stepInfoJson(info: string | null): Record<string, unknown> {
  if (!info) return {};
  const parsed = JSON.parse(info) as Record<string, unknown>;
  if ('params' in parsed) return { trial: parsed };
  const { parts: _parts, ...reuse } = parsed;
  return { reuse };
}

export function jobJson(r: JobRow, ctx: {
  experimentName?: string;
  trackingUri?: string;
  outputPath: (output: string) => string;
  /** What the job's type adds (a pipeline's steps, a sweep's trials). */
  extra: Record<string, unknown>;
}): Record<string, unknown> {
  const spec = JSON.parse(r.spec) as JobSpec;
  const job: Record<string, unknown> = {
    name: r.name,
    display_name: r.display_name,
    type: r.type,
    status: r.status,
    experiment_name: ctx.experimentName ?? spec.experiment_name,
    description: r.description ?? undefined,
    tags: JSON.parse(r.tags),
    compute: `azureml:${r.compute}`,
    command: spec.command,
    // A spark job shows its Spark settings as its YAML gave them, and where Spark ran.
    ...(spec.spark ? { entry: spec.spark.entry, conf: spec.spark.conf, py_files: spec.spark.py_files, jars: spec.spark.jars, files: spec.spark.files, archives: spec.spark.archives, spark_master: spec.spark.master } : {}),
    code: spec.code ? `snapshot:${spec.code}` : undefined,
    environment: spec.environment ? environmentLabel(spec.environment) : undefined,
    environment_variables: spec.environment_variables,
    inputs: spec.inputs,
    // store_path: where the files are in this workspace's store (a reused step's are its original's).
    outputs: Object.fromEntries(Object.entries(spec.outputs ?? {}).map(([k, v]) => [k, { ...v, path: `azureml://jobs/${r.name}/outputs/${k}`, store_path: ctx.outputPath(k) }])),
    limits: spec.timeout_seconds ? { timeout: spec.timeout_seconds } : undefined,
    creation_context: { created_at: new Date(Number(r.created_at)).toISOString(), ...(r.created_by ? { created_by: r.created_by } : {}) },
    start_time: r.started_at ? new Date(Number(r.started_at)).toISOString() : undefined,
    end_time: r.ended_at ? new Date(Number(r.ended_at)).toISOString() : undefined,
    services: { Tracking: { job_service_type: 'Tracking', endpoint: ctx.trackingUri } },
    properties: { 'mlflow.run_id': r.run_id, 'mlflow.experiment_id': String(r.experiment_id) },
    error: r.error ? JSON.parse(r.error) : undefined,
    notes: spec.notes?.length ? spec.notes : undefined,
    parent_job_name: r.parent_job ?? undefined,
    step_name: r.step_name ?? undefined,
    ...stepInfoJson(r.step_info),
    ...ctx.extra,
  };
  for (const k of Object.keys(job)) if (job[k] === undefined) delete job[k];
  return job;
}

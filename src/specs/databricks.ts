/**
 * Databricks' `jobs/runs/submit` request, the parts served here: one or more tasks, each a
 * `spark_python_task`, `notebook_task` or `python_wheel_task` on an `existing_cluster_id`, with
 * `depends_on`. Fields Databricks clients send that have no meaning here (access control lists,
 * idempotency tokens, notification settings) are let through and not used.
 */
import { z } from 'zod';

const params = z.array(z.string().max(100_000)).max(1000);

export const SubmitTask = z.looseObject({
  task_key: z.string().max(100).optional(),
  depends_on: z.array(z.looseObject({ task_key: z.string().max(100) })).max(100).optional(),
  run_if: z.string().max(40).optional(),
  existing_cluster_id: z.string().max(200).optional(),
  spark_python_task: z.looseObject({ python_file: z.string().min(1).max(4096), parameters: params.optional() }).optional(),
  notebook_task: z.looseObject({ notebook_path: z.string().min(1).max(4096), base_parameters: z.record(z.string(), z.string().max(100_000)).optional(), source: z.string().optional() }).optional(),
  python_wheel_task: z.looseObject({
    package_name: z.string().min(1).max(200), entry_point: z.string().min(1).max(200), parameters: params.optional(),
    named_parameters: z.record(z.string().regex(/^[\w-]+$/), z.string().max(100_000)).optional(),
  }).optional(),
  libraries: z.array(z.looseObject({ whl: z.string().max(4096).optional() })).max(100).optional(),
});

export const RunSubmit = SubmitTask.extend({
  run_name: z.string().max(4096).optional(),
  tasks: z.array(SubmitTask).max(1000).optional(),
});

export type SubmitTaskT = z.infer<typeof SubmitTask>;
export type RunSubmitT = z.infer<typeof RunSubmit>;

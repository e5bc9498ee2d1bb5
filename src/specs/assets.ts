/** Asset and compute writes as the CLI sends them (REST v1), written once. */
import { z } from 'zod';
import { ComponentSpec } from './jobs.ts';

const stringMap = z.record(z.string(), z.string());
const assetHeader = {
  name: z.string().min(1),
  version: z.string().min(1).optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
};

export const CreateEnvironment = z.strictObject({ ...assetHeader, image: z.string().optional(), conda: z.string().optional() });

export const CreateData = z.strictObject({
  ...assetHeader,
  type: z.enum(['uri_file', 'uri_folder', 'mltable']).optional(),
  /** stratus-upload:<hash>/<name> (an upload) or azureml://jobs/<job>/outputs/<name>. */
  path: z.string().min(1),
});

export const CreateModel = z.strictObject({
  ...assetHeader,
  type: z.enum(['custom_model', 'mlflow_model']).optional(),
  /** stratus-upload:<hash>/<name>, runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>. */
  path: z.string().min(1),
});

export const CreateComponent = ComponentSpec;

const SetupScript = z.strictObject({
  /** The script's text (the CLI reads the file the YAML's `path` names). */
  script: z.string().max(256 * 1024).optional(),
  command: z.string().max(10_000).optional(),
  timeout_minutes: z.number().positive().max(1440).optional(),
});

export const ComputeStartStop = z.strictObject({
  action: z.enum(['start', 'stop']),
  /** A cron or recurrence trigger in Azure ML's shape, read by the schedules' trigger reader. */
  trigger: z.record(z.string(), z.unknown()),
  state: z.enum(['enabled', 'disabled']).optional(),
});

export const ResizeCompute = z.strictObject({ workers: z.number().int().min(0).max(64) });

export const CreateCompute = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['amlcompute', 'local', 'computeinstance', 'spark']).optional(),
  max_instances: z.number().int().optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  /** A VM size: shown as given, not applied (compute runs on this host). */
  size: z.string().max(100).optional(),
  /** computeinstance: stop after this many minutes without kernel activity (fractions allowed; 0 or absent = never). */
  idle_time_before_shutdown_minutes: z.number().min(0).max(60 * 24 * 14).optional(),
  /** computeinstance: Jupyter shuts down kernels idle this long with no client attached (0 = never; default 120). */
  kernel_idle_timeout_minutes: z.number().min(0).max(60 * 24 * 14).optional(),
  /** computeinstance: the environment Jupyter and its Python kernel run in (azureml:<name>:<version>); ipykernel is added. */
  environment: z.string().min(1).optional(),
  schedules: z.strictObject({ compute_start_stop: z.array(ComputeStartStop).max(20) }).optional(),
  /** spark: how many workers, and each one's cores and memory (Spark's own size notation, e.g. 1g). */
  workers: z.number().int().min(0).max(64).optional(),
  worker_cores: z.number().int().min(1).max(256).optional(),
  worker_memory: z.string().regex(/^\d+[kmgt]?$/i, 'a size such as 512m or 2g').optional(),
  /** spark: settings every application on the cluster starts with (spark.* names). */
  spark_conf: z.record(z.string().regex(/^spark\.[\w.-]+$/, 'a spark.* setting name'), z.string()).optional(),
  /** spark: the address the master binds to (default 127.0.0.1); one other hosts reach lets their workers join. */
  master_host: z.string().regex(/^[\d.]+$|^[\da-f:]+$/i, 'an IP address of this machine').optional(),
  /** spark: attach an existing master (spark://host:port) instead of starting one; its web UI (http://host:8080) for status. */
  master_url: z.string().max(300).optional(),
  master_web_ui: z.string().regex(/^https?:\/\/[^\s/]+\/?$/, 'the master web UI\'s address, e.g. http://10.0.0.4:8080').optional(),
  setup_scripts: z.strictObject({ creation_script: SetupScript.optional(), startup_script: SetupScript.optional() }).optional(),
  /** computeinstance: the user it is assigned to (a user name here; Azure's tenant id is not needed). Default: its creator. */
  create_on_behalf_of: z.strictObject({ user_object_id: z.string().min(1).max(200), user_tenant_id: z.string().max(200).optional() }).optional(),
});

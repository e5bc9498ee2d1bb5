/**
 * The shapes of REST API v1 replies, written once: the OpenAPI document describes them, the
 * typed client's return types are inferred from them, and the server checks its own replies
 * against them when STRATUS_CHECK_REPLIES=1 (the test suites set it, so a reply that drifts from
 * its schema fails a test instead of surprising a client). Field names are Azure ML's, as
 * `az ml … show --output json` prints them. Objects are loose: a client must ignore fields it
 * does not know, so adding a field is not a breaking change.
 */
import { z } from 'zod';

const IsoTime = z.string().describe('ISO 8601 time');
const Tags = z.record(z.string(), z.string());
const CreationContext = z.looseObject({ created_at: IsoTime, created_by: z.string().optional() });
const Notes = z.array(z.string()).describe('settings accepted but not applied here, and why');

/** A list reply: `{value: [...]}` as Azure's REST API pages its lists. */
export const listOf = <T extends z.ZodType>(item: T) => z.looseObject({ value: z.array(item) });

export const Empty = z.looseObject({});

export const ApiErrorReply = z.object({ error_code: z.string(), message: z.string() });

const Params = z.record(z.string(), z.unknown());

/** A pipeline step as its parent shows it: the step's job, its status and what step reuse decided. */
const PipelineStep = z.looseObject({
  type: z.string().optional(),
  component: z.string().optional(),
  job_name: z.string().optional(),
  status: z.string(),
  /** Each input as Azure's YAML writes it: `${{parent.jobs.<step>.outputs.<name>}}`, a literal, or {type, path}. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  depends_on: z.array(z.string()),
  reused: z.boolean().optional(),
  reused_from: z.string().optional(),
  reuse_reason: z.string().optional(),
});

/** A sweep trial: its parameters, status and (under the objective's metric name) its last value. */
const Trial = z.looseObject({ name: z.string(), status: z.string().optional(), params: Params, run_id: z.string().nullable().optional(), early_terminated: z.string().optional() });

export const JobReply = z.looseObject({
  name: z.string(),
  display_name: z.string().optional(),
  type: z.string().describe('command, spark, pipeline or sweep'),
  status: z.string().describe('NotStarted, Queued, Preparing, Running, Finalizing, Completed, Failed, Canceled, CancelRequested'),
  experiment_name: z.string().optional(),
  description: z.string().optional(),
  tags: Tags,
  compute: z.string(),
  command: z.string().optional(),
  code: z.string().optional(),
  environment: z.string().optional(),
  environment_variables: z.record(z.string(), z.string()).optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  outputs: z.record(z.string(), z.looseObject({ path: z.string(), store_path: z.string() })).optional(),
  limits: z.looseObject({}).optional(),
  creation_context: CreationContext,
  start_time: IsoTime.optional(),
  end_time: IsoTime.optional(),
  services: z.record(z.string(), z.looseObject({ job_service_type: z.string() })),
  properties: z.looseObject({ 'mlflow.run_id': z.string(), 'mlflow.experiment_id': z.string() }),
  error: z.looseObject({ message: z.string(), exit_code: z.number().optional(), stderr_tail: z.string().optional() }).optional(),
  notes: Notes.optional(),
  parent_job_name: z.string().optional(),
  step_name: z.string().optional(),
  /** A pipeline step: how step reuse saw it. */
  reuse: z.looseObject({ reused: z.boolean(), reused_from: z.string().optional(), reason: z.string() }).optional(),
  /** A sweep trial: its sampled parameters. */
  trial: z.looseObject({ params: Params }).optional(),
  /** A pipeline: its steps by name. */
  jobs: z.record(z.string(), PipelineStep).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  /** A sweep: its settings, trials and (when it has ended) best trial. */
  search_space: z.record(z.string(), z.unknown()).optional(),
  sampling_algorithm: z.unknown().optional(),
  objective: z.looseObject({ primary_metric: z.string(), goal: z.string() }).optional(),
  early_termination: z.unknown().optional(),
  trials: z.array(Trial).optional(),
  best_trial: Trial.optional(),
});

export const JobValidation = z.looseObject({ valid: z.literal(true), type: z.string() });

const LogChunk = z.object({ data: z.string(), offset: z.number().int() });
export const JobLogsReply = z.looseObject({
  name: z.string(),
  status: z.string(),
  build: LogChunk,
  stdout: LogChunk,
  stderr: LogChunk,
  error: z.looseObject({ message: z.string(), exit_code: z.number().optional(), stderr_tail: z.string().optional() }).optional(),
});

const AssetCommon = {
  name: z.string(),
  version: z.string(),
  id: z.string().describe('azureml:<name>:<version>'),
  description: z.string().optional(),
  tags: Tags,
  creation_context: CreationContext,
};

export const EnvironmentReply = z.looseObject({
  ...AssetCommon,
  image: z.string().optional(),
  conda_file: z.string().optional().describe('the conda YAML as text'),
  archived: z.boolean(),
});

export const DataReply = z.looseObject({
  ...AssetCommon,
  type: z.string().describe('uri_file, uri_folder or mltable'),
  path: z.string(),
  archived: z.boolean(),
});

export const ComponentReply = z.looseObject({
  ...AssetCommon,
  type: z.string(),
  display_name: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
  command: z.string().optional(),
  code: z.string().optional(),
  environment: z.unknown().optional(),
  is_deterministic: z.boolean().optional(),
  jobs: z.array(z.string()).optional(),
  archived: z.boolean(),
});

export const ModelReply = z.looseObject({
  ...AssetCommon,
  type: z.string().describe('mlflow_model, custom_model or triton_model'),
  path: z.string(),
  stage: z.string().optional(),
  job_name: z.string().optional(),
  run_id: z.string().optional(),
});

export const EnvironmentBuildReply = z.looseObject({
  state: z.enum(['built', 'building', 'failed', 'not built', 'none']),
  hash: z.string().optional(),
  log: z.string().optional(),
  note: z.string().optional(),
});

export const DataPreviewReply = z.looseObject({
  file: z.string(),
  row_count: z.number(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  stats: z.array(z.looseObject({ column: z.string(), type: z.string(), min: z.unknown(), max: z.unknown(), distinct: z.unknown(), mean: z.unknown(), std: z.unknown(), nulls_percent: z.unknown() })),
});

export const ModelFilesReply = z.object({ path: z.string() });

export const SnapshotReply = z.object({ hash: z.string(), snapshot_complete: z.boolean(), upload_complete: z.boolean() });

export const SqlReply = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())),
  row_count: z.number(),
  truncated: z.boolean(),
  elapsed_ms: z.number(),
  messages: z.array(z.string()),
  saved_as: z.string().optional(),
}).describe('a query\'s columns and rows (at most max_rows; truncated says there were more); saved_as: the data asset the whole result was kept as');

export const SqlSchemaReply = z.object({
  tables: z.array(z.object({ name: z.string(), columns: z.array(z.object({ name: z.string(), type: z.string() })) })),
});

export const DatastoreReply = z.object({
  name: z.string(), type: z.literal('azure_blob'), is_default: z.boolean(), account_name: z.string(), container_name: z.string(),
  description: z.string(), writable: z.boolean(),
}).describe("a datastore, in az ml datastore show's shape (writable: whether files can be uploaded into it here)");

export const ComputeReply = z.looseObject({
  name: z.string(),
  type: z.string().describe('local, amlcompute, computeinstance or spark'),
  max_instances: z.number().int(),
  description: z.string().optional(),
  tags: Tags.optional(),
  size: z.string().optional(),
  created_at: z.number(),
  provisioning_state: z.string(),
  /** A compute instance's state, and why it is Stopped or Failed. */
  state: z.enum(['Creating', 'Starting', 'Running', 'Stopping', 'Stopped', 'Restarting', 'Failed', 'Deleting']).optional(),
  state_reason: z.string().optional(),
  idle_time_before_shutdown_minutes: z.number().optional(),
  idle_time_before_shutdown: z.string().optional(),
  kernel_idle_timeout_minutes: z.number().optional(),
  /** A compute instance's user: only they open it, and its kernels run as them. */
  create_on_behalf_of: z.object({ user_object_id: z.string() }).optional(),
  environment: z.string().optional(),
  /** Where a running instance's Jupyter and JupyterLab are, as Azure ML lists them. */
  services: z.array(z.object({ display_name: z.string(), endpoint_uri: z.string() })).optional(),
  last_activity: IsoTime.optional(),
  schedules: z.unknown().optional(),
  setup_scripts: z.unknown().optional(),
  log: z.string().optional(),
  /** A Spark cluster: its size, master and workers. */
  workers: z.number().optional(),
  worker_cores: z.number().optional(),
  worker_memory: z.string().optional(),
  spark_conf: z.record(z.string(), z.string()).optional(),
  master_url: z.string().optional(),
  master_web_ui: z.string().optional(),
  master_host: z.string().optional(),
  attached_master: z.string().optional(),
  join_worker_command: z.string().optional(),
  alive_workers: z.number().optional(),
  nodes: z.array(z.looseObject({ id: z.string(), state: z.string() })).optional(),
});

const Percentiles = z.object({ p50: z.number().optional(), p90: z.number().optional(), p99: z.number().optional() });
const LatencySummary = z.looseObject({
  requests_total: z.number(), errors_total: z.number(), window_seconds: z.number(), window_requests: z.number(), window_errors: z.number(), latency_ms: Percentiles,
}).describe('requests and errors since the deployment started, and latency percentiles over the last window');

export const InferencePipelineReply = z.looseObject({
  job: z.string(),
  score_step: z.string(),
  model: z.object({ step: z.string(), output: z.string() }),
  source: z.string(),
  steps: z.array(z.looseObject({ step: z.string(), module: z.string(), title: z.string(), params: z.record(z.string(), z.string()) })),
  removed: z.array(z.object({ step: z.string(), title: z.string(), why: z.string() })),
  graph: z.array(z.string()),
});

export const EndpointReply = z.looseObject({
  name: z.string(),
  auth_mode: z.string(),
  scoring_uri: z.string(),
  swagger_uri: z.string(),
  provisioning_state: z.enum(['Creating', 'Updating', 'Succeeded', 'Failed', 'Deleting']),
  traffic: z.record(z.string(), z.number()),
  mirror_traffic: z.record(z.string(), z.number()),
  description: z.string().optional(),
  tags: Tags,
  deployments: z.array(z.looseObject({ name: z.string(), provisioning_state: z.string(), metrics: LatencySummary.optional() })),
  creation_context: CreationContext,
});

export const EndpointKeysReply = z.object({ primaryKey: z.string(), secondaryKey: z.string() });

const Probe = z.object({ initial_delay: z.number(), period: z.number(), timeout: z.number(), success_threshold: z.number(), failure_threshold: z.number() });

export const DeploymentReply = z.looseObject({
  name: z.string(),
  endpoint_name: z.string(),
  provisioning_state: z.enum(['Creating', 'Updating', 'Succeeded', 'Failed', 'Deleting']),
  error: z.string().optional(),
  model: z.string().optional(),
  code_configuration: z.object({ code: z.string().optional(), scoring_script: z.string().optional() }),
  instance_count: z.number().int(),
  request_settings: z.looseObject({ request_timeout_ms: z.number(), max_concurrent_requests_per_instance: z.number() }),
  liveness_probe: Probe,
  readiness_probe: Probe,
  environment_variables: z.record(z.string(), z.string()),
  description: z.string().optional(),
  notes: Notes.optional(),
  metrics: LatencySummary.optional(),
  runtime: z.enum(['score.py', 'onnx', 'mlflow']),
  workers: z.number().int(),
});

export const DeploymentLogsReply = z.object({ content: z.string() });

export const DeployInferenceReply = z.object({
  inference_pipeline: InferencePipelineReply,
  model: z.object({ name: z.string(), version: z.string() }),
  deployment: DeploymentReply,
  endpoint: EndpointReply,
});

export const ScheduleReply = z.looseObject({
  name: z.string(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: Tags,
  is_enabled: z.boolean(),
  provisioning_state: z.string(),
  trigger: z.looseObject({ type: z.enum(['cron', 'recurrence']) }),
  create_job: z.looseObject({ type: z.string() }),
  next_run_time: IsoTime.optional(),
  creation_context: CreationContext,
  fires: z.array(z.object({ slot: IsoTime, job_name: z.string().optional(), outcome: z.string() })).optional(),
});

export type JobJson = z.infer<typeof JobReply>;
export type JobLogs = z.infer<typeof JobLogsReply>;
/** Any versioned asset as the list and show commands print it. */
export type AssetJson = EnvironmentJson | DataJson | ComponentJson | ModelJson;
export type EnvironmentJson = z.infer<typeof EnvironmentReply>;
export type DataJson = z.infer<typeof DataReply>;
export type ComponentJson = z.infer<typeof ComponentReply>;
export type ModelJson = z.infer<typeof ModelReply>;
export type DataPreview = z.infer<typeof DataPreviewReply>;
export type ComputeJson = z.infer<typeof ComputeReply>;
export type EndpointJson = z.infer<typeof EndpointReply>;
export type DeploymentJson = z.infer<typeof DeploymentReply>;
export type ScheduleJson = z.infer<typeof ScheduleReply>;

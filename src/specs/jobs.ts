/**
 * The job specs the CLI sends and the server accepts (`POST /api/v1/jobs {spec}`), written once:
 * the schemas validate every REST write, and the types the services use are inferred from them.
 * Objects are strict: a field the schema does not name is an error, never silently dropped.
 */
import { z } from 'zod';

/** Azure ML's data input and output types: one list for jobs, components and pipelines. */
export const ASSET_TYPES = ['uri_file', 'uri_folder', 'mltable', 'mlflow_model', 'custom_model'] as const;
export const OUTPUT_TYPES = ['uri_folder', 'uri_file', 'mlflow_model', 'custom_model'] as const;
export const LITERAL_TYPES = ['string', 'integer', 'number', 'boolean'] as const;

const name = z.string().min(1).max(255);
const stringMap = z.record(z.string(), z.string());
const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** A code snapshot: the content hash the CLI uploaded it under. */
const snapshotHash = z.string().regex(/^[0-9a-f]{32}$/, 'a code snapshot hash (32 hex characters) as stratus uploads it');

export const LiteralInput = z.strictObject({ type: z.literal('literal'), value: scalar });
export const AssetInput = z.strictObject({ type: z.enum(ASSET_TYPES), path: z.string().min(1), mode: z.string().optional() });
export const InputSpec = z.union([LiteralInput, AssetInput]);
export const OutputSpec = z.strictObject({ type: z.enum(OUTPUT_TYPES), mode: z.string().optional() });

export const EnvironmentRef = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('host'), image: z.string().optional() }),
  z.strictObject({ kind: z.literal('curated'), name }),
  z.strictObject({ kind: z.literal('registered'), name, version: z.string().optional(), label: z.string().optional() }),
  z.strictObject({ kind: z.literal('inline'), image: z.string().optional(), conda: z.string() }),
]);

/** What every kind of job (command, pipeline, sweep) says about itself. */
const header = {
  name: name.optional(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: stringMap.default({}),
  experiment_name: name.default('Default'),
  /** Settings accepted from the YAML that cannot apply on this workspace, said on `job show`. */
  notes: z.array(z.string()).default([]),
};

export const CommandJobSpec = z.strictObject({
  type: z.literal('command'),
  ...header,
  command: z.string().trim().min(1),
  code: snapshotHash.optional(),
  environment: EnvironmentRef.default({ kind: 'host' }),
  environment_variables: stringMap.default({}),
  inputs: z.record(z.string(), InputSpec).default({}),
  outputs: z.record(z.string(), OutputSpec).default({}),
  compute: name.default('local'),
  timeout_seconds: z.number().positive().optional(),
});

/** A spark job's (or spark step's) settings, as its YAML gave them, for display. */
export const SparkSettings = z.strictObject({
  entry: z.strictObject({ file: z.string().optional(), class_name: z.string().optional() }),
  master: z.string().min(1),
  conf: z.record(z.string(), z.string()).default({}),
  py_files: z.array(z.string()).optional(),
  jars: z.array(z.string()).optional(),
  files: z.array(z.string()).optional(),
  archives: z.array(z.string()).optional(),
});

/** A spark job: a command job whose command is spark-submit, with its Spark settings for display. */
export const SparkJobSpec = CommandJobSpec.extend({
  type: z.literal('spark'),
  spark: SparkSettings,
});

const Distribution = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('choice'), values: z.array(scalar).min(1) }),
  z.strictObject({ type: z.literal('randint'), upper: z.number() }),
  z.strictObject({ type: z.enum(['uniform', 'loguniform']), min_value: z.number(), max_value: z.number() }),
  z.strictObject({ type: z.enum(['quniform', 'qloguniform']), min_value: z.number(), max_value: z.number(), q: z.number() }),
  z.strictObject({ type: z.enum(['normal', 'lognormal']), mu: z.number(), sigma: z.number() }),
  z.strictObject({ type: z.enum(['qnormal', 'qlognormal']), mu: z.number(), sigma: z.number(), q: z.number() }),
]);

export const SweepSettings = z.strictObject({
  search_space: z.record(z.string(), Distribution),
  sampling_algorithm: z.strictObject({ type: z.enum(['random', 'grid', 'bayesian']), seed: z.number().optional() }),
  objective: z.strictObject({ goal: z.enum(['maximize', 'minimize']), primary_metric: z.string().min(1) }),
  limits: z.strictObject({
    max_total_trials: z.number().int().positive(), max_concurrent_trials: z.number().int().positive(),
    timeout: z.number().positive().optional(), trial_timeout: z.number().positive().optional(),
  }),
  early_termination: z.strictObject({
    type: z.enum(['bandit', 'median_stopping', 'truncation_selection']),
    evaluation_interval: z.number(), delay_evaluation: z.number(),
    slack_factor: z.number().optional(), slack_amount: z.number().optional(), truncation_percentage: z.number().optional(),
  }).optional(),
});

export const ComponentInput = z.strictObject({
  type: z.enum([...LITERAL_TYPES, ...ASSET_TYPES]),
  default: scalar.optional(),
  optional: z.boolean().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  description: z.string().optional(),
});
export const ComponentOutput = z.strictObject({ type: z.enum(OUTPUT_TYPES), description: z.string().optional() });

/** Where a step input's value comes from. */
export const Binding = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('literal'), value: scalar }),
  z.strictObject({ kind: z.literal('asset'), type: z.enum(ASSET_TYPES), path: z.string().min(1), mode: z.string().optional() }),
  z.strictObject({ kind: z.literal('parent_input'), name: z.string() }),
  z.strictObject({ kind: z.literal('step_output'), step: z.string(), output: z.string() }),
]);

// Components and steps refer to each other (a pipeline component's steps have components).
export interface ComponentSpecShape {
  type: 'command' | 'pipeline';
  name?: string;
  version?: string;
  display_name?: string;
  description?: string;
  tags: Record<string, string>;
  inputs: Record<string, z.infer<typeof ComponentInput>>;
  outputs: Record<string, z.infer<typeof ComponentOutput>>;
  command?: string;
  code?: string;
  environment?: z.infer<typeof EnvironmentRef>;
  environment_variables?: Record<string, string>;
  /** false: never reuse this component's earlier results. */
  is_deterministic: boolean;
  /** A spark component (or spark step): its command is spark-submit with these settings. */
  spark?: z.infer<typeof SparkSettings>;
  jobs?: Record<string, StepSpecShape>;
  /** For pipeline components: which step output each pipeline output is. */
  output_bindings?: Record<string, z.infer<typeof Binding>>;
}

export interface StepSpecShape {
  type: 'command' | 'spark' | 'pipeline' | 'sweep';
  /** Inline, from a local file, or `azureml:name:version` until the server resolves it. */
  component: ComponentSpecShape | { ref: string };
  inputs: Record<string, z.infer<typeof Binding>>;
  /** Step outputs that are the pipeline's outputs: `${{parent.outputs.x}}`. */
  outputs: Record<string, { parent_output?: string; type?: (typeof OUTPUT_TYPES)[number] }>;
  compute?: string;
  display_name?: string;
  environment_variables?: Record<string, string>;
  timeout_seconds?: number;
  sweep?: z.infer<typeof SweepSettings>;
}

export const ComponentSpec: z.ZodType<ComponentSpecShape> = z.lazy(() => z.strictObject({
  type: z.enum(['command', 'pipeline']),
  name: name.optional(),
  version: z.string().optional(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: stringMap,
  inputs: z.record(z.string(), ComponentInput),
  outputs: z.record(z.string(), ComponentOutput),
  command: z.string().optional(),
  code: snapshotHash.optional(),
  environment: EnvironmentRef.optional(),
  environment_variables: stringMap.optional(),
  is_deterministic: z.boolean(),
  spark: SparkSettings.optional(),
  jobs: z.record(z.string(), StepSpec).optional(),
  output_bindings: z.record(z.string(), Binding).optional(),
}));

export const StepSpec: z.ZodType<StepSpecShape> = z.lazy(() => z.strictObject({
  type: z.enum(['command', 'spark', 'pipeline', 'sweep']),
  component: z.union([ComponentSpec, z.strictObject({ ref: z.string().min(1) })]),
  inputs: z.record(z.string(), Binding),
  outputs: z.record(z.string(), z.strictObject({ parent_output: z.string().optional(), type: z.enum(OUTPUT_TYPES).optional() })),
  compute: z.string().optional(),
  display_name: z.string().optional(),
  environment_variables: stringMap.optional(),
  timeout_seconds: z.number().positive().optional(),
  sweep: SweepSettings.optional(),
}));

export const PipelineJobSpec = z.strictObject({
  type: z.literal('pipeline'),
  ...header,
  compute: z.string().optional(),
  settings: z.strictObject({ default_compute: z.string().optional(), continue_on_step_failure: z.boolean(), force_rerun: z.boolean() }),
  /** The pipeline's own inputs, as a command job's: literals or assets. */
  inputs: z.record(z.string(), InputSpec),
  outputs: z.record(z.string(), OutputSpec),
  jobs: z.record(z.string(), StepSpec),
});

export const SweepJobSpec = z.strictObject({
  type: z.literal('sweep'),
  ...header,
  compute: z.string().optional(),
  /** The job's own inputs: literals or assets, as a command job's. */
  inputs: z.record(z.string(), InputSpec),
  /** The trial as a one-step graph: its component, and inputs bound to the job's inputs and the search space. */
  step: StepSpec,
});

/** An AutoML job's settings, as specs/automl-job.ts reads them from Azure's YAML. */
export const AutomlSettings = z.strictObject({
  task: z.enum(['classification', 'regression', 'forecasting']),
  target_column_name: z.string().min(1),
  forecasting: z.strictObject({ time_column_name: z.string().min(1), forecast_horizon: z.number().int().positive() }).optional(),
  primary_metric: z.string().min(1),
  estimators: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/)).min(1),
  limits: z.strictObject({ timeout_minutes: z.number().positive(), max_trials: z.number().int().positive().optional(), enable_early_termination: z.boolean() }),
  training: z.strictObject({ allowed_training_algorithms: z.array(z.string()).min(1), enable_stack_ensemble: z.boolean() }),
  featurization: z.strictObject({
    mode: z.enum(['auto', 'off', 'custom']),
    column_name_and_types: z.record(z.string(), z.enum(['Categorical', 'Numeric', 'DateTime', 'Text'])).optional(),
    drop_columns: z.array(z.string()).optional(),
  }),
  n_cross_validations: z.number().int().positive().optional(),
  validation_data_size: z.number().positive().lt(1).optional(),
});

/** An AutoML job: a command job that runs the search (python/stratus_automl), with its settings for display. */
export const AutomlJobSpec = CommandJobSpec.extend({
  type: z.literal('automl'),
  automl: AutomlSettings,
});

/** Any job a client may submit; `type` picks the schema (command when absent, as in Azure ML). */
export const AnyJobSpec = z.discriminatedUnion('type', [CommandJobSpec, SparkJobSpec, AutomlJobSpec, PipelineJobSpec, SweepJobSpec]);

/** A job without `type` is a command job, as in Azure ML's YAML. */
const typedJob = z.preprocess((v) => (v && typeof v === 'object' && !Array.isArray(v) && !('type' in v) ? { ...v, type: 'command' } : v), AnyJobSpec);

export const SubmitJob = z.strictObject({ spec: typedJob });
export const UpdateJob = z.strictObject({ display_name: z.string().optional(), description: z.string().optional(), tags: stringMap.optional() });

/** "Create inference pipeline" and deploy it: a designer pipeline job's trained model served on an online endpoint. */
export const DeployInferencePipeline = z.strictObject({
  endpoint_name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{2,31}$/, '3-32 letters, digits and \'-\', starting with a letter'),
  deployment_name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{2,31}$/, '3-32 letters, digits and \'-\', starting with a letter').optional(),
  model_name: z.string().min(1).max(255).optional(),
  score_step: z.string().optional(),
  instance_count: z.number().int().min(1).max(16).optional(),
});

export type SweepSettingsT = z.infer<typeof SweepSettings>;
export type DistributionT = SweepSettingsT['search_space'][string];
export type EarlyTerminationT = NonNullable<SweepSettingsT['early_termination']>;
export type LiteralInputT = z.infer<typeof LiteralInput>;
export type AssetInputT = z.infer<typeof AssetInput>;

/** The REST shapes of batch endpoints and deployments. */
import { z } from 'zod';
import { EnvironmentRef, InputSpec } from './jobs.ts';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{2,31}$/, '3-32 letters, digits and \'-\', starting with a letter');

export const CreateBatchEndpoint = z.strictObject({
  name,
  description: z.string().optional(),
  auth_mode: z.enum(['key', 'aad_token']).default('aad_token'),
  defaults: z.strictObject({ deployment_name: z.string().optional() }).default({}),
  tags: z.record(z.string(), z.string()).default({}),
});

export const UpdateBatchEndpoint = z.strictObject({
  description: z.string().optional(),
  defaults: z.strictObject({ deployment_name: z.string().optional() }).optional(),
});

export const BatchSettings = z.strictObject({
  max_concurrency_per_instance: z.number().int().min(1),
  mini_batch_size: z.number().int().min(1),
  output_action: z.enum(['append_row', 'summary_only']),
  output_file_name: z.string().min(1),
  retry_settings: z.strictObject({ max_retries: z.number().int().min(0), timeout: z.number().int().min(1) }),
  error_threshold: z.number().int().min(-1),
  logging_level: z.enum(['debug', 'info', 'warning']),
  environment_variables: z.record(z.string(), z.string()),
});

const BatchDeploymentSpec = z.strictObject({
  name,
  endpoint_name: z.string(),
  type: z.enum(['model', 'pipeline']),
  model: z.string().optional(),
  component: z.string().regex(/^azureml:/, 'a registered component: azureml:<name>:<version> or azureml:<name>@latest').optional(),
  pipeline_settings: z.strictObject({ default_compute: z.string().optional(), continue_on_step_failure: z.boolean() }).optional(),
  code: z.string().optional(),
  scoring_script: z.string().optional(),
  environment: EnvironmentRef.optional(),
  compute: z.string().optional(),
  instance_count: z.number().int().min(1).max(16),
  settings: BatchSettings,
  description: z.string().optional(),
  notes: z.array(z.string()),
});

export const CreateBatchDeployment = z.strictObject({ spec: BatchDeploymentSpec, set_default: z.boolean().optional() });
/** The whole new definition (as `batch-deployment update --file` reads it); name and endpoint must match the deployment's. */
export const UpdateBatchDeployment = z.strictObject({ spec: BatchDeploymentSpec });

export const InvokeBatchEndpoint = z.strictObject({
  input: z.string().min(1).optional().describe('a data asset (azureml:<name>:<version>), an azureml://datastores/… path or an uploaded folder'),
  inputs: z.record(z.string(), InputSpec).optional().describe('named inputs (a pipeline component\'s): {type, path} or {type: literal, value}'),
  input_type: z.enum(['uri_folder', 'uri_file']).optional(),
  deployment_name: z.string().optional(),
  experiment_name: z.string().optional(),
  /** This invocation only: az's --mini-batch-size, --instance-count, and settings given with --set. */
  mini_batch_size: z.number().int().min(1).optional(),
  instance_count: z.number().int().min(1).max(16).optional(),
  settings: BatchSettings.partial().optional(),
});

export const BatchKeysReply = z.strictObject({ primaryKey: z.string(), secondaryKey: z.string() });
export const BatchEndpointReply = z.looseObject({ name: z.string(), auth_mode: z.string(), scoring_uri: z.string(), defaults: z.looseObject({}) });
export const BatchDeploymentReply = z.looseObject({ name: z.string(), endpoint_name: z.string(), type: z.string(), settings: z.looseObject({}) });

/** One input of an invocation over the endpoint's scoring URI, in Azure's REST spelling (either case of type). */
const AzureJobInput = z.union([
  z.strictObject({ JobInputType: z.enum(['UriFolder', 'UriFile', 'uri_folder', 'uri_file']), Uri: z.string().min(1), Mode: z.string().optional(), Description: z.string().optional() }),
  z.strictObject({ JobInputType: z.enum(['Literal', 'literal']), Value: z.union([z.string(), z.number(), z.boolean()]), Description: z.string().optional() }),
]);

/** `POST <scoring_uri>`: Azure's batch endpoint invocation body. */
export const AzureBatchInvocation = z.looseObject({
  properties: z.looseObject({
    InputData: z.record(z.string(), AzureJobInput).refine((m) => Object.keys(m).length > 0, 'name at least one input'),
  }),
});

/** The REST shapes of batch endpoints and deployments. */
import { z } from 'zod';
import { EnvironmentRef } from './jobs.ts';

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

export const CreateBatchDeployment = z.strictObject({
  spec: z.strictObject({
    name,
    endpoint_name: z.string(),
    type: z.enum(['model', 'pipeline']),
    model: z.string().optional(),
    component: z.string().optional(),
    code: z.string().optional(),
    scoring_script: z.string().optional(),
    environment: EnvironmentRef.optional(),
    compute: z.string().optional(),
    instance_count: z.number().int().min(1).max(16),
    settings: BatchSettings,
    description: z.string().optional(),
    notes: z.array(z.string()),
  }),
  set_default: z.boolean().optional(),
});

export const InvokeBatchEndpoint = z.strictObject({
  input: z.string().min(1).describe('a data asset (azureml:<name>:<version>), an azureml://datastores/… path or an uploaded folder'),
  input_type: z.enum(['uri_folder', 'uri_file']).optional(),
  deployment_name: z.string().optional(),
  experiment_name: z.string().optional(),
});

export const BatchEndpointReply = z.looseObject({ name: z.string(), auth_mode: z.string(), scoring_uri: z.string(), defaults: z.looseObject({}) });
export const BatchDeploymentReply = z.looseObject({ name: z.string(), endpoint_name: z.string(), type: z.string(), settings: z.looseObject({}) });

/** Online endpoints and deployments as the CLI sends them (REST v1 writes), written once. */
import { z } from 'zod';
import { EnvironmentRef } from './jobs.ts';

const stringMap = z.record(z.string(), z.string());
const percentages = z.record(z.string(), z.number().int().min(0).max(100));

/** Azure ML's probe fields (seconds); the ones not given take Azure's defaults. */
export const Probe = z.strictObject({
  initial_delay: z.number().min(0).optional(),
  period: z.number().positive().optional(),
  timeout: z.number().positive().optional(),
  success_threshold: z.number().int().positive().optional(),
  failure_threshold: z.number().int().positive().optional(),
});

export const RequestSettings = z.strictObject({
  request_timeout_ms: z.number().positive(),
  max_concurrent_requests_per_instance: z.number().int().positive(),
});

export const CreateEndpoint = z.strictObject({
  name: z.string().min(1),
  auth_mode: z.enum(['key', 'aml_token']).optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
});

export const UpdateEndpoint = z.strictObject({
  traffic: percentages.optional(),
  mirror_traffic: percentages.optional(),
  description: z.string().optional(),
});

export const RegenerateKeys = z.strictObject({ key_type: z.enum(['primary', 'secondary']).optional() });

const deploymentFields = {
  /** azureml:<name>:<version> (a model asset) or stratus-upload:<hash>/<folder> (a local upload). */
  model: z.string().min(1),
  code: z.string().regex(/^[0-9a-f]{32}$/, 'a code snapshot hash as stratus uploads it'),
  scoring_script: z.string().min(1),
  environment: EnvironmentRef,
  environment_variables: stringMap,
  instance_count: z.number().int().min(1).max(16),
  request_settings: RequestSettings,
  liveness_probe: Probe,
  readiness_probe: Probe,
  description: z.string(),
};
const f = deploymentFields;

export const DeploymentSpec = z.strictObject({
  name: z.string().min(1),
  /** Taken from the URL when absent. */
  endpoint_name: z.string().min(1).optional(),
  model: f.model.optional(),
  code: f.code.optional(),
  scoring_script: f.scoring_script.optional(),
  environment: f.environment.default({ kind: 'host' }),
  environment_variables: f.environment_variables.default({}),
  instance_count: f.instance_count.default(1),
  /** Azure ML's defaults: 5 s and one request at a time per instance. */
  request_settings: f.request_settings.default({ request_timeout_ms: 5000, max_concurrent_requests_per_instance: 1 }),
  liveness_probe: f.liveness_probe.optional(),
  readiness_probe: f.readiness_probe.optional(),
  description: f.description.optional(),
  notes: z.array(z.string()).default([]),
});

export const CreateDeployment = z.strictObject({ spec: DeploymentSpec, all_traffic: z.boolean().optional() });

export const UpdateDeployment = z.strictObject({
  ...Object.fromEntries(Object.entries(deploymentFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof deploymentFields]: z.ZodOptional<(typeof deploymentFields)[K]> },
  name: z.string().optional(),
  endpoint_name: z.string().optional(),
  notes: z.array(z.string()).optional(),
});

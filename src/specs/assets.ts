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

export const CreateCompute = z.strictObject({
  name: z.string().min(1),
  type: z.string().optional(),
  max_instances: z.number().int().optional(),
  description: z.string().optional(),
});

/**
 * Azure ML's batch endpoint and batch deployment YAML (batchEndpoint, modelBatchDeployment and the
 * older batchDeployment schema, whose settings sit at the top level), read as Azure reads them.
 */
import path from 'node:path';
import { applySets, parseEnvironment, type EnvironmentRef } from './command-job.ts';
import type { YamlSource } from './yaml-source.ts';

export interface BatchEndpointSpec {
  name: string;
  description?: string;
  auth_mode: 'key' | 'aad_token';
  defaults: { deployment_name?: string };
  tags: Record<string, string>;
}

export interface BatchSettings {
  max_concurrency_per_instance: number;
  mini_batch_size: number;
  output_action: 'append_row' | 'summary_only';
  output_file_name: string;
  retry_settings: { max_retries: number; timeout: number };
  error_threshold: number;
  logging_level: 'debug' | 'info' | 'warning';
  environment_variables: Record<string, string>;
}

export interface BatchDeploymentSpec {
  name: string;
  endpoint_name: string;
  type: 'model' | 'pipeline';
  /** azureml:<name>:<version> | @latest, or a local path to upload. */
  model?: string;
  /** A pipeline deployment's registered component: azureml:<name>:<version> or @latest. */
  component?: string;
  /** A pipeline deployment's settings (Azure's pipelineComponentBatchDeployment). */
  pipeline_settings?: { default_compute?: string; continue_on_step_failure: boolean };
  code?: string;
  scoring_script?: string;
  environment?: EnvironmentRef;
  compute?: string;
  instance_count: number;
  settings: BatchSettings;
  description?: string;
  notes: string[];
}

const NAME = /^[A-Za-z][A-Za-z0-9-]{2,31}$/;

export function parseBatchEndpoint(src: YamlSource, opts: { sets?: string[]; name?: string }): { spec: BatchEndpointSpec; warnings: string[] } {
  const d = src.data as Record<string, any>;
  applySets(d, opts.sets ?? []);
  const warnings = src.checkKeys([], d, ['$schema', 'name', 'description', 'auth_mode', 'defaults', 'tags', 'properties']);
  const name = opts.name ?? d.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw src.error(['name'], `a batch endpoint needs a name of 3-32 letters, digits and '-', starting with a letter; got '${String(name)}'.`);
  const auth = d.auth_mode ?? 'aad_token';
  if (auth !== 'aad_token' && auth !== 'key') throw src.error(['auth_mode'], `expected aad_token (Azure's only mode for batch endpoints; the workspace token here) or key, got '${auth}'.`);
  return { spec: { name, description: d.description, auth_mode: auth, defaults: { deployment_name: d.defaults?.deployment_name }, tags: d.tags ?? {} }, warnings };
}

function whole(src: YamlSource, where: string[], v: unknown, dflt: number, min: number): number {
  if (v === undefined || v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw src.error(where, `expected a whole number of at least ${min}, got ${String(v)}.`);
  return n;
}

/** Local files a deployment names, for the CLI to upload (or register, for a component file) before it is sent. */
export interface BatchUploads { code?: string; model?: string; component?: string }

export function parseBatchDeployment(src: YamlSource, opts: { sets?: string[]; name?: string; endpointName?: string }): { spec: BatchDeploymentSpec; uploads: BatchUploads; warnings: string[] } {
  const d = src.data as Record<string, any>;
  applySets(d, opts.sets ?? []);
  const base = path.dirname(path.resolve(src.file));
  const notes: string[] = [];
  const SETTINGS = ['max_concurrency_per_instance', 'mini_batch_size', 'output_action', 'output_file_name', 'retry_settings', 'error_threshold', 'logging_level', 'environment_variables'];
  const warnings = src.checkKeys([], d, ['$schema', 'name', 'description', 'endpoint_name', 'type', 'model', 'component', 'code_configuration', 'environment', 'compute',
    'resources', 'settings', 'tags', 'properties', 'job_definition', ...SETTINGS]);
  // The older schema has the settings at the top level; the newer one under settings:.
  const s = { ...Object.fromEntries(SETTINGS.filter((k) => d[k] !== undefined).map((k) => [k, d[k]])), ...(d.settings ?? {}) } as Record<string, any>;
  const name = opts.name ?? d.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw src.error(['name'], `a batch deployment needs a name of 3-32 letters, digits and '-', starting with a letter; got '${String(name)}'.`);
  const endpoint = opts.endpointName ?? d.endpoint_name;
  if (typeof endpoint !== 'string' || !endpoint) throw src.error(['endpoint_name'], "a batch deployment needs 'endpoint_name' (or --endpoint-name).");
  const type = d.type ?? (d.component ? 'pipeline' : 'model');
  if (type !== 'model' && type !== 'pipeline') throw src.error(['type'], `expected model or pipeline, got '${type}'.`);
  const uploads: BatchUploads = {};
  let model: string | undefined;
  let component: string | undefined;
  if (type === 'pipeline') {
    if (typeof d.component !== 'string' || !d.component) throw src.error(['component'], 'a pipeline deployment needs component: azureml:<name>:<version> (or @latest), or the path of a pipeline component YAML.');
    if (/^azureml:/.test(d.component)) component = d.component;
    else uploads.component = path.resolve(base, d.component);
  }
  if (type === 'model') {
    if (typeof d.model === 'string') model = d.model.startsWith('azureml:') ? d.model : `azureml:${d.model}`;
    else if (d.model && typeof d.model === 'object' && typeof d.model.path === 'string') uploads.model = path.resolve(base, d.model.path);
    else throw src.error(['model'], 'a model deployment needs model: azureml:<name>:<version> (or @latest), or a mapping with path:.');
  }
  const cc = d.code_configuration;
  if (cc !== undefined) {
    if (!cc || typeof cc.code !== 'string' || typeof cc.scoring_script !== 'string') throw src.error(['code_configuration'], 'give code_configuration.code (a folder) and scoring_script (with init() and run(mini_batch)).');
    uploads.code = path.resolve(base, cc.code);
  }
  const retry = s.retry_settings ?? {};
  const action = s.output_action ?? 'append_row';
  if (action !== 'append_row' && action !== 'summary_only') throw src.error(['settings', 'output_action'], `expected append_row or summary_only, got '${action}'.`);
  const spec: BatchDeploymentSpec = {
    name, endpoint_name: endpoint, type, model, component,
    pipeline_settings: type === 'pipeline' ? { default_compute: s.default_compute, continue_on_step_failure: s.continue_on_step_failure === true } : undefined,
    scoring_script: cc?.scoring_script,
    environment: d.environment === undefined ? undefined : parseEnvironment(src, d.environment, base, notes),
    compute: d.compute, instance_count: whole(src, ['resources', 'instance_count'], d.resources?.instance_count, 1, 1),
    settings: {
      max_concurrency_per_instance: whole(src, ['settings', 'max_concurrency_per_instance'], s.max_concurrency_per_instance, 1, 1),
      mini_batch_size: whole(src, ['settings', 'mini_batch_size'], s.mini_batch_size, 10, 1),
      output_action: action,
      output_file_name: String(s.output_file_name ?? 'predictions.csv'),
      retry_settings: { max_retries: whole(src, ['settings', 'retry_settings', 'max_retries'], retry.max_retries, 3, 0), timeout: whole(src, ['settings', 'retry_settings', 'timeout'], retry.timeout, 30, 1) },
      error_threshold: whole(src, ['settings', 'error_threshold'], s.error_threshold, -1, -1),
      logging_level: (['debug', 'info', 'warning'].includes(String(s.logging_level).toLowerCase()) ? String(s.logging_level).toLowerCase() : 'info') as BatchSettings['logging_level'],
      environment_variables: Object.fromEntries(Object.entries(s.environment_variables ?? {}).map(([k, v]) => [k, String(v)])),
    },
    description: d.description,
    notes,
  };
  return { spec, uploads, warnings };
}

/** Azure ML managed online deployment YAML → the spec a workspace deploys (parsed where the file is). */
import path from 'node:path';
import { applySets, parseEnvironment } from './command-job.ts';
import type { YamlSource } from './yaml-source.ts';
import { readProbe, type ProbeSettings } from './probe-settings.ts';
import type { EnvironmentRef } from './command-job.ts';

/** A deployment as stored and served: read from YAML here, or from a REST body. */
export interface DeploymentSpec {
  name: string;
  endpoint_name: string;
  /** azureml:<name>:<version> (a model asset) or uploads/<hash>/<folder> (a local upload). */
  model?: string;
  code?: string;
  scoring_script?: string;
  environment: EnvironmentRef;
  environment_variables: Record<string, string>;
  instance_count: number;
  request_settings: { request_timeout_ms: number; max_concurrent_requests_per_instance: number };
  /** Absent on deployments stored before probes were applied: Azure's defaults then. */
  liveness_probe?: ProbeSettings;
  readiness_probe?: ProbeSettings;
  description?: string;
  notes: string[];
}

const KNOWN = ['$schema', 'name', 'endpoint_name', 'model', 'code_configuration', 'environment', 'instance_type', 'instance_count',
  'request_settings', 'environment_variables', 'description', 'tags', 'liveness_probe', 'readiness_probe', 'app_insights_enabled',
  'scale_settings', 'data_collector', 'type'];
const NOT_APPLIED: Record<string, string> = {
  properties: 'Stratus keeps no deployment properties; use tags',
  egress_public_network_access: 'scoring workers run on this host with its network',
};

export interface ParsedDeployment {
  spec: DeploymentSpec;
  uploads: { code?: string; model?: string };
  warnings: string[];
}

export function parseDeployment(src: YamlSource, opts: { sets?: string[]; name?: string; endpointName?: string }): ParsedDeployment {
  const d = src.data as Record<string, any>;
  applySets(d, opts.sets ?? []);
  const base = path.dirname(path.resolve(src.file));
  const warnings: string[] = [];
  const notes: string[] = [];
  warnings.push(...src.checkKeys([], d, KNOWN, NOT_APPLIED));
  warnings.push(...src.checkKeys(['request_settings'], d.request_settings, ['request_timeout_ms', 'max_concurrent_requests_per_instance'],
    { max_queue_wait_ms: 'a queued request counts its wait against request_timeout_ms instead' }));
  warnings.push(...src.checkKeys(['code_configuration'], d.code_configuration, ['code', 'scoring_script']));
  for (const k of ['instance_type', 'scale_settings', 'app_insights_enabled', 'data_collector']) {
    if (d[k] !== undefined) notes.push(`'${k}' is accepted but does not apply to local worker processes: ${JSON.stringify(d[k])}`);
  }
  const name = opts.name ?? d.name;
  if (typeof name !== 'string' || !name) throw src.error(['name'], "a deployment needs 'name' (or --name).");
  const endpoint = opts.endpointName ?? d.endpoint_name;
  if (typeof endpoint !== 'string' || !endpoint) throw src.error(['endpoint_name'], "a deployment needs 'endpoint_name' (or --endpoint-name).");
  const uploads: ParsedDeployment['uploads'] = {};
  let model: string | undefined;
  const m = d.model;
  if (typeof m === 'string') {
    if (!m.startsWith('azureml:')) throw src.error(['model'], `use azureml:<name>:<version> or a mapping with 'path:', got '${m}'.`);
    model = m;
  } else if (m && typeof m === 'object') {
    if (typeof m.path !== 'string') throw src.error(['model', 'path'], 'a model needs a local path.');
    uploads.model = path.resolve(base, m.path);
  }
  const cc = d.code_configuration;
  if (cc !== undefined) {
    if (!cc || typeof cc.code !== 'string' || typeof cc.scoring_script !== 'string') {
      throw src.error(['code_configuration'], 'give code_configuration.code (a folder) and code_configuration.scoring_script (e.g. score.py).');
    }
    uploads.code = path.resolve(base, cc.code);
  } else if (!m) {
    throw src.error(['model'], 'a deployment without code_configuration serves an MLflow model: give model.');
  }
  const rs = d.request_settings ?? {};
  const count = Number(d.instance_count ?? 1);
  if (!Number.isInteger(count) || count < 1) throw src.error(['instance_count'], `expected a whole number of at least 1, got ${d.instance_count}.`);
  const spec: DeploymentSpec = {
    name,
    endpoint_name: endpoint,
    model,
    scoring_script: cc?.scoring_script,
    environment: parseEnvironment(src, d.environment, base, notes),
    environment_variables: Object.fromEntries(Object.entries(d.environment_variables ?? {}).map(([k, v]) => [k, String(v)])),
    instance_count: count,
    request_settings: {
      request_timeout_ms: Number(rs.request_timeout_ms ?? 5000),
      max_concurrent_requests_per_instance: Number(rs.max_concurrent_requests_per_instance ?? 1),
    },
    liveness_probe: readProbe('liveness_probe', d.liveness_probe, (where, message) => src.error(where, message)),
    readiness_probe: readProbe('readiness_probe', d.readiness_probe, (where, message) => src.error(where, message)),
    description: d.description,
    notes,
  };
  return { spec, uploads, warnings };
}

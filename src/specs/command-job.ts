/**
 * Azure ML CLI v2 command-job YAML → the job spec a workspace runs.
 *
 * Parsing happens where the YAML file is (the CLI), because `code`, local input paths and
 * `conda_file` are relative to it; the result names those local paths so the CLI can upload
 * them. The server checks every spec it receives against its schema (specs/jobs.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYamlScalar } from 'yaml';
import { invalid } from '../util/errors.ts';
import { YamlSource } from './yaml-source.ts';
import { referencedNames } from './expressions.ts';
import type { z } from 'zod';
import {
  ASSET_TYPES, OUTPUT_TYPES, type AssetInput as AssetInputSchema, type EnvironmentRef as EnvironmentRefSchema,
  type LiteralInput as LiteralInputSchema, type OutputSpec as OutputSpecSchema, type SparkSettings as SparkSettingsSchema,
} from './jobs.ts';

// The shapes a job spec is made of are written once, as schemas (specs/jobs.ts).
export { ASSET_TYPES, OUTPUT_TYPES };
export type LiteralInput = z.infer<typeof LiteralInputSchema>;
export type AssetInput = z.infer<typeof AssetInputSchema>;
export type InputSpec = LiteralInput | AssetInput;
export type OutputSpec = z.infer<typeof OutputSpecSchema>;
export type EnvironmentRef = z.infer<typeof EnvironmentRefSchema>;

/** What every kind of job (command, pipeline, sweep) says about itself. */
export interface JobHeader {
  name?: string;
  display_name?: string;
  description?: string;
  tags: Record<string, string>;
  experiment_name: string;
}

export interface JobSpec extends JobHeader {
  /** A spark job is a command job whose command is spark-submit (specs/spark-job.ts writes it); an automl job's runs the AutoML search (specs/automl-job.ts). */
  type: 'command' | 'spark' | 'automl';
  command: string;
  /** A spark job's Spark settings as its YAML gave them, for `job show`. */
  spark?: SparkSettings;
  /** An AutoML job's settings (task, metric, limits, algorithms), for the search and for `job show`. */
  automl?: AutomlSettings;
  /** Content hash of the uploaded code snapshot. */
  code?: string;
  environment: EnvironmentRef;
  environment_variables: Record<string, string>;
  inputs: Record<string, InputSpec>;
  outputs: Record<string, OutputSpec>;
  compute: string;
  timeout_seconds?: number;
  /** Settings accepted from the YAML that cannot apply on this workspace, said on `job show`. */
  notes: string[];
}

export type SparkSettings = z.infer<typeof SparkSettingsSchema>;
export type { AutomlSettings } from './automl-settings.ts';
import type { AutomlSettings } from './automl-settings.ts';

/** Local files the CLI must upload before submitting. */
export interface LocalUploads {
  code?: string;
  inputs: Record<string, string>;
}

export interface ParsedJob {
  spec: JobSpec;
  uploads: LocalUploads;
  warnings: string[];
}

const KNOWN_KEYS = [
  '$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'command', 'code', 'environment',
  'environment_variables', 'inputs', 'outputs', 'compute', 'limits', 'resources', 'distribution', 'services', 'identity',
  'queue_settings',
];
const NOT_APPLIED = ['resources', 'distribution', 'services', 'identity', 'queue_settings'];

/** Keys Azure ML job YAML accepts that change nothing on this workspace, and why. */
export const NOT_APPLIED_KEYS: Record<string, string> = {
  properties: 'Stratus keeps no job properties; use tags',
  is_deterministic: 'only components are reused, and a command job is never reused',
};

/** The curated environments Azure ML samples use, under every spelling they use. */
export function curatedName(ref: string): CuratedName | undefined {
  const m =
    /^azureml:\/\/registries\/azureml\/environments\/([^/]+)(?:\/(?:labels|versions)\/[^/]+)?$/i.exec(ref) ??
    /^(?:azureml:)?(?:AzureML-)?([A-Za-z][\w.-]*?)(?:@latest|:\d+)?$/i.exec(ref);
  // Older samples name the image too: AzureML-sklearn-1.0-ubuntu20.04-py38-cpu.
  const name = m?.[1]?.toLowerCase().replace(/-ubuntu\d+(?:\.\d+)?-py\d+-cpu(?:-inference)?$/, '');
  return name && CURATED_SET.has(name) ? (name as CuratedName) : undefined;
}
/** The curated environments; environments/curated.ts defines one for each, and the compiler holds the two together. */
export const CURATED_NAMES = ['sklearn-1.5', 'sklearn-1.0', 'lightgbm-3.3', 'stratus-notebook', 'stratus-spark', 'stratus-automl', 'stratus-designer', 'stratus-sql-python'] as const;
export type CuratedName = (typeof CURATED_NAMES)[number];
const CURATED_SET: ReadonlySet<string> = new Set(CURATED_NAMES);

/** Type: from `type`, else `$schema`, else the verb (`job create` means command). */
export function jobType(data: Record<string, unknown>): string {
  if (typeof data.type === 'string') return data.type;
  const schema = String(data.$schema ?? '');
  const m = /\/(\w+?)Job\.schema\.json/i.exec(schema);
  return m ? m[1].toLowerCase() : 'command';
}

/** Applies `--set a.b=value` overrides; values are read as YAML scalars (numbers, booleans). */
export function applySets(data: Record<string, unknown>, sets: string[]): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw invalid(`Invalid --set '${s}': use --set key.path=value.`);
    const keys = s.slice(0, eq).split('.');
    // An input must be declared in the YAML: --set cannot invent one (a typo would otherwise pass).
    const inputs = data.inputs;
    if (keys[0] === 'inputs' && keys.length > 1 && !(inputs && typeof inputs === 'object' && keys[1] in inputs)) {
      const declared = inputs && typeof inputs === 'object' ? Object.keys(inputs) : [];
      throw invalid(`Invalid --set '${s}': there is no input '${keys[1]}' (declared inputs: ${declared.join(', ') || 'none'}). Declare it under inputs: in the YAML.`);
    }
    let cur: Record<string, unknown> = data;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]] = parseYamlScalar(s.slice(eq + 1));
  }
}

/** The header fields of any job YAML; `--name` wins over `name:`. */
export function parseJobHeader(src: YamlSource, opts: { name?: string; defaultExperiment: string }): JobHeader {
  const data = src.data;
  return {
    name: opts.name ?? (data.name as string | undefined),
    display_name: data.display_name as string | undefined,
    description: data.description as string | undefined,
    tags: stringMap(src, data.tags, ['tags']),
    experiment_name: String(data.experiment_name ?? opts.defaultExperiment),
  };
}

/** A compute as YAML names it (`azureml:cpu-cluster`) → its name here (`cpu-cluster`). */
export function computeName(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value).replace(/^azureml:/, '');
}

export function stringMap(src: YamlSource, value: unknown, where: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw src.error(where, 'expected a mapping of names to values.');
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function isLocalPath(p: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(p);
}

export function parseCommandJob(src: YamlSource, opts: { sets?: string[]; name?: string; defaultExperiment: string; allowType?: boolean }): ParsedJob {
  const data = src.data;
  applySets(data, opts.sets ?? []);
  const warnings: string[] = [];
  const notes: string[] = [];
  const base = path.dirname(path.resolve(src.file));
  const type = jobType(data);
  if (type !== 'command' && !opts.allowType) {
    throw src.error(['type'], `'${type}' jobs are not supported by this workspace yet; command, spark, automl, pipeline and sweep jobs are.`);
  }
  warnings.push(...src.checkKeys([], data, KNOWN_KEYS, NOT_APPLIED_KEYS));
  warnings.push(...src.checkKeys(['limits'], data.limits, ['timeout']));
  for (const key of NOT_APPLIED) {
    if (data[key] !== undefined) notes.push(`'${key}' is accepted but does not apply to local compute: ${JSON.stringify(data[key])}`);
  }
  const command = data.command;
  if (typeof command !== 'string' || !command.trim()) throw src.error(['command'], "a command job needs 'command:', the shell command to run.");

  const uploads: LocalUploads = { inputs: {} };
  if (data.code !== undefined && data.code !== null) {
    if (typeof data.code !== 'string') throw src.error(['code'], 'expected a local folder path.');
    if (!isLocalPath(data.code)) throw src.error(['code'], `only local code folders are supported, got '${data.code}'.`);
    uploads.code = path.resolve(base, data.code);
  }

  const inputs: Record<string, InputSpec> = {};
  const rawInputs = (data.inputs ?? {}) as Record<string, unknown>;
  if (typeof rawInputs !== 'object' || Array.isArray(rawInputs)) throw src.error(['inputs'], 'expected a mapping of input names.');
  for (const [name, value] of Object.entries(rawInputs)) {
    if (!/^[A-Za-z_][\w]*$/.test(name)) throw src.error(['inputs', name], 'input names are letters, digits and underscores.');
    if (value === null || typeof value !== 'object') {
      if (value === null) throw src.error(['inputs', name], 'has no value.');
      inputs[name] = { type: 'literal', value: value as string | number | boolean };
      continue;
    }
    const v = value as Record<string, unknown>;
    const t = String(v.type ?? 'uri_folder');
    if (['string', 'integer', 'number', 'boolean'].includes(t)) {
      if (v.value === undefined && v.default === undefined) throw src.error(['inputs', name], `a ${t} input needs 'value:'.`);
      inputs[name] = { type: 'literal', value: (v.value ?? v.default) as string | number | boolean };
      continue;
    }
    if (!ASSET_TYPES.includes(t as AssetInput['type'])) throw src.error(['inputs', name, 'type'], `unknown input type '${t}'. Use uri_file, uri_folder, mltable, mlflow_model, custom_model or a literal.`);
    if (typeof v.path !== 'string' || !v.path) throw src.error(['inputs', name, 'path'], `a ${t} input needs 'path:'.`);
    if (isLocalPath(v.path)) {
      uploads.inputs[name] = path.resolve(base, v.path);
    } else if (!/^(azureml:|runs:\/|azureml:\/\/jobs\/)/.test(v.path)) {
      throw src.error(['inputs', name, 'path'], `unsupported path '${v.path}'. Use a local path, azureml:<name>:<version>, azureml:<name>@latest, runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>.`);
    }
    inputs[name] = { type: t as AssetInput['type'], path: v.path, mode: v.mode as string | undefined };
  }

  const outputs: Record<string, OutputSpec> = {};
  const rawOutputs = (data.outputs ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(rawOutputs)) {
    if (!/^[A-Za-z_][\w]*$/.test(name)) throw src.error(['outputs', name], 'output names are letters, digits and underscores.');
    const v = (value ?? {}) as Record<string, unknown>;
    const t = String(v.type ?? 'uri_folder');
    if (!OUTPUT_TYPES.includes(t as OutputSpec['type'])) throw src.error(['outputs', name, 'type'], `unknown output type '${t}'. Use uri_folder, uri_file, mlflow_model or custom_model.`);
    outputs[name] = { type: t as OutputSpec['type'], mode: v.mode as string | undefined };
  }

  // Every ${{inputs.x}} outside an optional $[[ ]] fragment must be declared, and so must outputs.
  for (const ref of referencedNames(command)) {
    if (ref.kind === 'inputs' && !inputs[ref.name] && !ref.optional) throw src.error(['command'], `\${{inputs.${ref.name}}} is used but 'inputs.${ref.name}' is not declared.`);
    if (ref.kind === 'outputs' && !outputs[ref.name]) throw src.error(['command'], `\${{outputs.${ref.name}}} is used but 'outputs.${ref.name}' is not declared.`);
  }

  const environment = parseEnvironment(src, data.environment, base, notes);
  let timeout: number | undefined;
  const limits = data.limits as Record<string, unknown> | undefined;
  if (limits?.timeout !== undefined) {
    timeout = Number(limits.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw src.error(['limits', 'timeout'], 'expected a number of seconds greater than 0.');
  }
  const compute = computeName(data.compute) ?? 'local';

  const spec: JobSpec = {
    type: 'command',
    ...parseJobHeader(src, opts),
    command,
    environment,
    environment_variables: stringMap(src, data.environment_variables, ['environment_variables']),
    inputs,
    outputs,
    compute,
    timeout_seconds: timeout,
    notes,
  };
  return { spec, uploads, warnings };
}

export function parseEnvironment(src: YamlSource, env: unknown, base: string, notes: string[]): EnvironmentRef {
  if (env === undefined || env === null) return { kind: 'host' };
  if (typeof env === 'string') {
    const curated = curatedName(env);
    if (curated) return { kind: 'curated', name: curated };
    const m = /^azureml:([A-Za-z0-9][\w.-]*)(?::([\w.-]+)|@([\w.-]+))?$/.exec(env);
    if (!m) throw src.error(['environment'], `cannot read environment '${env}'. Use azureml:<name>:<version>, azureml:<name>@latest, a curated name such as azureml:AzureML-sklearn-1.5@latest, or an inline image + conda_file.`);
    return { kind: 'registered', name: m[1], version: m[2], label: m[3] ?? (m[2] ? undefined : 'latest') };
  }
  if (typeof env !== 'object' || Array.isArray(env)) throw src.error(['environment'], 'expected a name or a mapping with image and conda_file.');
  const e = env as Record<string, unknown>;
  let condaFile: string | undefined;
  if (typeof e.conda_file === 'string') condaFile = path.resolve(base, e.conda_file);
  else if (e.conda_file && typeof e.conda_file === 'object') return { kind: 'inline', image: e.image as string | undefined, conda: JSON.stringify(e.conda_file) };
  const build = e.build as Record<string, unknown> | undefined;
  if (!condaFile && build?.path) {
    notes.push('environment.build: the Dockerfile is not run here; the conda file in the build context is used.');
    const dir = path.resolve(base, String(build.path));
    condaFile = ['conda_dependencies.yaml', 'conda_dependencies.yml', 'conda.yaml', 'conda.yml', 'environment.yml', 'environment.yaml']
      .map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!condaFile) throw src.error(['environment', 'build', 'path'], `no conda file (conda.yml, environment.yml, conda_dependencies.yaml) in ${dir}.`);
  }
  if (condaFile) {
    let text: string;
    try {
      text = fs.readFileSync(condaFile, 'utf8');
    } catch {
      throw src.error(['environment', 'conda_file'], `cannot read ${condaFile}.`);
    }
    return { kind: 'inline', image: e.image as string | undefined, conda: text };
  }
  if (typeof e.image === 'string') return { kind: 'host', image: e.image };
  throw src.error(['environment'], 'an inline environment needs image and conda_file (or build).');
}


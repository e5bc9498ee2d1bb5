/**
 * Azure ML command components (commandComponent.schema.json): typed inputs with defaults,
 * optional flags, min/max and enums, outputs, code (+ additional_includes), environment and the
 * command. Parsed where the YAML file is, like jobs; local folders become pending uploads.
 */
import path from 'node:path';
import { isLocalPath, OUTPUT_TYPES, parseEnvironment, stringMap } from './command-job.ts';
import { referencedNames } from './expressions.ts';
import { readSparkPart, SPARK_KEYS } from './spark-job.ts';
import type { YamlSource } from './yaml-source.ts';
import { ASSET_TYPES, LITERAL_TYPES, type ComponentInput, type ComponentOutput, type ComponentSpec } from './pipeline-types.ts';

/** Local files the CLI uploads before submitting; `assign` writes the uploaded reference back into the spec. */
export type PendingUpload =
  | { kind: 'code'; paths: string[]; what: string; assign: (hash: string) => void }
  | { kind: 'input'; path: string; what: string; assign: (ref: string) => void };

export interface ParseContext {
  uploads: PendingUpload[];
  warnings: string[];
  notes: string[];
}

const COMPONENT_KEYS = ['$schema', 'type', 'name', 'version', 'display_name', 'description', 'tags', 'inputs', 'outputs', 'code',
  'environment', 'environment_variables', 'command', 'additional_includes', 'is_deterministic', 'jobs'];
const COMPONENT_NOT_APPLIED: Record<string, string> = {
  properties: 'Stratus keeps no component properties; use tags',
  resources: 'this workspace runs components as local processes',
  distribution: 'this workspace runs components as local processes',
};

/** Says what is wrong with a literal for an input declaration, or nothing when it fits. */
export function literalProblem(decl: ComponentInput, value: unknown): string | undefined {
  const t = decl.type;
  if (t === 'integer' && !(Number.isInteger(Number(value)) && String(value).trim() !== '')) return `expected an integer, got ${JSON.stringify(value)}`;
  if (t === 'number' && !(Number.isFinite(Number(value)) && String(value).trim() !== '')) return `expected a number, got ${JSON.stringify(value)}`;
  if (t === 'boolean' && !['true', 'false'].includes(String(value).toLowerCase())) return `expected true or false, got ${JSON.stringify(value)}`;
  if ((t === 'integer' || t === 'number') && decl.min !== undefined && Number(value) < decl.min) return `${value} is below the minimum ${decl.min}`;
  if ((t === 'integer' || t === 'number') && decl.max !== undefined && Number(value) > decl.max) return `${value} is above the maximum ${decl.max}`;
  if (decl.enum && !decl.enum.map(String).includes(String(value))) return `${JSON.stringify(value)} is not one of ${decl.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  return undefined;
}

export function parseInputDecls(src: YamlSource, raw: unknown, where: string[]): Record<string, ComponentInput> {
  const out: Record<string, ComponentInput> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw src.error(where, 'expected a mapping of input names to declarations.');
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const at = [...where, name];
    if (!/^[A-Za-z_]\w*$/.test(name)) throw src.error(at, 'input names are letters, digits and underscores.');
    if (!value || typeof value !== 'object') throw src.error(at, "declare the input with a mapping such as {type: integer, default: 1}.");
    const v = value as Record<string, unknown>;
    const type = String(v.type ?? '');
    if (![...LITERAL_TYPES, ...ASSET_TYPES].includes(type as never)) {
      throw src.error([...at, 'type'], `unknown input type '${type}'. Use ${[...LITERAL_TYPES, ...ASSET_TYPES].join(', ')}.`);
    }
    const decl: ComponentInput = { type: type as ComponentInput['type'], description: v.description as string | undefined };
    if (v.optional !== undefined) decl.optional = v.optional === true || v.optional === 'true';
    for (const k of ['min', 'max'] as const) {
      if (v[k] === undefined) continue;
      if (type !== 'integer' && type !== 'number') throw src.error([...at, k], `'${k}' applies to integer and number inputs only.`);
      if (!Number.isFinite(Number(v[k]))) throw src.error([...at, k], `expected a number, got ${JSON.stringify(v[k])}.`);
      decl[k] = Number(v[k]);
    }
    if (v.enum !== undefined) {
      if (!Array.isArray(v.enum)) throw src.error([...at, 'enum'], 'expected a list of allowed values.');
      decl.enum = v.enum as (string | number)[];
    }
    if (v.default !== undefined && v.default !== null) {
      const problem = literalProblem(decl, v.default);
      if (problem) throw src.error([...at, 'default'], `${problem}.`);
      decl.default = v.default as string | number | boolean;
    }
    out[name] = decl;
  }
  return out;
}

export function parseOutputDecls(src: YamlSource, raw: unknown, where: string[]): Record<string, ComponentOutput> {
  const out: Record<string, ComponentOutput> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw src.error(where, 'expected a mapping of output names.');
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z_]\w*$/.test(name)) throw src.error([...where, name], 'output names are letters, digits and underscores.');
    const type = String((value as Record<string, unknown> | null)?.type ?? 'uri_folder');
    if (!OUTPUT_TYPES.includes(type as ComponentOutput['type'])) throw src.error([...where, name, 'type'], `unknown output type '${type}'. Use ${OUTPUT_TYPES.join(', ')}.`);
    out[name] = { type: type as ComponentOutput['type'], description: (value as Record<string, unknown> | null)?.description as string | undefined };
  }
  return out;
}

/** Checks that every `${{inputs.x}}` / `${{outputs.y}}` of a command is declared. */
export function checkCommandReferences(src: YamlSource, command: string, spec: Pick<ComponentSpec, 'inputs' | 'outputs'>, where: string[]): void {
  for (const ref of referencedNames(command)) {
    if (ref.kind === 'inputs' && !spec.inputs[ref.name]) throw src.error(where, `\${{inputs.${ref.name}}} is used but 'inputs.${ref.name}' is not declared.`);
    if (ref.kind === 'inputs' && spec.inputs[ref.name].optional && !ref.optional) {
      throw src.error(where, `optional input '${ref.name}' must be used inside $[[ ]] so the command still reads well without it.`);
    }
    if (ref.kind === 'outputs' && !spec.outputs[ref.name]) throw src.error(where, `\${{outputs.${ref.name}}} is used but 'outputs.${ref.name}' is not declared.`);
  }
}

/** The code folder and additional_includes of a command component or inline step, as a pending upload. */
export function planCode(src: YamlSource, data: Record<string, unknown>, where: string[], ctx: ParseContext, assign: (hash: string) => void): void {
  const base = path.dirname(path.resolve(src.file));
  const includes = data.additional_includes;
  if (includes !== undefined && !Array.isArray(includes)) throw src.error([...where, 'additional_includes'], 'expected a list of files or folders.');
  if (data.code === undefined || data.code === null) {
    if (Array.isArray(includes) && includes.length) throw src.error([...where, 'additional_includes'], "additional_includes are added to 'code', which is missing.");
    return;
  }
  if (typeof data.code !== 'string') throw src.error([...where, 'code'], 'expected a local folder path.');
  if (!isLocalPath(data.code)) throw src.error([...where, 'code'], `only local code folders are supported, got '${data.code}'.`);
  const paths = [path.resolve(base, data.code), ...((includes ?? []) as unknown[]).map((p) => path.resolve(base, String(p)))];
  ctx.uploads.push({ kind: 'code', paths, what: `${src.file}: code`, assign });
}

/**
 * A `type: command` component (from its own file, or a step's inline definition, whose inputs
 * and outputs are `declared` by what the step binds them to).
 */
export function parseCommandComponent(src: YamlSource, data: Record<string, unknown>, where: string[], ctx: ParseContext,
  declared?: Pick<ComponentSpec, 'inputs' | 'outputs'>): ComponentSpec {
  const base = path.dirname(path.resolve(src.file));
  if (where.length === 0 && data.type !== 'spark') {
    ctx.warnings.push(...src.checkKeys([], data, COMPONENT_KEYS, COMPONENT_NOT_APPLIED));
  }
  const command = data.command;
  if (typeof command !== 'string' || !command.trim()) throw src.error([...where, 'command'], "a command component needs 'command:', the shell command to run.");
  const spec: ComponentSpec = {
    type: 'command',
    name: data.name === undefined ? undefined : String(data.name),
    version: data.version === undefined ? undefined : String(data.version),
    display_name: data.display_name as string | undefined,
    description: data.description as string | undefined,
    tags: stringMap(src, data.tags, [...where, 'tags']),
    inputs: declared?.inputs ?? parseInputDecls(src, data.inputs, [...where, 'inputs']),
    outputs: declared?.outputs ?? parseOutputDecls(src, data.outputs, [...where, 'outputs']),
    command,
    environment: parseEnvironment(src, data.environment, base, ctx.notes),
    environment_variables: stringMap(src, data.environment_variables, [...where, 'environment_variables']),
    is_deterministic: data.is_deterministic === undefined ? true : data.is_deterministic === true || data.is_deterministic === 'true',
  };
  checkCommandReferences(src, command, spec, [...where, 'command']);
  planCode(src, data, where, ctx, (hash) => { spec.code = hash; });
  return spec;
}

/**
 * A spark component (Azure's sparkComponent.schema.json) or a pipeline's `type: spark` step: a
 * command component whose command is spark-submit, in the Spark environment unless it names one.
 */
export function parseSparkComponent(src: YamlSource, data: Record<string, unknown>, where: string[], ctx: ParseContext,
  declared?: Pick<ComponentSpec, 'inputs' | 'outputs'>): ComponentSpec {
  if (where.length === 0) {
    // resources is a spark component's own key (shown, not applied: see readSparkPart).
    const { resources: _r, ...notApplied } = COMPONENT_NOT_APPLIED;
    ctx.warnings.push(...src.checkKeys([], data, [...COMPONENT_KEYS.filter((k) => k !== 'command' && k !== 'jobs'), ...SPARK_KEYS], notApplied));
  }
  const part = readSparkPart(src, data, where, String(data.display_name ?? data.name ?? where.at(-1) ?? 'spark'));
  ctx.warnings.push(...part.warnings);
  ctx.notes.push(...part.notes);
  const rest = Object.fromEntries(Object.entries(data).filter(([k]) => !SPARK_KEYS.includes(k)));
  const spec = parseCommandComponent(src, { ...rest, command: part.command, environment: data.environment ?? 'azureml:stratus-spark@latest' }, where, ctx, declared);
  spec.spark = part.spark;
  return spec;
}

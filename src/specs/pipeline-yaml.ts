/**
 * Azure ML pipeline jobs (pipelineJob.schema.json), pipeline components and sweep jobs, read
 * where the YAML is. Steps name a component (a local file, `azureml:name:version`/`@latest`, or
 * an inline command) and bind its inputs to literals, local data, `${{parent.inputs.x}}` or
 * `${{parent.jobs.<step>.outputs.<y>}}`. The graph itself is checked by graph.ts.
 */
import path from 'node:path';
import { computeName, isLocalPath, NOT_APPLIED_KEYS, parseJobHeader, stringMap } from './command-job.ts';
import { YamlSource } from './yaml-source.ts';
import type { InputSpec, OutputSpec } from './command-job.ts';
import { parseSweepSettings } from './sweep-yaml.ts';
import { SPARK_KEYS } from './spark-job.ts';
import { parseCommandComponent, parseSparkComponent, parseInputDecls, parseOutputDecls, type ParseContext, type PendingUpload } from './component-yaml.ts';
import { ASSET_TYPES, inputTypes, literalType, type AssetType, type Binding, type ComponentInput, type ComponentSpec, type PipelineJobSpec, type StepSpec, type SweepJobSpec } from './pipeline-types.ts';
import type { SweepSettingsT as SweepSettings } from './jobs.ts';

const PARENT_INPUT = /^\$\{\{\s*parent\.inputs\.(\w+)\s*\}\}$/;
const STEP_OUTPUT = /^\$\{\{\s*parent\.jobs\.([\w-]+)\.outputs\.(\w+)\s*\}\}$/;
const PARENT_OUTPUT = /^\$\{\{\s*parent\.outputs\.(\w+)\s*\}\}$/;

const PIPELINE_KEYS = ['$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'compute', 'settings',
  'inputs', 'outputs', 'jobs'];
const SETTINGS_KEYS = ['default_compute', 'continue_on_step_failure', 'force_rerun'];
const STEP_KEYS = ['type', 'component', 'inputs', 'outputs', 'compute', 'display_name', 'description', 'tags', 'environment_variables',
  'limits', 'command', 'code', 'environment', 'additional_includes', 'trial', 'search_space', 'sampling_algorithm', 'objective',
  'early_termination', 'name'];
const SWEEP_JOB_KEYS = ['$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'compute', 'inputs', 'outputs',
  'trial', 'search_space', 'sampling_algorithm', 'objective', 'limits', 'early_termination'];
const LOCAL_COMPUTE = 'this workspace runs steps as local processes';
const STEP_NOT_APPLIED: Record<string, string> = {
  ...NOT_APPLIED_KEYS, is_deterministic: "set it on the step's component, which decides reuse", resources: LOCAL_COMPUTE, distribution: LOCAL_COMPUTE,
};

export interface ParsedComposite<S> {
  spec: S;
  uploads: PendingUpload[];
  warnings: string[];
}

function newContext(): ParseContext {
  return { uploads: [], warnings: [], notes: [] };
}

/** A literal, `{type, path}` asset (local paths are uploaded) or a `${{parent...}}` expression. */
function parseBinding(src: YamlSource, value: unknown, where: string[], ctx: ParseContext, onUpload?: (ref: string) => void): Binding {
  if (value === null || value === undefined) throw src.error(where, 'has no value.');
  if (typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (typeof v.path === 'string' && v.path.includes('${{')) return parseBinding(src, v.path, [...where, 'path'], ctx);
    if (v.value !== undefined) return parseBinding(src, v.value, [...where, 'value'], ctx);
    const type = String(v.type ?? 'uri_folder');
    if (!ASSET_TYPES.includes(type as AssetType)) throw src.error([...where, 'type'], `unknown input type '${type}'. Use ${ASSET_TYPES.join(', ')}, or give a literal value.`);
    if (typeof v.path !== 'string' || !v.path) throw src.error([...where, 'path'], `a ${type} input needs 'path:'.`);
    const binding: Binding = { kind: 'asset', type: type as AssetType, path: v.path, mode: v.mode as string | undefined };
    if (isLocalPath(v.path)) {
      ctx.uploads.push({ kind: 'input', path: path.resolve(path.dirname(path.resolve(src.file)), v.path), what: where.join('.'), assign: (ref) => {
        binding.path = ref;
        onUpload?.(ref);
      } });
    } else if (!/^(azureml:|runs:\/|azureml:\/\/jobs\/)/.test(v.path)) {
      throw src.error([...where, 'path'], `unsupported path '${v.path}'. Use a local path, azureml:<name>:<version>, runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>.`);
    }
    return binding;
  }
  if (typeof value === 'string' && value.includes('${{')) {
    const pi = PARENT_INPUT.exec(value.trim());
    if (pi) return { kind: 'parent_input', name: pi[1] };
    const so = STEP_OUTPUT.exec(value.trim());
    if (so) return { kind: 'step_output', step: so[1], output: so[2] };
    throw src.error(where, `cannot bind '${value}': use \${{parent.inputs.<name>}} or \${{parent.jobs.<step>.outputs.<name>}}.`);
  }
  if (typeof value === 'object') throw src.error(where, 'expected a value, a {type, path} mapping or a ${{parent...}} binding.');
  return { kind: 'literal', value: value as string | number | boolean };
}

/** An inline command step declares its inputs by what it binds them to. */
function inferDecl(binding: Binding, parentTypes: Record<string, ComponentInput['type']>): ComponentInput {
  if (binding.kind === 'literal') return { type: literalType(binding.value) };
  if (binding.kind === 'asset') return { type: binding.type };
  if (binding.kind === 'parent_input') return { type: parentTypes[binding.name] ?? 'uri_folder' };
  return { type: 'uri_folder' };
}

export class ComponentFiles {
  private cache = new Map<string, ComponentSpec>();
  constructor(private ctx: ParseContext) {}

  /** A component YAML file (command or pipeline), parsed once however many steps use it. */
  load(file: string): ComponentSpec {
    const abs = path.resolve(file);
    let spec = this.cache.get(abs);
    if (!spec) {
      const src = YamlSource.read(abs);
      spec = parseComponent(src, this.ctx, this);
      this.cache.set(abs, spec);
    }
    return spec;
  }
}

/** A component file: `type: command` (the default) or `type: pipeline` with its own `jobs:`. */
export function parseComponent(src: YamlSource, ctx: ParseContext, files = new ComponentFiles(ctx)): ComponentSpec {
  const data = src.data;
  const type = String(data.type ?? 'command');
  if (type === 'command') return parseCommandComponent(src, data, [], ctx);
  if (type === 'spark') return parseSparkComponent(src, data, [], ctx);
  if (type !== 'pipeline') throw src.error(['type'], `unknown component type '${type}'. Use command, spark or pipeline.`);
  const inputs = parseInputDecls(src, data.inputs, ['inputs']);
  const outputs = parseOutputDecls(src, data.outputs, ['outputs']);
  const { jobs, outputBindings } = parseSteps(src, data.jobs, ctx, files, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.type])));
  return {
    type: 'pipeline',
    name: data.name === undefined ? undefined : String(data.name),
    version: data.version === undefined ? undefined : String(data.version),
    display_name: data.display_name as string | undefined,
    description: data.description as string | undefined,
    tags: stringMap(src, data.tags, ['tags']),
    inputs,
    outputs,
    is_deterministic: true,
    jobs,
    output_bindings: outputBindings,
  };
}

function parseSteps(src: YamlSource, raw: unknown, ctx: ParseContext, files: ComponentFiles, parentTypes: Record<string, ComponentInput['type']>) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !Object.keys(raw).length) throw src.error(['jobs'], 'a pipeline needs jobs: a mapping of step names to steps.');
  const jobs: Record<string, StepSpec> = {};
  const outputBindings: Record<string, Binding> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) throw src.error(['jobs', name], 'step names are letters, digits, - and _.');
    if (!value || typeof value !== 'object') throw src.error(['jobs', name], 'expected a step mapping with type and component (or command).');
    jobs[name] = parseStep(src, name, value as Record<string, unknown>, ctx, files, parentTypes);
    for (const [out, o] of Object.entries(jobs[name].outputs)) {
      if (o.parent_output) outputBindings[o.parent_output] = { kind: 'step_output', step: name, output: out };
    }
  }
  return { jobs, outputBindings };
}

function parseComponentRef(src: YamlSource, value: unknown, where: string[], files: ComponentFiles): ComponentSpec | { ref: string } {
  if (typeof value !== 'string' || !value) throw src.error(where, 'expected a component file (./train.yml) or azureml:<name>:<version>.');
  if (value.startsWith('azureml:')) {
    if (!/^azureml:[A-Za-z0-9][\w.-]*(?::[\w.-]+|@latest)?$/.test(value)) throw src.error(where, `cannot read '${value}': use azureml:<name>:<version> or azureml:<name>@latest.`);
    return { ref: value };
  }
  if (!isLocalPath(value)) throw src.error(where, `unsupported component '${value}'.`);
  try {
    return files.load(path.resolve(path.dirname(path.resolve(src.file)), value));
  } catch (err) {
    throw src.error(where, (err as Error).message);
  }
}

function parseStep(src: YamlSource, name: string, d: Record<string, unknown>, ctx: ParseContext, files: ComponentFiles,
  parentTypes: Record<string, ComponentInput['type']>): StepSpec {
  const where = ['jobs', name];
  const type = String(d.type ?? (d.trial ? 'sweep' : 'command'));
  if (!['command', 'spark', 'pipeline', 'sweep'].includes(type)) throw src.error([...where, 'type'], `unknown step type '${type}'. Use command, spark, pipeline or sweep.`);
  if (type === 'spark') {
    const { resources: _r, ...notApplied } = STEP_NOT_APPLIED;
    ctx.warnings.push(...src.checkKeys(where, d, [...STEP_KEYS, ...SPARK_KEYS], notApplied));
  } else {
    ctx.warnings.push(...src.checkKeys(where, d, STEP_KEYS, STEP_NOT_APPLIED));
  }
  const inputs: Record<string, Binding> = {};
  const rawInputs = d.inputs ?? {};
  if (typeof rawInputs !== 'object' || Array.isArray(rawInputs)) throw src.error([...where, 'inputs'], 'expected a mapping of input names.');
  for (const [k, v] of Object.entries(rawInputs as Record<string, unknown>)) inputs[k] = parseBinding(src, v, [...where, 'inputs', k], ctx);
  const outputs: StepSpec['outputs'] = {};
  for (const [k, v] of Object.entries((d.outputs ?? {}) as Record<string, unknown>)) {
    const expr = typeof v === 'string' ? v : typeof v === 'object' && v ? (v as Record<string, unknown>).path : undefined;
    if (typeof expr === 'string') {
      const m = PARENT_OUTPUT.exec(expr.trim());
      if (!m) throw src.error([...where, 'outputs', k], `cannot bind output to '${expr}': use \${{parent.outputs.<name>}}.`);
      outputs[k] = { parent_output: m[1] };
    } else {
      outputs[k] = { type: ((v as Record<string, unknown> | null)?.type as OutputSpec['type'] | undefined) };
    }
  }
  let component: StepSpec['component'];
  let sweep: SweepSettings | undefined;
  if (type === 'sweep') {
    if (d.trial === undefined) throw src.error([...where, 'trial'], 'a sweep step needs trial: a command component file or azureml:<name>:<version>.');
    component = parseComponentRef(src, d.trial, [...where, 'trial'], files);
    sweep = parseSweepSettings(src, d, where, ctx.warnings);
  } else if (d.component !== undefined) {
    component = parseComponentRef(src, d.component, [...where, 'component'], files);
  } else if (type === 'command' || type === 'spark') {
    // An inline command or spark step: its inputs are declared by what they are bound to.
    const decls = Object.fromEntries(Object.entries(inputs).map(([k, b]) => [k, inferDecl(b, parentTypes)]));
    const outDecls = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, { type: o.type ?? 'uri_folder' } as const]));
    const parse = type === 'spark' ? parseSparkComponent : parseCommandComponent;
    component = parse(src, { ...d, name: undefined }, where, ctx, { inputs: decls, outputs: outDecls });
  } else {
    throw src.error([...where, 'component'], 'a pipeline step needs component: a pipeline component file.');
  }
  const limits = d.limits as Record<string, unknown> | undefined;
  return {
    type: type as StepSpec['type'],
    component,
    inputs,
    outputs,
    compute: computeName(d.compute),
    display_name: d.display_name as string | undefined,
    environment_variables: d.component !== undefined ? stringMap(src, d.environment_variables, [...where, 'environment_variables']) : undefined,
    timeout_seconds: type !== 'sweep' && limits?.timeout !== undefined ? Number(limits.timeout) : undefined,
    sweep,
  };
}

/** Job-level inputs of a pipeline or sweep job: literals or assets, like a command job's. */
function parseJobInputs(src: YamlSource, raw: unknown, ctx: ParseContext): Record<string, InputSpec> {
  const out: Record<string, InputSpec> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw src.error(['inputs'], 'expected a mapping of input names.');
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z_]\w*$/.test(name)) throw src.error(['inputs', name], 'input names are letters, digits and underscores.');
    const v = value as Record<string, unknown> | null;
    if (v && typeof v === 'object' && ['string', 'integer', 'number', 'boolean'].includes(String(v.type))) {
      if (v.value === undefined && v.default === undefined) throw src.error(['inputs', name], `a ${v.type} input needs 'value:'.`);
      out[name] = { type: 'literal', value: (v.value ?? v.default) as string | number | boolean };
      continue;
    }
    const b = parseBinding(src, value, ['inputs', name], ctx, (ref) => { (out[name] as { path: string }).path = ref; });
    if (b.kind === 'literal') out[name] = { type: 'literal', value: b.value };
    else if (b.kind === 'asset') out[name] = { type: b.type, path: b.path, mode: b.mode };
    else throw src.error(['inputs', name], "a job's own inputs cannot bind to ${{parent...}}: give a value or a path.");
  }
  return out;
}

export function parsePipelineJob(src: YamlSource, opts: { name?: string; defaultExperiment: string }): ParsedComposite<PipelineJobSpec> {
  const ctx = newContext();
  const data = src.data;
  ctx.warnings.push(...src.checkKeys([], data, PIPELINE_KEYS, { ...NOT_APPLIED_KEYS, identity: LOCAL_COMPUTE }));
  const settings = (data.settings ?? {}) as Record<string, unknown>;
  // Samples carry typos such as default_datestore: say so, and run anyway.
  ctx.warnings.push(...src.checkKeys(['settings'], settings, SETTINGS_KEYS, { default_datastore: 'artifacts live in the workspace store' }));
  const inputs = parseJobInputs(src, data.inputs, ctx);
  const outputs: Record<string, OutputSpec> = {};
  for (const [k, v] of Object.entries((data.outputs ?? {}) as Record<string, unknown>)) {
    outputs[k] = { type: (((v as Record<string, unknown> | null)?.type as OutputSpec['type'] | undefined) ?? 'uri_folder'), mode: (v as Record<string, unknown> | null)?.mode as string | undefined };
  }
  const { jobs } = parseSteps(src, data.jobs, ctx, new ComponentFiles(ctx), inputTypes(inputs));
  const spec: PipelineJobSpec = {
    type: 'pipeline',
    ...parseJobHeader(src, opts),
    compute: computeName(settings.default_compute ?? data.compute),
    settings: {
      default_compute: computeName(settings.default_compute),
      continue_on_step_failure: settings.continue_on_step_failure === true || settings.continue_on_step_failure === 'true',
      force_rerun: settings.force_rerun === true || settings.force_rerun === 'true',
    },
    inputs,
    outputs,
    jobs,
    notes: ctx.notes,
  };
  return { spec, uploads: ctx.uploads, warnings: ctx.warnings };
}

/**
 * A standalone sweep job: `trial` is an inline command (or a component file) whose command may
 * use `${{search_space.x}}`; the job's inputs and the search space become the trial's inputs.
 */
export function parseSweepJob(src: YamlSource, opts: { name?: string; defaultExperiment: string }): ParsedComposite<SweepJobSpec> {
  const ctx = newContext();
  const data = src.data;
  ctx.warnings.push(...src.checkKeys([], data, SWEEP_JOB_KEYS, { ...NOT_APPLIED_KEYS, identity: LOCAL_COMPUTE, queue_settings: LOCAL_COMPUTE, resources: LOCAL_COMPUTE }));
  const inputs = parseJobInputs(src, data.inputs, ctx);
  const settings = parseSweepSettings(src, data, [], ctx.warnings);
  let trial: ComponentSpec | { ref: string };
  if (typeof data.trial === 'string') trial = parseComponentRef(src, data.trial, ['trial'], new ComponentFiles(ctx));
  else {
    if (!data.trial || typeof data.trial !== 'object') throw src.error(['trial'], 'a sweep job needs trial: a command (code, command, environment) or a component file.');
    const t = { ...(data.trial as Record<string, unknown>) };
    if (typeof t.command === 'string') t.command = t.command.replace(/\$\{\{\s*search_space\.(\w+)\s*\}\}/g, '${{inputs.$1}}');
    const decls: Record<string, ComponentInput> = Object.fromEntries(Object.entries(inputTypes(inputs)).map(([k, type]) => [k, { type }]));
    for (const k of Object.keys(settings.search_space)) decls[k] = { type: 'string' };
    trial = parseCommandComponent(src, t, ['trial'], ctx, { inputs: decls, outputs: parseOutputDecls(src, data.outputs, ['outputs']) });
  }
  const bindings: Record<string, Binding> = {};
  for (const [k, v] of Object.entries(inputs)) bindings[k] = v.type === 'literal' ? { kind: 'literal', value: v.value } : { kind: 'parent_input', name: k };
  const spec: SweepJobSpec = {
    type: 'sweep',
    ...parseJobHeader(src, opts),
    compute: computeName(data.compute),
    inputs,
    step: { type: 'sweep', component: trial, inputs: bindings, outputs: {}, sweep: settings },
    notes: ctx.notes,
  };
  return { spec, uploads: ctx.uploads, warnings: ctx.warnings };
}


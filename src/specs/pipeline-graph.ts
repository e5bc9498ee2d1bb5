/**
 * A pipeline's step graph: the order steps can run in (derived from their bindings) and the checks
 * that reject a malformed graph before anything runs — unknown steps or outputs, bad bindings,
 * type mismatches, missing required inputs and cycles — each naming the exact binding.
 */
import { literalProblem } from './component-yaml.ts';
import { isRef, LITERAL_TYPES, type Binding, type ComponentInput, type ComponentSpec, type StepSpec } from './pipeline-types.ts';

export interface GraphProblem {
  where: string[];
  message: string;
}

export function stepDependencies(step: StepSpec): string[] {
  return [...new Set(Object.values(step.inputs).filter((b): b is Extract<Binding, { kind: 'step_output' }> => b.kind === 'step_output').map((b) => b.step))];
}

/** A step input as Azure's YAML and `az ml job show` write it: an expression, a literal, or an asset's {type, path}. */
export function bindingYaml(b: Binding): unknown {
  if (b.kind === 'step_output') return `\${{parent.jobs.${b.step}.outputs.${b.output}}}`;
  if (b.kind === 'parent_input') return `\${{parent.inputs.${b.name}}}`;
  if (b.kind === 'literal') return b.value;
  return { type: b.type, path: b.path };
}

/** Steps in an order where each comes after every step it reads from; a cycle is named step by step. */
export function topologicalOrder(jobs: Record<string, StepSpec>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done' || !jobs[name]) return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw new CycleError(cycle);
    }
    state.set(name, 'visiting');
    for (const dep of stepDependencies(jobs[name])) visit(dep, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(jobs)) visit(name, []);
  return order;
}

export class CycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`the steps form a cycle: ${cycle.join(' → ')}. A step cannot read, directly or through others, an output of its own.`);
  }
}

const isLiteralType = (t: string) => (LITERAL_TYPES as readonly string[]).includes(t);
const exprOf = (b: Binding) =>
  b.kind === 'parent_input' ? `\${{parent.inputs.${b.name}}}` : b.kind === 'step_output' ? `\${{parent.jobs.${b.step}.outputs.${b.output}}}` : JSON.stringify(b.kind === 'literal' ? b.value : b.path);

export interface GraphContext {
  /** The types of the enclosing pipeline's inputs. */
  parentInputs: Record<string, ComponentInput['type']>;
  /** The enclosing pipeline's declared outputs. */
  parentOutputs: string[];
}

/**
 * Every problem of a graph whose registered components have been resolved; steps whose component
 * is still an `azureml:` reference are checked only for what does not need it.
 */
export function checkGraph(jobs: Record<string, StepSpec>, ctx: GraphContext, prefix: string[] = []): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const add = (where: string[], message: string) => problems.push({ where: [...prefix, ...where], message });
  for (const [name, step] of Object.entries(jobs)) {
    const component = isRef(step.component) ? undefined : step.component;
    const sweepParams = new Set(Object.keys(step.sweep?.search_space ?? {}));
    for (const [input, binding] of Object.entries(step.inputs)) {
      const where = ['jobs', name, 'inputs', input];
      const decl = component?.inputs[input];
      if (component && !decl) {
        add(where, `component '${component.name ?? name}' has no input '${input}' (its inputs: ${Object.keys(component.inputs).join(', ') || 'none'}).`);
        continue;
      }
      if (sweepParams.has(input)) add(where, `'${input}' is a search_space parameter of this sweep; it cannot also be bound here.`);
      let sourceType: string | undefined;
      if (binding.kind === 'parent_input') {
        sourceType = ctx.parentInputs[binding.name];
        if (!sourceType) {
          add(where, `${exprOf(binding)}: the pipeline has no input '${binding.name}' (its inputs: ${Object.keys(ctx.parentInputs).join(', ') || 'none'}).`);
          continue;
        }
      } else if (binding.kind === 'step_output') {
        const source = jobs[binding.step];
        if (binding.step === name) {
          add(where, `${exprOf(binding)}: a step cannot read its own output.`);
          continue;
        }
        if (!source) {
          add(where, `${exprOf(binding)}: there is no step '${binding.step}' (steps: ${Object.keys(jobs).join(', ')}).`);
          continue;
        }
        const out = isRef(source.component) ? undefined : source.component.outputs[binding.output];
        if (!isRef(source.component) && !out) {
          add(where, `${exprOf(binding)}: step '${binding.step}' has no output '${binding.output}' (its outputs: ${Object.keys(source.component.outputs).join(', ') || 'none'}).`);
          continue;
        }
        sourceType = out?.type;
      } else if (binding.kind === 'asset') sourceType = binding.type;
      if (!decl) continue;
      if (binding.kind === 'literal') {
        if (!isLiteralType(decl.type)) add(where, `input '${input}' is ${decl.type} but is given the value ${JSON.stringify(binding.value)}; give {type: ${decl.type}, path: ...} or bind a step output.`);
        else {
          const problem = literalProblem(decl, binding.value);
          if (problem) add(where, `${problem}.`);
        }
      } else if (sourceType) {
        if (isLiteralType(decl.type) !== isLiteralType(sourceType)) {
          add(where, `${exprOf(binding)} is ${sourceType} but input '${input}' is ${decl.type}: the types do not match.`);
        }
      }
    }
    if (component) {
      for (const [input, decl] of Object.entries(component.inputs)) {
        if (step.inputs[input] || decl.optional || decl.default !== undefined || sweepParams.has(input)) continue;
        add(['jobs', name, 'inputs'], `required input '${input}' of component '${component.name ?? name}' is not bound.`);
      }
      for (const p of sweepParams) if (!component.inputs[p]) add(['jobs', name, 'search_space', p], `the trial component has no input '${p}' to receive this parameter.`);
      for (const [out, o] of Object.entries(step.outputs)) {
        if (!component.outputs[out]) add(['jobs', name, 'outputs', out], `component '${component.name ?? name}' has no output '${out}' (its outputs: ${Object.keys(component.outputs).join(', ') || 'none'}).`);
        if (o.parent_output && !ctx.parentOutputs.includes(o.parent_output)) {
          add(['jobs', name, 'outputs', out], `\${{parent.outputs.${o.parent_output}}}: the pipeline declares no output '${o.parent_output}' (its outputs: ${ctx.parentOutputs.join(', ') || 'none'}).`);
        }
      }
      if (component.type === 'pipeline' && component.jobs) problems.push(...checkComponentGraph(component, [...prefix, 'jobs', name, 'component']));
    }
  }
  try {
    topologicalOrder(jobs);
  } catch (err) {
    if (!(err instanceof CycleError)) throw err;
    add(['jobs', err.cycle[0]], err.message);
  }
  return problems;
}

/** A pipeline component's own graph, against its declared inputs and outputs. */
export function checkComponentGraph(component: ComponentSpec, prefix: string[] = []): GraphProblem[] {
  return checkGraph(component.jobs ?? {}, {
    parentInputs: Object.fromEntries(Object.entries(component.inputs).map(([k, v]) => [k, v.type])),
    parentOutputs: Object.keys(component.outputs),
  }, prefix);
}

export function formatProblems(problems: GraphProblem[], locate?: (where: string[]) => string): string {
  return problems.map((p) => `${locate ? locate(p.where) : ''}'${p.where.join('.')}': ${p.message}`).join('\n');
}

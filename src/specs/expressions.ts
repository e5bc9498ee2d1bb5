/**
 * Azure ML command expressions: `${{inputs.x}}`, `${{outputs.y}}`, `${{name}}`, and optional
 * fragments `$[[ ... ]]` that are kept only when every input they mention was given.
 */
import { invalid } from '../util/errors.ts';

const REF = /\$\{\{\s*([\w.]+)\s*\}\}/g;
const OPTIONAL = /\$\[\[([\s\S]*?)\]\]/g;

export interface Reference {
  kind: 'inputs' | 'outputs' | 'name' | 'other';
  name: string;
  optional: boolean;
}

function parseRef(expr: string, optional: boolean): Reference {
  const [head, ...rest] = expr.split('.');
  if ((head === 'inputs' || head === 'outputs') && rest.length === 1) return { kind: head, name: rest[0], optional };
  if (expr === 'name') return { kind: 'name', name: 'name', optional };
  return { kind: 'other', name: expr, optional };
}

export function referencedNames(command: string): Reference[] {
  const refs: Reference[] = [];
  for (const m of command.matchAll(OPTIONAL)) for (const r of m[1].matchAll(REF)) refs.push(parseRef(r[1], true));
  for (const r of command.replace(OPTIONAL, '').matchAll(REF)) refs.push(parseRef(r[1], false));
  return refs;
}

export interface RenderContext {
  name: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** Substitutes values into the command; unknown expressions are an error naming them. */
export function renderCommand(command: string, ctx: RenderContext): string {
  const sub = (text: string) =>
    text.replace(REF, (_, expr: string) => {
      const ref = parseRef(expr, false);
      if (ref.kind === 'name') return ctx.name;
      if (ref.kind === 'inputs' && ctx.inputs[ref.name] !== undefined) return ctx.inputs[ref.name];
      if (ref.kind === 'outputs' && ctx.outputs[ref.name] !== undefined) return ctx.outputs[ref.name];
      throw invalid(`The command uses \${{${expr}}}, which this job does not define.`);
    });
  const withOptional = command.replace(OPTIONAL, (_, body: string) => {
    const needs = [...body.matchAll(REF)].map((r) => parseRef(r[1], true)).filter((r) => r.kind === 'inputs');
    return needs.every((r) => ctx.inputs[r.name] !== undefined) ? body : '';
  });
  return sub(withOptional);
}

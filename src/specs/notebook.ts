/**
 * nbformat v4, checked before a notebook is stored: what Jupyter and nbformat's validator
 * require of the top level and of each cell, so a file that would not open in Jupyter is
 * refused with the reason instead of being saved.
 */
import { invalid } from '../util/errors.ts';

const CELL_TYPES = ['code', 'markdown', 'raw'];
const OUTPUT_TYPES = ['stream', 'display_data', 'execute_result', 'error'];

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isSource = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'));

/** The notebook parsed, or a 400 that says which part is wrong and how. */
export function checkNotebook(text: string, name: string): Record<string, unknown> {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (err) {
    throw invalid(`${name} is not a notebook: it is not valid JSON (${(err as Error).message}).`);
  }
  const fail = (where: string, what: string): never => {
    throw invalid(`${name} is not a valid nbformat v4 notebook: ${where}: ${what}.`);
  };
  if (!isObject(nb)) return fail('(top level)', 'expected an object with nbformat, nbformat_minor, metadata and cells');
  if (nb.nbformat !== 4) return fail('nbformat', `expected 4, got ${JSON.stringify(nb.nbformat)} (convert older notebooks with \`jupyter nbconvert --to notebook\`)`);
  if (!Number.isInteger(nb.nbformat_minor) || (nb.nbformat_minor as number) < 0) fail('nbformat_minor', 'expected a whole number');
  if (!isObject(nb.metadata)) fail('metadata', 'expected an object');
  if (!Array.isArray(nb.cells)) return fail('cells', 'expected a list');
  (nb.cells as unknown[]).forEach((cell, i) => {
    const at = `cells[${i}]`;
    if (!isObject(cell)) return fail(at, 'expected an object');
    if (!CELL_TYPES.includes(cell.cell_type as string)) fail(`${at}.cell_type`, `expected one of ${CELL_TYPES.join(', ')}, got ${JSON.stringify(cell.cell_type)}`);
    if (!isSource(cell.source)) fail(`${at}.source`, 'expected a string or a list of strings');
    if (!isObject(cell.metadata)) fail(`${at}.metadata`, 'expected an object');
    if ((nb as { nbformat_minor: number }).nbformat_minor >= 5 && typeof cell.id !== 'string') fail(`${at}.id`, 'required from nbformat 4.5 on');
    if (cell.cell_type !== 'code') return;
    if (cell.execution_count !== null && !Number.isInteger(cell.execution_count)) fail(`${at}.execution_count`, 'expected a whole number or null');
    if (!Array.isArray(cell.outputs)) return fail(`${at}.outputs`, 'expected a list');
    (cell.outputs as unknown[]).forEach((out, j) => {
      if (!isObject(out) || !OUTPUT_TYPES.includes(out.output_type as string)) {
        fail(`${at}.outputs[${j}].output_type`, `expected one of ${OUTPUT_TYPES.join(', ')}`);
      }
    });
  });
  return nb;
}

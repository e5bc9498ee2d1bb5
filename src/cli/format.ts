/**
 * How CLI commands print a result, as az does: `-o/--output json|jsonc|yaml|yamlc|tsv|table|none`
 * and a JMESPath `--query` applied first (the same library family az uses, the maintained
 * JMESPath community edition). `table` is Stratus's default and each command's own layout.
 */
import { search } from '@jmespath-community/jmespath';
import { stringify as toYaml } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'jsonc', 'yaml', 'yamlc', 'tsv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The part of a result a JMESPath expression selects; a bad expression is an error that says so. */
export function pick(value: unknown, query: string | undefined): unknown {
  if (!query) return value;
  try {
    // Through JSON, as az does: undefined fields are absent, dates are strings.
    return search(JSON.parse(JSON.stringify(value ?? null)), query);
  } catch (err) {
    throw new QueryError(`--query '${query}' is not a JMESPath expression this result answers: ${(err as Error).message}. E.g. --query name, --query "[].name", --query "[?status=='Completed'].name".`);
  }
}

export class QueryError extends Error {}

/** Rows as aligned columns; headers in capitals (a SQL result keeps its column names as they are). */
export function table(rows: Record<string, unknown>[], columns: string[], headers: 'upper' | 'as-is' = 'upper'): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => (headers === 'upper' ? c.toUpperCase() : c))), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const isScalar = (v: unknown) => v === null || typeof v !== 'object';

/** A queried result as a table: a value as itself, a list of values a line each, objects as columns of their plain fields. */
function anyTable(value: unknown): string {
  if (isScalar(value)) return cell(value);
  const rows = Array.isArray(value) ? value : [value];
  if (rows.every(isScalar)) return rows.map(cell).join('\n');
  const objects = rows.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object' && !Array.isArray(r));
  const columns = [...new Set(objects.flatMap((r) => Object.keys(r).filter((k) => isScalar(r[k]))))];
  return table(objects, columns.length ? columns : ['value'], 'as-is');
}

/** az's tsv: a value as itself; an object's plain fields tab-separated on one line; a list a line per item. */
function tsv(value: unknown): string {
  const plain = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  const line = (v: unknown): string => {
    if (isScalar(v)) return plain(v);
    if (Array.isArray(v)) return v.filter(isScalar).map(plain).join('\t');
    return Object.values(v as Record<string, unknown>).filter(isScalar).map(plain).join('\t');
  };
  return Array.isArray(value) ? value.map(line).join('\n') : line(value);
}

/** JSON with colours on a terminal (jsonc), plain otherwise. */
function colouredJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  if (!process.stdout.isTTY) return text;
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (m, str, colon, lit, num) => {
    if (str) return colon ? `\x1b[94m${str}\x1b[0m${colon}` : `\x1b[32m${str}\x1b[0m`;
    return lit ? `\x1b[95m${lit}\x1b[0m` : num ? `\x1b[33m${num}\x1b[0m` : m;
  });
}

/** Prints a command's result in the chosen format; `asTable` is the command's own table of the whole result. */
export function print(value: unknown, format: OutputFormat, query: string | undefined, asTable: () => string): void {
  const selected = pick(value, query);
  const text = render(selected, format, query ? () => anyTable(selected) : asTable);
  if (text !== undefined) process.stdout.write(`${text}\n`);
}

function render(value: unknown, format: OutputFormat, asTable: () => string): string | undefined {
  switch (format) {
    case 'none': return undefined;
    case 'json': return JSON.stringify(value ?? null, null, 2);
    case 'jsonc': return colouredJson(value ?? null);
    case 'yaml': case 'yamlc': return toYaml(value ?? null).trimEnd();
    case 'tsv': return tsv(value);
    default: return asTable();
  }
}

export function time(ms: number | undefined): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

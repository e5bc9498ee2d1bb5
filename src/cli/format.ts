/** Output helpers shared by CLI commands: `--output json|table` and `--query field.path`. */
export type OutputFormat = 'table' | 'json';

export function pick(value: unknown, query: string | undefined): unknown {
  if (!query) return value;
  let cur: any = value;
  for (const part of query.split('.')) {
    if (cur == null) return undefined;
    cur = Array.isArray(cur) && !/^\d+$/.test(part) ? cur.map((x) => x?.[part]) : cur[part];
  }
  return cur;
}

/** Rows as aligned columns; headers in capitals (a SQL result keeps its column names as they are). */
export function table(rows: Record<string, unknown>[], columns: string[], headers: 'upper' | 'as-is' = 'upper'): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => (headers === 'upper' ? c.toUpperCase() : c))), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function print(value: unknown, format: OutputFormat, query: string | undefined, asTable: () => string): void {
  const selected = pick(value, query);
  if (query) {
    process.stdout.write(typeof selected === 'string' ? `${selected}\n` : `${JSON.stringify(selected, null, 2)}\n`);
  } else if (format === 'json') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  } else {
    process.stdout.write(`${asTable()}\n`);
  }
}

export function time(ms: number | undefined): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** stratus sql "<query>" | --file q.sql — SQL over the workspace (data assets as tables, ml.models, PREDICT). */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { table } from './format.ts';
import { fail, withClient } from './runner.ts';

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerSqlCommands(program: Command): void {
  program
    .command('sql')
    .description('Run a SQL query over the workspace: data assets are tables (iris, "iris:2"), ml.models lists models, PREDICT scores them')
    .argument('[query]', 'the query (or --file)')
    .option('-f, --file <file>', 'read the query from a file')
    .option('--max-rows <n>', 'rows to return at most (up to 100000)', '1000')
    .option('--save-as <name[:version]>', 'keep the whole result as a new version of a uri_file data asset (Parquet)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action((query: string | undefined, opts) => withClient(async (client) => {
      if (!query === !opts.file) fail('give the query as an argument or with --file, not both.');
      const text = query ?? fs.readFileSync(opts.file, 'utf8');
      const maxRows = Number(opts.maxRows);
      if (!Number.isInteger(maxRows) || maxRows < 1) fail(`--max-rows must be a whole number of at least 1, got '${opts.maxRows}'.`);
      let saveAs: { name: string; version?: string } | undefined;
      if (opts.saveAs) {
        const [name, version] = String(opts.saveAs).split(':');
        saveAs = { name, ...(version ? { version } : {}) };
      }
      const result = await client.sql.query(text, maxRows, undefined, saveAs);
      for (const m of result.messages) process.stderr.write(`[stratus] ${m}\n`);
      const names = result.columns.map((c) => c.name);
      if (opts.output === 'json') {
        process.stdout.write(`${JSON.stringify(result.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))), null, 2)}\n`);
      } else if (opts.output === 'csv') {
        process.stdout.write([names, ...result.rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n');
      } else {
        const rows = result.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] !== null && typeof r[i] === 'object' ? JSON.stringify(r[i]) : r[i]])));
        process.stdout.write(`${table(rows, names, 'as-is')}\n`);
      }
      if (result.truncated) process.stderr.write(`[stratus] only the first ${result.row_count} rows are shown; raise --max-rows or add LIMIT.\n`);
    }));
}

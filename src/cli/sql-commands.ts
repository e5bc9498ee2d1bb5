/** stratus sql "<query>" | --file q.sql — SQL over the workspace (data assets as tables, ml.models, PREDICT). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Option, type Command } from 'commander';
import { ADDON_R_STATEMENTS, ADDON_REQUIREMENTS, ADDON_STATEMENTS, CONFIG_UPSERT } from '../specs/postgres-addon.ts';
import { csvField } from '../util/csv.ts';
import { table } from './format.ts';
import { fail, withClient } from './runner.ts';

/** python/stratus_pg, next to the CLI (bin/stratus.js when bundled, src/cli when run from source). */
function addonPackage(): string {
  const here = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
  const found = [path.join(here, '..', 'python'), path.join(here, '..', '..', 'python')].map((d) => path.join(d, 'stratus_pg')).find((d) => fs.existsSync(path.join(d, 'addon.py')));
  if (!found) fail('the add-on\'s Python package (python/stratus_pg) is not next to this stratus command.');
  return found;
}

/** A virtual environment of the add-on's own, from the Python the PostgreSQL server's PL/Python uses. */
function addonEnvironment(dir: string, python: string): string {
  if (!fs.existsSync(path.join(dir, 'bin', 'python'))) execFileSync(python, ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...ADDON_REQUIREMENTS], { stdio: 'inherit' });
  const site = execFileSync(path.join(dir, 'bin', 'python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
  fs.cpSync(addonPackage(), path.join(site, 'stratus_pg'), { recursive: true });
  // The database server's own user reads it.
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return site;
}

export function registerSqlCommands(program: Command): void {
  const sqlCommand = program
    .command('sql')
    .description('Run a SQL query over the workspace: data assets are tables (iris, "iris:2"), ml.models lists models, PREDICT scores them')
    .argument('[query]', 'the query (or --file)')
    .option('-f, --file <file>', 'read the query from a file')
    .option('--max-rows <n>', 'rows to return at most (up to 100000)', '1000')
    .option('--save-as <name[:version]>', 'keep the whole result as a new version of a uri_file data asset (Parquet)')
    .option('--all', 'stream every row, not only the first --max-rows: as CSV (-o csv) or JSON lines (-o json)')
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
      if (opts.all) {
        if (opts.output === 'table' || saveAs) fail('--all streams the whole result as CSV or JSON lines: add -o csv or -o json (and not --save-as).');
        await streamAll(await client.sql.export(text, opts.output === 'csv' ? 'csv' : 'ndjson'));
        return;
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
  sqlCommand
    .command('install')
    .description('Install the Stratus functions (ml.predict, ml.models, ml.execute_script) into your own PostgreSQL, as PL/Python (and PL/R for R scripts, where the server has it)')
    .requiredOption('--postgres <url>', 'the database, e.g. postgresql://admin@db:5432/analytics (a superuser: it creates plpython3u)')
    .option('--venv <dir>', 'where the add-on\'s Python environment goes (readable by the database server)', '/opt/stratus-pg')
    .option('--python <python>', 'the Python the server\'s PL/Python uses', 'python3')
    .option('--workspace-url <url>', 'how the database server reaches this workspace (default: STRATUS_URL)')
    .action(async (opts) => {
      const site = addonEnvironment(path.resolve(opts.venv), opts.python);
      const client = new pg.Client({ connectionString: opts.postgres });
      let withR = false;
      try {
        await client.connect();
        for (const statement of ADDON_STATEMENTS) await client.query(statement);
        // PL/R is optional: without it, R scripts are refused with a message saying how to add it.
        withR = await installR(client);
        const config: [string, string][] = [
          ['workspace_url', opts.workspaceUrl ?? process.env.STRATUS_URL ?? 'http://127.0.0.1:7700'],
          ['token', process.env.STRATUS_TOKEN ?? process.env.MLFLOW_TRACKING_TOKEN ?? ''],
          ['site_packages', site],
        ];
        for (const [key, value] of config) await client.query(CONFIG_UPSERT, [key, value]);
      } catch (err) {
        fail(`installing into PostgreSQL failed: ${(err as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
      console.log(`Installed ml.models, ml.predict and ml.execute_script (PL/Python, environment ${path.resolve(opts.venv)}).`);
      console.log(withR
        ? "Installed R scripts: ml.execute_script(script, query, 'R') (PL/R)."
        : "PL/R is not available on this server (Debian: postgresql-15-plr), so ml.execute_script(..., 'R') is refused; install it and run this again.");
    });
}

/** The PL/R functions, if the server has the extension; false (and nothing half-made) when it does not. */
async function installR(client: pg.Client): Promise<boolean> {
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'plr'");
  if (!available.rowCount) return false;
  for (const statement of ADDON_R_STATEMENTS) await client.query(statement);
  return true;
}

/** Copies a streamed result to stdout as it arrives; a cut-short stream is an error, not a short result. */
async function streamAll(res: Response): Promise<void> {
  const { Readable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), process.stdout, { end: false });
  } catch (err) {
    fail(`the result stream ended early (${(err as Error).message}): the query failed after its first rows.`);
  }
}

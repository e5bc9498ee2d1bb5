/**
 * SQL over the workspace, in embedded DuckDB. Each query gets an in-memory database of its own:
 * the data assets it names become views over their stored files (`iris` is the latest version,
 * `"iris:2"` a given one), `ml.models` lists the registered model versions, and each SQL Server
 * PREDICT(...) in it is scored first (sql/predict.ts). Then the database is locked down — no
 * file but the named assets' can be read, nothing can be attached, written or installed, and
 * the settings cannot be changed back — and the one SELECT runs, its rows read only up to the
 * row limit. A query that runs past its time or whose client goes away is interrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { readMlTable } from '../specs/mltable.ts';
import { TABLE_READERS } from '../assets/table-files.ts';
import { quoteIdent, quoteString } from '../util/sql-quote.ts';
import { findPredicts, type PredictCall } from '../specs/predict-sql.ts';
import { isExternalScript, parseExternalScript, type ExternalScriptCall } from '../specs/external-script-sql.ts';
import { executeScriptCall, findMlCalls, predictModelRef } from '../specs/ml-functions-sql.ts';
import { invalid, StratusError } from '../util/errors.ts';
import type { SqlDeps } from './deps.ts';
import { ExternalScripts } from './external-scripts.ts';
import { loadModels, scorePredicts, type LoadedModel } from './predict.ts';
import { PREDICT_FUNCTION, PredictFunction } from './predict-function.ts';

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  row_count: number;
  /** More rows than `max_rows` were there; only the first are returned. */
  truncated: boolean;
  elapsed_ms: number;
  /** What the engine did on the way (PREDICT's runtime and rows scored). */
  messages: string[];
  /** The data asset the whole result was saved as (`save_as`). */
  saved_as?: string;
}

/** A result kept as a new data asset version (a Parquet file), as `save_as` asks. */
export interface SaveAs { name: string; version?: string; description?: string }

export interface SqlLimits {
  maxRows: number;
  timeoutMs: number;
  memoryLimit: string;
  threads: number;
}

export interface QueryOptions { maxRows?: number; signal?: AbortSignal; saveAs?: SaveAs }

export type ExportFormat = 'csv' | 'ndjson';
export interface ExportSink {
  begin(columns: { name: string; type: string }[]): void;
  write(text: string): Promise<void>;
}

/** What a session hands its reader: the locked-down connection, the SELECT to run, and how to run it in ml.predict's rounds. */
interface Consumed {
  conn: DuckDBConnection;
  text: string;
  messages: string[];
  staged?: string;
  inRounds: <R>(round: () => Promise<R>) => Promise<R>;
}

/** A query as it will run: its PREDICTs, its ml.execute_script tables and its ml.predict models, ready before the clock starts. */
interface QueryPlan {
  text: string;
  predicts: PredictCall[];
  predictModels: LoadedModel[];
  scripts: ExternalScriptCall[];
  predictFunction?: PredictFunction;
}

/** The limits from the environment, read when the workspace opens. */
function defaultLimits(): SqlLimits {
  return {
    maxRows: 100_000,
    timeoutMs: Number(process.env.STRATUS_SQL_TIMEOUT_SECONDS ?? 300) * 1000,
    memoryLimit: process.env.STRATUS_SQL_MEMORY_LIMIT ?? '2GB',
    threads: 2,
  };
}

const READERS: Record<string, string> = { ...TABLE_READERS, '.ndjson': 'read_json_auto' };
/** Data assets offered to editors' completion, at most. */
const MAX_SCHEMA_TABLES = 200;


export class SqlEngine {
  /** `workDir` holds each external script's data while it runs, and results being saved. */
  constructor(private deps: SqlDeps, private workDir: string, private limits: SqlLimits = defaultLimits()) {}

  private get scriptsDir(): string {
    return path.join(this.workDir, 'scripts');
  }

  private stagingDir(): string {
    const dir = path.join(this.workDir, 'staging');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  async query(sql: string, opts: QueryOptions = {}): Promise<SqlResult> {
    const started = performance.now();
    if (!sql.trim()) throw invalid('Give a query, e.g. SELECT * FROM my_data LIMIT 10.');
    // Environments are built and models loaded before the query's clock starts.
    if (isExternalScript(sql)) {
      const call = parseExternalScript(sql);
      await this.deps.scripts.ready(call);
      return this.session(opts, (conn, messages, cleanup, writable) => this.externalScript(conn, call, messages, cleanup, writable, opts.signal), undefined, this.readResult(opts, started));
    }
    const plan = await this.plan(sql);
    return this.session(opts, (conn, messages, cleanup, writable) => this.prepareQuery(conn, plan, messages, cleanup, writable, opts.signal), plan.predictFunction, this.readResult(opts, started));
  }

  /**
   * Each ml.execute_script(...) becomes the table its script returns (`__script_<i>`); each
   * ml.predict keeps its place under a name DuckDB can call; then PREDICTs are read. Models are
   * loaded and script environments built here, before the query's clock starts.
   */
  private async plan(sql: string): Promise<QueryPlan> {
    let text = sql;
    const scriptCalls = findMlCalls(text, 'ml.execute_script');
    const scripts = scriptCalls.map(executeScriptCall);
    for (let i = scriptCalls.length - 1; i >= 0; i--) text = `${text.slice(0, scriptCalls[i].start)}__script_${i}${text.slice(scriptCalls[i].end)}`;
    const fnCalls = findMlCalls(text, 'ml.predict');
    const refs = [...new Set(fnCalls.map(predictModelRef))];
    for (let i = fnCalls.length - 1; i >= 0; i--) {
      const open = text.indexOf('(', fnCalls[i].start);
      text = `${text.slice(0, fnCalls[i].start)}${PREDICT_FUNCTION}${text.slice(open)}`;
    }
    const predicts = findPredicts(text);
    const predictModels = await loadModels(predicts.map((c) => c.model), this.deps);
    const fnModels = await loadModels(refs, this.deps, 'ml.predict');
    for (const call of scripts) await this.deps.scripts.ready(call);
    return {
      text, predicts, predictModels, scripts,
      predictFunction: refs.length ? new PredictFunction(new Map(fnModels.map((m) => [m.ref, m]))) : undefined,
    };
  }

  /** The tables a query can name (latest data asset versions that read as tables) and their columns, for editors' completion. */
  async schema(): Promise<{ tables: { name: string; columns: { name: string; type: string }[] }[] }> {
    const names = [...new Set((await this.deps.data.list()).map((d) => String(d.name)))].sort().slice(0, MAX_SCHEMA_TABLES);
    const { db, conn } = await openDatabase({ threads: '1' });
    const tables: { name: string; columns: { name: string; type: string }[] }[] = [];
    try {
      for (const name of [...names, 'ml.models']) {
        const ident = name === 'ml.models' ? name : quoteIdent(name);
        try {
          await this.catalog(conn, [`SELECT * FROM ${ident}`]);
          const described = await conn.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${ident})`);
          tables.push({ name, columns: described.getRowsJS().map((r) => ({ name: String(r[0]), type: String(r[1]) })) });
        } catch { /* not readable as a table: not offered */ }
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    return { tables };
  }

  /**
   * Every row of a query's result, as CSV (a header line) or JSON lines, with no row limit and
   * never held whole in memory: DuckDB writes the result to a file of the query's own, which is
   * then sent (`sink.begin` once it is complete, `sink.write` a piece at a time, resolving when
   * the receiver wants more). Written whole first because a DuckDB stream that fails part-way
   * ends like one that is done; a written file is a result that did not fail.
   */
  async export(sql: string, format: ExportFormat, sink: ExportSink, opts: { signal?: AbortSignal } = {}): Promise<{ messages: string[] }> {
    if (!sql.trim()) throw invalid('Give a query, e.g. SELECT * FROM my_data.');
    if (isExternalScript(sql)) throw invalid('Export runs queries; for a script\'s rows use SELECT * FROM ml.execute_script(...).');
    const plan = await this.plan(sql);
    return this.session({ ...opts, stage: true }, (conn, messages, cleanup, writable) => this.prepareQuery(conn, plan, messages, cleanup, writable, opts.signal), plan.predictFunction,
      async ({ conn, text, messages, staged, inRounds }) => {
        const file = path.join(staged!, `result.${format}`);
        await inRounds(() => conn.run(`COPY (${text}) TO ${quoteString(file)} (FORMAT ${format === 'csv' ? 'csv, HEADER' : 'json'})`));
        const prepared = await conn.prepare(text);
        sink.begin(Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: String(prepared.columnType(i)) })));
        for await (const piece of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) await sink.write(piece as string);
        return { messages };
      });
  }

  /** The first rows of a query's result (up to `max_rows`), and the whole result kept as a data asset when `save_as` asks. */
  private readResult(opts: QueryOptions, started: number) {
    const maxRows = Math.max(1, Math.min(opts.maxRows ?? 1000, this.limits.maxRows));
    return async ({ conn, text, messages, staged, inRounds }: Consumed): Promise<SqlResult> => {
      let saved: string | undefined;
      let read = text;
      if (opts.saveAs && staged) {
        const file = path.join(staged, 'result.parquet');
        await inRounds(() => conn.run(`COPY (${text}) TO ${quoteString(file)} (FORMAT parquet)`));
        const asset = await this.deps.saveResult(file, opts.saveAs);
        saved = `azureml:${asset.name}:${asset.version}`;
        messages.push(`The result was saved as data asset ${saved}.`);
        read = `SELECT * FROM read_parquet(${quoteString(file)})`;
      }
      // Run whole (a DuckDB stream that fails part-way ends like one that is done), with one row past
      // the limit so a longer result is known to be cut; the names are the query's own (a wrapping
      // SELECT would rename repeated ones).
      const prepared = await conn.prepare(read);
      const { StatementType } = await duckdb();
      const limited = prepared.statementType === StatementType.SELECT ? `SELECT * FROM (${read}) LIMIT ${maxRows + 1}` : read;
      const reader = await inRounds(() => conn.runAndReadAll(limited));
      const rows = reader.getRowsJS().slice(0, maxRows).map((r) => r.map(plain));
      return {
        columns: reader.columnNames().map((_, i) => ({ name: prepared.columnName(i), type: String(reader.columnType(i)) })),
        rows, row_count: rows.length, truncated: reader.currentRowCount > maxRows, elapsed_ms: Math.round(performance.now() - started), messages,
        ...(saved ? { saved_as: saved } : {}),
      };
    };
  }

  /**
   * A database of the query's own: `prepare` readies it (views, scores, scripts), locks it down
   * and returns the one SELECT to run; `consume` reads its result. A query past its time limit,
   * or whose client goes away, is interrupted; everything it made is removed after.
   */
  private async session<T>(
    opts: { signal?: AbortSignal; saveAs?: SaveAs; stage?: boolean },
    prepare: (conn: DuckDBConnection, messages: string[], cleanup: (() => void)[], writable: string[]) => Promise<string>,
    predictFunction: PredictFunction | undefined,
    consume: (run: Consumed) => Promise<T>,
  ): Promise<T> {
    const { db, conn } = await openDatabase({ threads: String(this.limits.threads), memory_limit: this.limits.memoryLimit });
    const messages: string[] = [];
    const cleanup: (() => void)[] = [];
    let timedOut = false;
    const interrupt = () => conn.interrupt();
    const timer = setTimeout(() => { timedOut = true; interrupt(); }, this.limits.timeoutMs);
    opts.signal?.addEventListener('abort', interrupt);
    try {
      // A saved or exported result goes to a staging folder of its own, the one place this query's engine writes.
      const staged = opts.saveAs || opts.stage ? fs.mkdtempSync(path.join(this.stagingDir(), 'result-')) : undefined;
      if (staged) cleanup.push(() => fs.rmSync(staged, { recursive: true, force: true }));
      const text = await prepare(conn, messages, cleanup, staged ? [staged] : []);
      // With ml.predict, the query runs until a round has every score it needs (sql/predict-function.ts).
      const inRounds = <R>(round: () => Promise<R>) => (predictFunction ? predictFunction.inRounds(round) : round());
      const result = await consume({ conn, text, messages, staged, inRounds });
      if (predictFunction) messages.push(...predictFunction.summary());
      return result;
    } catch (err) {
      if (timedOut && /interrupt/i.test((err as Error).message)) throw invalid(`The query ran longer than ${this.limits.timeoutMs / 1000} s and was stopped (STRATUS_SQL_TIMEOUT_SECONDS).`);
      if (opts.signal?.aborted && /interrupt/i.test((err as Error).message)) throw invalid('The query was cancelled.');
      if (err instanceof StratusError) throw err;
      throw invalid(`SQL error: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', interrupt);
      conn.closeSync();
      db.closeSync();
      for (const c of cleanup) c();
    }
  }

  /**
   * A query, with each PREDICT scored first and replaced by its data and scores side by side, row
   * for row, and each ml.execute_script's script run into its table.
   */
  private async prepareQuery(conn: DuckDBConnection, plan: QueryPlan, messages: string[], cleanup: (() => void)[], writable: string[], signal?: AbortSignal): Promise<string> {
    let text = plan.text;
    const calls = plan.predicts;
    for (let i = calls.length - 1; i >= 0; i--) {
      const c = calls[i];
      text = `${text.slice(0, c.start)}__predict_${i}_d AS ${quoteIdent(c.dataAlias)} POSITIONAL JOIN __predict_${i}_p AS ${quoteIdent(c.alias)}${text.slice(c.end)}`;
    }
    // Registered first: DuckDB finds no table names in a query that calls a function it does not know.
    await plan.predictFunction?.register(conn);
    const dirs = plan.scripts.map(() => this.scriptDir(cleanup));
    const inputs = plan.scripts.flatMap((s) => (s.inputQuery ? [s.inputQuery] : []));
    const allowed = await this.catalog(conn, [text, ...calls.map((c) => `SELECT * FROM ${c.data}`), ...inputs]);
    await scorePredicts(conn, calls, plan.predictModels, messages);
    await lockDown(conn, { files: allowed.files, dirs: [...allowed.dirs, ...dirs, ...writable] });
    for (const [i, call] of plan.scripts.entries()) {
      if (!(await this.runScript(conn, call, dirs[i], `__script_${i}`, messages, signal))) {
        throw invalid(`ml.execute_script: the script set no ${call.outputName}; assign the rows to return to it (a pandas DataFrame, or an R data.frame).`);
      }
    }
    await assertOneQuery(conn, text);
    return text;
  }

  /** A folder of its own for one script's data, gone once the result has been read. */
  private scriptDir(cleanup: (() => void)[]): string {
    fs.mkdirSync(this.scriptsDir, { recursive: true });
    const dir = fs.mkdtempSync(path.join(this.scriptsDir, 'run-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /**
   * sp_execute_external_script: the input query's rows (locked down like any query) go to the
   * script as Parquet, and what it returns is the result — typed by WITH RESULT SETS when given.
   */
  private async externalScript(conn: DuckDBConnection, call: ExternalScriptCall, messages: string[], cleanup: (() => void)[], writable: string[], signal?: AbortSignal): Promise<string> {
    const dir = this.scriptDir(cleanup);
    const allowed = call.inputQuery ? await this.catalog(conn, [call.inputQuery]) : { files: [], dirs: [] };
    await lockDown(conn, { files: allowed.files, dirs: [...allowed.dirs, dir, ...writable] });
    if (!(await this.runScript(conn, call, dir, '__script_out', messages, signal))) return 'SELECT * FROM (SELECT 1) WHERE false';
    if (!call.resultSet) return 'SELECT * FROM __script_out';
    const got = (await conn.runAndReadAll('SELECT column_name FROM (DESCRIBE __script_out)')).getRowsJS().map((r) => String(r[0]));
    if (got.length !== call.resultSet.length) {
      throw invalid(`EXECUTE statement failed because its WITH RESULT SETS clause specified ${call.resultSet.length} column(s) for result set number 1, but the statement sent ${got.length} column(s) at run time (${got.join(', ')}).`);
    }
    return `SELECT ${call.resultSet.map((c, i) => `CAST(${quoteIdent(got[i])} AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ')} FROM __script_out`;
  }

  /** Runs a script over its input query's rows (written to `dir`) into the temporary table `table`; false when it returned nothing. */
  private async runScript(conn: DuckDBConnection, call: ExternalScriptCall, dir: string, table: string, messages: string[], signal?: AbortSignal): Promise<boolean> {
    let input: string | undefined;
    if (call.inputQuery) {
      await assertOneQuery(conn, call.inputQuery, '@input_data_1');
      const format = ExternalScripts.formatOf(call);
      input = path.join(dir, `input.${format}`);
      await conn.run(`COPY (${call.inputQuery}) TO ${quoteString(input)} (FORMAT ${format}${format === 'csv' ? ', HEADER' : ''})`);
    }
    const run = await this.deps.scripts.run(call, input, dir, signal);
    messages.push(...run.messages);
    if (!run.output) return false;
    const reader = run.output.endsWith('.csv') ? 'read_csv_auto' : 'read_parquet';
    await conn.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${reader}(${quoteString(run.output)})`);
    return true;
  }

  /**
   * Views for the data assets the query names and `ml.models` if it reads it; returns the files
   * and folders those views read (the only ones the locked-down query may open).
   */
  private async catalog(conn: DuckDBConnection, sources: string[]): Promise<{ files: string[]; dirs: string[] }> {
    const allowed = { files: [] as string[], dirs: [] as string[] };
    const names = new Set<string>();
    let wantsModels = false;
    for (const source of sources) {
      let qualified: readonly string[];
      try {
        qualified = conn.getTableNames(source, true);
      } catch (err) {
        throw invalid(`SQL error: ${(err as Error).message}`);
      }
      for (const q of qualified) {
        const ref = q.replace(/\s+AS\s+.*$/is, '').trim();
        if (/^ml\.models$/i.test(ref)) wantsModels = true;
        else if (!ref.includes('.') || ref.startsWith('"')) names.add(ref.startsWith('"') ? ref.slice(1, -1).replace(/""/g, '"') : ref);
      }
    }
    for (const ref of names) {
      if (/^__predict_\d+_[dp]$|^__script_\d+$/.test(ref)) continue;
      const m = /^([A-Za-z0-9][\w.-]*?)(?::([\w.-]+))?$/.exec(ref);
      if (!m) continue;
      const asset = await this.deps.data.storePath(m[1], m[2], m[2] ? undefined : 'latest').catch(() => undefined);
      if (!asset) continue;
      const target = this.deps.store.resolve(asset.path);
      const reader = readerFor(target, asset.type);
      if (!reader) throw invalid(`Data asset '${ref}' holds no CSV, TSV, Parquet or JSON file to read as a table.`);
      await conn.run(`CREATE VIEW ${quoteIdent(ref)} AS SELECT * FROM ${reader.sql}`).catch((err: Error) => {
        throw invalid(`Data asset '${ref}' cannot be read as a table: ${err.message.split('\n')[0]}`);
      });
      (fs.statSync(target).isDirectory() ? allowed.dirs : allowed.files).push(target);
    }
    if (wantsModels) await this.modelsTable(conn);
    return allowed;
  }

  private async modelsTable(conn: DuckDBConnection): Promise<void> {
    await conn.run('CREATE SCHEMA ml');
    await conn.run(`CREATE TEMP TABLE models_in (name VARCHAR, version INTEGER, type VARCHAR, stage VARCHAR, run_id VARCHAR, job_name VARCHAR, path VARCHAR, description VARCHAR, created_at VARCHAR)`);
    const appender = await conn.createAppender('models_in');
    for (const m of await this.deps.models.list()) {
      appender.appendVarchar(String(m.name));
      appender.appendInteger(Number(m.version));
      for (const v of [m.type, m.stage, m.run_id, m.job_name, m.path, m.description, m.creation_context.created_at]) {
        if (v === undefined || v === null || v === '') appender.appendNull();
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
    }
    appender.closeSync();
    await conn.run('CREATE TABLE ml.models AS SELECT * REPLACE (created_at::TIMESTAMP AS created_at) FROM models_in ORDER BY name, version');
    await conn.run('DROP TABLE models_in');
  }
}

/** The DuckDB table function that reads a data asset's files, by its type and extension. */
function readerFor(target: string, type: string): { sql: string } | undefined {
  if (fs.statSync(target).isFile()) {
    const fn = READERS[path.extname(target).toLowerCase()];
    return fn ? { sql: `${fn}(${quoteString(target)})` } : undefined;
  }
  if (type === 'mltable') {
    const files = readMlTable(target).files.map((f) => path.join(target, f)).filter((f) => READERS[path.extname(f).toLowerCase()]);
    if (!files.length) return undefined;
    return { sql: `${READERS[path.extname(files[0]).toLowerCase()]}([${files.map(quoteString).join(', ')}])` };
  }
  // A folder: all its files of the first table kind found (Parquet first, as Spark writes it).
  const all = listFiles(target);
  for (const ext of ['.parquet', '.csv', '.tsv', '.jsonl', '.json', '.ndjson']) {
    const files = all.filter((f) => f.toLowerCase().endsWith(ext));
    if (files.length) return { sql: `${READERS[ext]}([${files.map(quoteString).join(', ')}])` };
  }
  return undefined;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else out.push(p);
    }
  }
  return out.sort();
}

/** DuckDB's native module, loaded with the first query rather than at server start (as the data preview loads it). */
const duckdb = () => import('@duckdb/node-api');

/** An in-memory database of its own, which neither installs nor loads extensions. */
async function openDatabase(settings: Record<string, string>) {
  const { DuckDBInstance } = await duckdb();
  const db = await DuckDBInstance.create(':memory:', { ...settings, autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  return { db, conn: await db.connect() };
}

/** The text is one query (SELECT, WITH … SELECT, EXPLAIN): nothing that writes, attaches or changes settings. */
async function assertOneQuery(conn: DuckDBConnection, text: string, what = 'The text'): Promise<void> {
  const { StatementType } = await duckdb();
  const statements = await conn.extractStatements(text);
  if (statements.count !== 1) throw invalid(`Send one statement at a time; ${what === 'The text' ? 'this text' : what} has ${statements.count}.`);
  const prepared = await statements.prepare(0);
  if (prepared.statementType !== StatementType.SELECT && prepared.statementType !== StatementType.EXPLAIN) {
    throw invalid(`Only queries (SELECT, WITH … SELECT, EXPLAIN) run here${what === 'The text' ? '' : ` (${what})`}: ${StatementType[prepared.statementType]} statements would change the workspace's data.`);
  }
}

/** From here on the query reads only the assets' files, and cannot write, attach, install or change a setting. */
async function lockDown(conn: DuckDBConnection, allowed: { files: string[]; dirs: string[] }): Promise<void> {
  const list = (xs: string[]) => `[${xs.map(quoteString).join(', ')}]`;
  if (allowed.files.length) await conn.run(`SET allowed_paths = ${list(allowed.files)}`);
  if (allowed.dirs.length) await conn.run(`SET allowed_directories = ${list(allowed.dirs.map((d) => `${d}/`))}`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

/** A value as JSON carries it: big integers as numbers when exact, else as text; dates as ISO text. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
}

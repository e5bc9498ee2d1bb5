/**
 * Scoring each PREDICT of a query before it runs: the DATA rows are materialised in the query's
 * own database (`__predict_<i>_d`), the model's input columns are read from them a vector batch
 * at a time and scored (ONNX in this process, else the model's Python worker), and the outputs
 * the WITH list names are appended, row for row, to `__predict_<i>_p`. The query then reads
 * `__predict_<i>_d AS d POSITIONAL JOIN __predict_<i>_p AS p`, which is what SQL Server's
 * PREDICT returns.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { PredictCall } from '../specs/predict-sql.ts';
import { invalid, StratusError } from '../util/errors.ts';
import { quoteIdent } from '../util/sql-quote.ts';
import type { SqlDeps } from './deps.ts';
import type { BatchScorer } from './model-scoring.ts';

/** Rows per scoring call: DuckDB's vector size times four (fewer round trips to a Python worker). */
const BATCH_ROWS = 8192;

/** `name@alias`, `name:version` or `name` (the latest version). */
export function parseModelRef(ref: string): { name: string; version?: string; alias?: string } {
  const m = /^([A-Za-z0-9][\w.-]*?)(?:@([\w.-]+)|:(\d+))?$/.exec(ref.trim());
  if (!m) throw invalid(`Invalid model reference '${ref}': use '<name>@<alias>', '<name>:<version>' or '<name>'.`);
  return { name: m[1], alias: m[2], version: m[3] };
}

export interface LoadedModel { ref: string; version: string; scorer: BatchScorer }

/** Each named model (`ref` as written), found in the registry and loaded (an environment built, a worker started) before the query's clock starts. */
export async function loadModels(refs: string[], deps: SqlDeps, what = 'PREDICT'): Promise<LoadedModel[]> {
  const loaded: LoadedModel[] = [];
  for (const written of refs) {
    const ref = parseModelRef(written);
    const model = await deps.models.show(ref.name, ref.version, ref.alias).catch((err: StratusError) => {
      throw new StratusError(err.code ?? 'RESOURCE_DOES_NOT_EXIST', `${what}: model '${written}' was not found: ${err.message}`);
    });
    const folder = deps.store.resolve(await deps.models.storePath(model.name, String(model.version)));
    loaded.push({ ref: written, version: String(model.version), scorer: await deps.scorers.get(folder) });
  }
  return loaded;
}

export async function scorePredicts(conn: DuckDBConnection, calls: PredictCall[], models: LoadedModel[], messages: string[]): Promise<void> {
  for (const [i, call] of calls.entries()) {
    const started = performance.now();
    const { scorer, version } = models[i];
    const model = { version };
    await conn.run(`CREATE TEMP TABLE __predict_${i}_d AS SELECT * FROM ${call.data}`).catch((err: Error) => {
      throw invalid(`PREDICT's DATA (${call.data.slice(0, 80)}) cannot be read: ${err.message.split('\n')[0]}`);
    });
    const described = (await conn.runAndReadAll(`SELECT column_name FROM (DESCRIBE __predict_${i}_d)`)).getRowsJS().map((r) => String(r[0]));
    const inputs = scorer.inputs ?? described;
    const missing = inputs.filter((c) => !described.includes(c));
    if (missing.length) {
      throw invalid(`PREDICT: model '${call.model}' (version ${model.version}) takes columns ${inputs.join(', ')}; DATA has no column ${missing.join(', ')} (it has ${described.join(', ')}).`);
    }
    await conn.run(`CREATE TEMP TABLE __predict_${i}_p (${call.outputs.map((o) => `${quoteIdent(o.name)} ${o.type}`).join(', ')})`);
    const appender = await conn.createAppender(`__predict_${i}_p`);
    const result = await conn.stream(`SELECT ${inputs.map(quoteIdent).join(', ')} FROM __predict_${i}_d`);
    let scored = 0;
    let pending: unknown[][] = inputs.map(() => []);
    const flush = async () => {
      const rows = pending[0]?.length ?? 0;
      if (!rows) return;
      const outputs = await scorer.score(pending, inputs, rows).catch((err: Error) => {
        throw err instanceof StratusError ? err : invalid(`PREDICT: scoring with '${call.model}' failed: ${err.message.slice(0, 2000)}`);
      });
      if (outputs.length !== rows) throw invalid(`PREDICT: the model returned ${outputs.length} predictions for ${rows} rows.`);
      for (const row of outputs) appendRow(appender, row, call);
      scored += rows;
      pending = inputs.map(() => []);
    };
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const columns = chunk.getColumns();
      for (let c = 0; c < columns.length; c++) for (const v of columns[c]) pending[c].push(featureValue(v));
      if (pending[0].length >= BATCH_ROWS) await flush();
    }
    await flush();
    appender.closeSync();
    messages.push(`PREDICT ${call.model} (version ${model.version}, ${scorer.runtime === 'onnx' ? 'ONNX in-process' : 'Python worker'}): ${scored} rows scored in ${Math.round(performance.now() - started)} ms.`);
  }
}

/** One row of model outputs into the WITH columns, in order; a row with fewer values than columns is the model's mismatch. */
function appendRow(appender: DuckDBAppender, values: unknown[], call: PredictCall): void {
  if (values.length < call.outputs.length) {
    throw invalid(`PREDICT: the model returns ${values.length} value${values.length === 1 ? '' : 's'} per row, but WITH (...) lists ${call.outputs.length} columns (${call.outputs.map((o) => o.name).join(', ')}).`);
  }
  for (const [j, out] of call.outputs.entries()) {
    const v = values[j];
    if (v === null || v === undefined) {
      appender.appendNull();
      continue;
    }
    if (out.type !== 'VARCHAR' && out.type !== 'BOOLEAN' && !Number.isFinite(Number(v))) {
      throw invalid(`PREDICT: WITH (...) says ${out.name} is a number, but the model returned ${JSON.stringify(v)}; declare it VARCHAR or NVARCHAR.`);
    }
    switch (out.type) {
      case 'DOUBLE': appender.appendDouble(Number(v)); break;
      case 'FLOAT': appender.appendFloat(Number(v)); break;
      case 'INTEGER': appender.appendInteger(Math.trunc(Number(v))); break;
      case 'SMALLINT': appender.appendSmallInt(Math.trunc(Number(v))); break;
      case 'TINYINT': appender.appendTinyInt(Math.trunc(Number(v))); break;
      case 'BIGINT': appender.appendBigInt(BigInt(Math.trunc(Number(v)))); break;
      case 'BOOLEAN': appender.appendBoolean(v === true || v === 1 || v === '1' || v === 'true'); break;
      default: appender.appendVarchar(String(v));
    }
  }
  appender.endRow();
}

/** A DuckDB value as a model takes it: integers and decimals as numbers, text as text, anything else as its text. */
export function featureValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object') {
    const d = v as { toDouble?: () => number };
    return typeof d.toDouble === 'function' ? d.toDouble() : String(v);
  }
  return v;
}

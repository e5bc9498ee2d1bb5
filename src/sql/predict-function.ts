/**
 * `ml.predict('<model>', feature, …)`: a model's score for one row, as a scalar function anywhere
 * in a query (a SELECT list, WHERE, ORDER BY, inside another expression).
 *
 * DuckDB calls a function synchronously, a vector of rows at a time, while models are scored
 * asynchronously (onnxruntime, a Python worker) — so the query runs in rounds. In a round the
 * function answers every feature row it already has a score for and notes the others (answering
 * NULL for now); between rounds the noted rows are scored in batches, as PREDICT scores them. The
 * first round that notes nothing new is the result, and every value in it is a real score. Most
 * queries take two rounds; each level of ml.predict nested in another's features adds one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { invalid, StratusError } from '../util/errors.ts';
import { featureValue, type LoadedModel } from './predict.ts';

/** The name the query's `ml.predict` is rewritten to (the same length, so positions in the text hold). */
export const PREDICT_FUNCTION = 'ml_predict';
/** Distinct feature rows one query may score through ml.predict; PREDICT(...) scores whole tables without this bound. */
const MAX_FEATURE_ROWS = 2_000_000;
const BATCH_ROWS = 8192;
/** Rounds before giving up (ml.predict nested this deep in its own features). */
const MAX_ROUNDS = 8;

export class PredictFunction {
  private scores = new Map<string, Map<string, number | null>>();
  private missing = new Map<string, Map<string, unknown[]>>();
  private known = 0;
  private rounds = 0;
  /** An error from inside DuckDB's call, kept so the query fails with its whole text. */
  private failure?: StratusError;

  constructor(private models: Map<string, LoadedModel>) {
    for (const ref of models.keys()) this.scores.set(ref, new Map());
  }

  async register(conn: DuckDBConnection): Promise<void> {
    const { ANY, DOUBLE, VARCHAR, DuckDBScalarFunction } = await import('@duckdb/node-api');
    conn.registerScalarFunction(DuckDBScalarFunction.create({
      name: PREDICT_FUNCTION, returnType: DOUBLE, parameterTypes: [VARCHAR], varArgsType: ANY,
      mainFunction: (info, input, output) => {
        const refs = input.getColumnVector(0);
        const features = Array.from({ length: input.columnCount - 1 }, (_, j) => input.getColumnVector(j + 1));
        for (let r = 0; r < input.rowCount; r++) {
          const ref = String(refs.getItem(r));
          const known = this.scores.get(ref);
          if (!known) {
            info.setError(`ml.predict: model '${ref}' must be written as a quoted literal in the query, so it is loaded before the query runs.`);
            return;
          }
          const values = features.map((v) => featureValue(v.getItem(r)));
          // A NULL feature has no score (as NULL goes through any SQL function), nor does a score not known yet used as a feature.
          if (values.some((v) => v === null)) {
            output.setItem(r, null);
            continue;
          }
          const key = JSON.stringify(values);
          const score = known.get(key);
          if (score !== undefined) {
            output.setItem(r, score);
            continue;
          }
          output.setItem(r, null);
          if (!this.note(ref, key, values)) {
            info.setError(this.failure!.message);
            return;
          }
        }
        output.flush();
      },
    }));
  }

  /** Runs `round` until a round needs no score it lacks; its answer is the result. */
  async inRounds<T>(round: () => Promise<T>): Promise<T> {
    for (;;) {
      const result = await round().catch((err: Error) => {
        throw this.failure ?? err;
      });
      if (!this.missing.size) return result;
      if (++this.rounds >= MAX_ROUNDS) throw invalid(`ml.predict is nested in its own features more than ${MAX_ROUNDS - 1} deep.`);
      await this.scoreMissing();
    }
  }

  /** What ml.predict did, for the query's messages. */
  summary(): string[] {
    return [...this.models.entries()].map(([ref, m]) => {
      const n = this.scores.get(ref)?.size ?? 0;
      return `ml.predict ${ref} (version ${m.version}, ${m.scorer.runtime === 'onnx' ? 'ONNX in-process' : 'Python worker'}): ${n} distinct feature rows scored.`;
    });
  }

  private note(ref: string, key: string, values: unknown[]): boolean {
    let pending = this.missing.get(ref);
    if (!pending) this.missing.set(ref, (pending = new Map()));
    if (pending.has(key)) return true;
    if (++this.known > MAX_FEATURE_ROWS) {
      this.failure = invalid(`ml.predict was asked to score more than ${MAX_FEATURE_ROWS} distinct feature rows in one query; score whole tables with PREDICT(MODEL = '${ref}', DATA = … AS d) WITH (score FLOAT) AS p.`);
      return false;
    }
    pending.set(key, values);
    return true;
  }

  private async scoreMissing(): Promise<void> {
    const missing = this.missing;
    this.missing = new Map();
    for (const [ref, pending] of missing) {
      const { scorer, version } = this.models.get(ref)!;
      const entries = [...pending.entries()];
      const width = entries[0][1].length;
      if (entries.some(([, v]) => v.length !== width)) throw invalid(`ml.predict('${ref}', …) is called with different numbers of features in one query.`);
      if (scorer.inputs && scorer.inputs.length !== width) {
        throw invalid(`ml.predict: model '${ref}' (version ${version}) takes ${scorer.inputs.length} features (${scorer.inputs.join(', ')}), in that order; it was given ${width}.`);
      }
      const names = scorer.inputs ?? Array.from({ length: width }, (_, j) => `feature_${j + 1}`);
      const known = this.scores.get(ref)!;
      for (let from = 0; from < entries.length; from += BATCH_ROWS) {
        const batch = entries.slice(from, from + BATCH_ROWS);
        const columns = names.map((_, j) => batch.map(([, v]) => v[j]));
        const outputs = await scorer.score(columns, names, batch.length).catch((err: Error) => {
          throw err instanceof StratusError ? err : invalid(`ml.predict: scoring with '${ref}' failed: ${err.message.slice(0, 2000)}`);
        });
        for (const [i, [key]] of batch.entries()) known.set(key, firstNumber(outputs[i]?.[0], ref));
      }
    }
  }
}

/** ml.predict returns a number: a class label or other text is PREDICT's to return (WITH (label VARCHAR)). */
function firstNumber(v: unknown, ref: string): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'boolean' ? Number(v) : Number(v);
  if (typeof v === 'string' || !Number.isFinite(n)) {
    throw invalid(`ml.predict returns numbers, but model '${ref}' returned ${JSON.stringify(v)}; for text outputs use PREDICT(MODEL = '${ref}', DATA = … AS d) WITH (label VARCHAR) AS p.`);
  }
  return n;
}

/**
 * Scoring a registered model over batches of rows for PREDICT. An ONNX model (one .onnx file in
 * the version's folder) is scored in this process with onnxruntime-node; any other MLflow model
 * by a pooled Python worker (the same no-code harness online endpoints use) that loads it once.
 * Loaded models are kept, a few at a time, so the next query starts warm.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { parse as parseYaml } from 'yaml';
import type { EnvironmentBuilder } from '../environments/builder.ts';
import { mlflowModelEnvironment } from '../environments/mlflow-model.ts';
import { findOnnxFile } from '../serving/onnx-scorer.ts';
import { WorkerPool } from '../serving/worker-pool.ts';
import { DEFAULT_PROBE } from '../specs/probe-settings.ts';
import { childEnv } from '../util/child-env.ts';
import { HARNESS } from '../util/python-harness.ts';
import { invalid } from '../util/errors.ts';

/** Feature values by column (`names` in order), `rows` of them; each row's outputs come back flat, in the model's output order. */
export interface BatchScorer {
  readonly runtime: 'onnx' | 'python';
  /** The input columns the model's signature names, in its order (undefined: take the data's columns). */
  readonly inputs: string[] | undefined;
  score(columns: unknown[][], names: string[], rows: number): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** The input columns (name and MLflow type) of an MLflow model's signature, if it has a column-based one. */
export function signatureInputs(folder: string): { name: string; type: string }[] | undefined {
  const file = path.join(folder, 'MLmodel');
  if (!fs.existsSync(file)) return undefined;
  const mlmodel = parseYaml(fs.readFileSync(file, 'utf8')) as { signature?: { inputs?: string } };
  if (!mlmodel?.signature?.inputs) return undefined;
  const specs = JSON.parse(mlmodel.signature.inputs) as { name?: string; type?: string }[];
  return specs.every((s) => s.name && s.type !== 'tensor') ? specs.map((s) => ({ name: s.name!, type: s.type ?? '' })) : undefined;
}

/** A JSON value for a feature: a whole number in a float column keeps its decimal point (MLflow will not widen int to double). */
function jsonFeature(v: unknown, floating: boolean): string {
  if (typeof v === 'number' && floating && Number.isInteger(v)) return v.toFixed(1);
  return JSON.stringify(v ?? null);
}

class OnnxBatchScorer implements BatchScorer {
  readonly runtime = 'onnx' as const;
  constructor(private session: ort.InferenceSession, readonly inputs: string[] | undefined) {}

  async score(columns: unknown[][], names: string[], rows: number): Promise<unknown[][]> {
    const width = columns.length;
    const flat = new Float32Array(rows * width);
    for (let j = 0; j < width; j++) {
      const col = columns[j];
      for (let i = 0; i < rows; i++) {
        const v = typeof col[i] === 'bigint' ? Number(col[i]) : col[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`Column '${names[j]}', row ${i + 1}: the ONNX model takes numbers, got ${JSON.stringify(String(v))}.`);
        flat[i * width + j] = v;
      }
    }
    const out = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', flat, [rows, width]) });
    const result: unknown[][] = Array.from({ length: rows }, () => []);
    for (const name of this.session.outputNames) {
      const t = out[name] as ort.Tensor | undefined;
      // Non-tensor outputs (skl2onnx's ZipMap of class probabilities) have no column shape here.
      if (!t || !('dims' in t) || !t.data) continue;
      const per = t.dims.length > 1 ? Number(t.dims[1]) : 1;
      const data = t.data as ArrayLike<number | bigint | string>;
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < per; k++) {
          const v = data[i * per + k];
          result[i].push(typeof v === 'bigint' ? Number(v) : v);
        }
      }
    }
    return result;
  }

  async close(): Promise<void> {
    await this.session.release().catch(() => undefined);
  }
}

class PythonBatchScorer implements BatchScorer {
  readonly runtime = 'python' as const;
  readonly inputs: string[] | undefined;
  private floating: Set<string>;

  constructor(private pool: WorkerPool, signature: { name: string; type: string }[] | undefined) {
    this.inputs = signature?.map((c) => c.name);
    this.floating = new Set((signature ?? []).filter((c) => c.type === 'double' || c.type === 'float').map((c) => c.name));
  }

  async score(columns: unknown[][], names: string[], rows: number): Promise<unknown[][]> {
    const floating = names.map((n) => this.floating.has(n));
    const data = Array.from({ length: rows }, (_, i) => `[${columns.map((c, j) => jsonFeature(typeof c[i] === 'bigint' ? Number(c[i]) : c[i], floating[j])).join(',')}]`);
    const res = await this.pool.score(`{"input_data":{"columns":${JSON.stringify(names)},"data":[${data.join(',')}]}}`);
    if (res.status !== 200) throw invalid(`The model's Python worker refused the batch: ${res.body.slice(0, 2000)}`);
    const predictions = JSON.parse(res.body) as unknown;
    const list = Array.isArray(predictions) ? predictions : (predictions as { predictions?: unknown[] }).predictions ?? [];
    return list.map((p) => (Array.isArray(p) ? p : p !== null && typeof p === 'object' ? Object.values(p) : [p]));
  }

  async close(): Promise<void> {
    await this.pool.stop();
  }
}

export class ModelScorers {
  private loaded = new Map<string, Promise<BatchScorer>>();

  /** `converted` finds a version's ONNX conversion (sql/onnx-conversion.ts), which is scored in place of its Python model. */
  constructor(private builder: EnvironmentBuilder, private logDir: string, private converted: (folder: string) => string | undefined = () => undefined, private keep = 4) {}

  /** The scorer for a model version's folder. */
  async get(folder: string): Promise<BatchScorer> {
    const conversion = this.converted(folder);
    // A conversion that arrives later gets a scorer of its own; the Python one ages out.
    const key = conversion ?? folder;
    let scorer = this.loaded.get(key);
    if (!scorer) {
      scorer = this.load(folder, conversion);
      this.loaded.set(key, scorer);
      scorer.catch(() => this.loaded.delete(key));
      while (this.loaded.size > this.keep) {
        const [oldest, p] = this.loaded.entries().next().value as [string, Promise<BatchScorer>];
        this.loaded.delete(oldest);
        void p.then((s) => s.close(), () => undefined);
      }
    }
    return scorer;
  }

  async closeAll(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((p) => p.then((s) => s.close(), () => undefined)));
  }

  private async load(folder: string, conversion?: string): Promise<BatchScorer> {
    const signature = signatureInputs(folder);
    const onnx = findOnnxFile(folder) ?? conversion;
    if (onnx) return new OnnxBatchScorer(await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1 }), signature?.map((c) => c.name));
    if (!fs.existsSync(path.join(folder, 'MLmodel'))) {
      throw invalid('PREDICT scores ONNX models (one .onnx file) and MLflow models (a folder with an MLmodel file); this model version is neither.');
    }
    fs.mkdirSync(this.logDir, { recursive: true });
    const logFile = path.join(this.logDir, `${path.basename(path.dirname(folder))}-${path.basename(folder)}.log`);
    const built = await this.builder.ensure(mlflowModelEnvironment(folder), (t) => fs.appendFileSync(logFile, t));
    const pool = new WorkerPool({
      workers: 1, python: built.python, appRoot: path.join(HARNESS, 'stratus_scoring'), entryScript: 'mlflow_score.py',
      env: {
        ...childEnv(), STRATUS_MLFLOW_MODEL_PATH: folder, AZUREML_MODEL_DIR: path.dirname(folder), PYTHONUNBUFFERED: '1',
        ...(built.prefix ? { VIRTUAL_ENV: built.prefix, PATH: `${path.join(built.prefix, 'bin')}:${process.env.PATH ?? ''}` } : {}),
      },
      logFile, maxQueued: 64, timeoutMs: 600_000, liveness: DEFAULT_PROBE, readiness: DEFAULT_PROBE,
    });
    await pool.start();
    return new PythonBatchScorer(pool, signature);
  }
}

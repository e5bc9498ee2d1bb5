/**
 * The ONNX runtime: an ONNX model scored inside the Node process with onnxruntime-node — no
 * Python at all. Rows arrive as Azure ML's {"input_data": {"columns", "data"}}, or as
 * {"inputs": [[...]]} / {"data": [[...]]}; they are fed to the model's first input as a
 * float32 [rows, features] tensor.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Scorer, ScoreResult } from './scorer.ts';

const bad = (message: string): ScoreResult => ({ status: 400, body: JSON.stringify({ error: message }) });

/** The .onnx file of a model folder, if it is an ONNX model. */
export function findOnnxFile(folder: string): string | undefined {
  if (!fs.existsSync(folder)) return undefined;
  if (fs.statSync(folder).isFile()) return folder.endsWith('.onnx') ? folder : undefined;
  const files = fs.readdirSync(folder).filter((f) => f.endsWith('.onnx'));
  return files.length === 1 ? path.join(folder, files[0]) : undefined;
}

function rowsOf(payload: any): { rows: unknown; azure: boolean } | undefined {
  if (payload && typeof payload === 'object') {
    if (payload.input_data !== undefined) return { rows: Array.isArray(payload.input_data) ? payload.input_data : payload.input_data?.data, azure: true };
    if (payload.inputs !== undefined) return { rows: payload.inputs, azure: false };
    if (payload.data !== undefined) return { rows: payload.data, azure: false };
  }
  return undefined;
}

export class OnnxScorer implements Scorer {
  readonly runtime = 'onnx' as const;
  private inflight = 0;

  private constructor(private session: ort.InferenceSession, private features: number | undefined) {}

  static async load(file: string): Promise<OnnxScorer> {
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    const meta = (session as unknown as { inputMetadata?: { shape?: (number | string)[] }[] }).inputMetadata?.[0];
    const dim = meta?.shape?.[1];
    return new OnnxScorer(session, typeof dim === 'number' ? dim : undefined);
  }

  async score(body: string): Promise<ScoreResult> {
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch (err) {
      return bad(`The request body is not valid JSON: ${(err as Error).message}`);
    }
    const found = rowsOf(payload);
    if (!found) return bad('The request must hold input_data (Azure ML), inputs or data: a list of rows of numbers.');
    const rows = found.rows;
    if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => Array.isArray(r))) return bad('The rows must be a non-empty list of lists of numbers.');
    const width = (rows[0] as unknown[]).length;
    if (this.features !== undefined && width !== this.features) return bad(`Each row needs ${this.features} values; got ${width}.`);
    const flat = new Float32Array(rows.length * width);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as unknown[];
      if (row.length !== width) return bad(`Row ${i} has ${row.length} values; the first row has ${width}.`);
      for (let j = 0; j < width; j++) {
        const v = row[j];
        if (typeof v !== 'number' || !Number.isFinite(v)) return bad(`Row ${i}, column ${j}: expected a number, got ${JSON.stringify(v)}.`);
        flat[i * width + j] = v;
      }
    }
    const input = new ort.Tensor('float32', flat, [rows.length, width]);
    this.inflight++;
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run({ [this.session.inputNames[0]]: input });
    } finally {
      this.inflight--;
    }
    const result: Record<string, unknown> = {};
    for (const name of this.session.outputNames) {
      const t = out[name] as ort.Tensor;
      const data = Array.from(t.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x));
      const cols = t.dims.length > 1 ? Number(t.dims[1]) : 1;
      result[name] = t.dims.length > 1 ? Array.from({ length: Number(t.dims[0]) }, (_, i) => data.slice(i * cols, (i + 1) * cols)) : data;
    }
    // Azure ML's payload gets the first output as a plain list, as its MLflow runtime answers.
    const first = result[this.session.outputNames[0]];
    return { status: 200, body: JSON.stringify(found.azure ? first : { predictions: first, outputs: result }) };
  }

  pids(): number[] {
    return [];
  }

  swagger(): unknown {
    return undefined;
  }

  /** Lets runs in flight finish before the session is released (rolling updates). */
  async drain(): Promise<void> {
    while (this.inflight > 0) await new Promise((r) => setTimeout(r, 10));
    await this.stop();
  }

  async stop(): Promise<void> {
    await this.session.release().catch(() => undefined);
  }
}

/**
 * One instance of an ONNX deployment: a worker thread that holds its own onnxruntime session and
 * scores the requests its pool (onnx-pool.ts) posts, one at a time. onnxruntime-node runs a model
 * synchronously on the calling thread, so scoring here, not on the server's event loop, is what
 * lets other requests be served (or refused) while a model runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { ScoreResult } from './scorer.ts';

export interface ThreadRequest { id: number; body: string }
export type ThreadReply = { ready: true } | { ready: false; error: string } | ({ id: number } & ScoreResult);

const bad = (message: string): ScoreResult => ({ status: 400, body: JSON.stringify({ error: message }) });

function rowsOf(payload: any): { rows: unknown; azure: boolean } | undefined {
  if (payload && typeof payload === 'object') {
    if (payload.input_data !== undefined) return { rows: Array.isArray(payload.input_data) ? payload.input_data : payload.input_data?.data, azure: true };
    if (payload.inputs !== undefined) return { rows: payload.inputs, azure: false };
    if (payload.data !== undefined) return { rows: payload.data, azure: false };
  }
  return undefined;
}

/** Rows of numbers as the model's float32 [rows, features] input, or the 400 that says what is wrong. */
function toTensor(body: string, features: number | undefined): { input: ort.Tensor; azure: boolean } | ScoreResult {
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
  if (features !== undefined && width !== features) return bad(`Each row needs ${features} values; got ${width}.`);
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
  return { input: new ort.Tensor('float32', flat, [rows.length, width]), azure: found.azure };
}

async function score(session: ort.InferenceSession, features: number | undefined, body: string): Promise<ScoreResult> {
  const parsed = toTensor(body, features);
  if ('status' in parsed) return parsed;
  const out = await session.run({ [session.inputNames[0]]: parsed.input });
  const result: Record<string, unknown> = {};
  for (const name of session.outputNames) {
    const t = out[name] as ort.Tensor;
    const data = Array.from(t.data as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x));
    const cols = t.dims.length > 1 ? Number(t.dims[1]) : 1;
    result[name] = t.dims.length > 1 ? Array.from({ length: Number(t.dims[0]) }, (_, i) => data.slice(i * cols, (i + 1) * cols)) : data;
  }
  // Azure ML's payload gets the first output as a plain list, as its MLflow runtime answers.
  const first = result[session.outputNames[0]];
  return { status: 200, body: JSON.stringify(parsed.azure ? first : { predictions: first, outputs: result }) };
}

async function serve(file: string): Promise<void> {
  const port = parentPort!;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  } catch (err) {
    port.postMessage({ ready: false, error: `onnxruntime could not load ${file}: ${(err as Error).message}` } satisfies ThreadReply);
    return;
  }
  const meta = (session as unknown as { inputMetadata?: { shape?: (number | string)[] }[] }).inputMetadata?.[0];
  const dim = meta?.shape?.[1];
  const features = typeof dim === 'number' ? dim : undefined;
  port.on('message', async ({ id, body }: ThreadRequest) => {
    let reply: ScoreResult;
    try {
      reply = await score(session, features, body);
    } catch (err) {
      reply = { status: 500, body: JSON.stringify({ error: `The ONNX model failed on this input: ${(err as Error).message}` }) };
    }
    port.postMessage({ id, ...reply } satisfies ThreadReply);
  });
  port.postMessage({ ready: true } satisfies ThreadReply);
}

if (parentPort) void serve((workerData as { file: string }).file);

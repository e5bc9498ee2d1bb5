/**
 * The ONNX runtime: an ONNX model scored with onnxruntime-node — no Python at all. Each of the
 * deployment's instances is a worker thread with its own session (onnx-thread.ts), so a model run
 * never holds the server's event loop, and request_settings apply as to Python workers: each
 * instance takes up to max_concurrent_requests_per_instance requests at once (they wait in its
 * queue), any more get a 429; a request past request_timeout_ms gets a 504, its slot held until
 * the run really ends (a model run cannot be interrupted).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TOO_MANY, timedOut } from './admission.ts';
import type { ThreadReply } from './onnx-thread.ts';
import type { Scorer, ScoreResult } from './scorer.ts';

/** The .onnx file of a model folder, if it is an ONNX model. */
export function findOnnxFile(folder: string): string | undefined {
  if (!fs.existsSync(folder)) return undefined;
  if (fs.statSync(folder).isFile()) return folder.endsWith('.onnx') ? folder : undefined;
  const files = fs.readdirSync(folder).filter((f) => f.endsWith('.onnx'));
  return files.length === 1 ? path.join(folder, files[0]) : undefined;
}

/**
 * How to start the thread: dist/onnx-thread.js in the bundle; from the sources, onnx-thread.ts
 * through tsx, registered inside the thread (Node 20 does not apply the parent's loader hooks
 * to a worker's entry module).
 */
function threadModule(): { code: string; eval: boolean } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const source = path.join(here, 'onnx-thread.ts');
  if (fs.existsSync(source)) {
    const tsx = import.meta.resolve('tsx/esm/api');
    return { code: `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(source).href)}); })`, eval: true };
  }
  for (const file of [path.join(here, 'onnx-thread.js'), path.join(here, '..', 'onnx-thread.js')]) {
    if (fs.existsSync(file)) return { code: file, eval: false };
  }
  throw new Error(`The ONNX runtime's thread module is missing beside ${here}: rebuild with npm run build.`);
}

const failed = (message: string): ScoreResult => ({ status: 502, body: JSON.stringify({ error: message }) });

/** One instance: a thread, and the requests it holds. */
class Instance {
  readonly pending = new Map<number, (r: ScoreResult) => void>();
  readonly ready: Promise<void>;
  /** The thread has stopped (a crash, or stop()): it takes no more requests. */
  exited = false;
  private worker: Worker;
  private nextId = 0;

  constructor(file: string) {
    const thread = threadModule();
    this.worker = new Worker(thread.code, { eval: thread.eval, workerData: { file } });
    // Like the server's own sockets, a deployment's threads never keep the process alive on their own.
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: ThreadReply) => {
        if ('ready' in m) return m.ready ? resolve() : reject(new Error(m.error));
        this.pending.get(m.id)?.({ status: m.status, body: m.body });
        this.pending.delete(m.id);
      });
      this.worker.on('error', (err) => reject(err));
      this.worker.on('exit', (code) => {
        this.exited = true;
        reject(new Error(`The ONNX runtime's thread exited (code ${code}) before it was ready.`));
        for (const settle of this.pending.values()) settle(failed(`The ONNX runtime's thread stopped (code ${code}) while it held this request.`));
        this.pending.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  score(body: string): Promise<ScoreResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, body });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

export class OnnxScorer implements Scorer {
  readonly runtime = 'onnx' as const;

  private stopped = false;

  private constructor(private file: string, private instances: Instance[], private perInstance: number, private timeoutMs: number) {}

  /** Starts `instances` threads, each loading the model; fails with onnxruntime's reason. */
  static async load(file: string, settings: { instances: number; perInstance: number; timeoutMs: number }): Promise<OnnxScorer> {
    const instances = Array.from({ length: settings.instances }, () => new Instance(file));
    try {
      await Promise.all(instances.map((i) => i.ready));
    } catch (err) {
      await Promise.all(instances.map((i) => i.stop()));
      throw err;
    }
    return new OnnxScorer(file, instances, settings.perInstance, settings.timeoutMs);
  }

  async score(body: string): Promise<ScoreResult> {
    // A thread that died (its requests got a 502) is replaced; requests wait in its queue until it has loaded.
    if (!this.stopped) this.instances = this.instances.map((i) => (i.exited ? new Instance(this.file) : i));
    // The least busy instance with room; none has room → 429 at once (Azure keeps no queue past it).
    const instance = this.instances.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    if (instance.pending.size >= this.perInstance) return TOO_MANY;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ScoreResult>((resolve) => {
      timer = setTimeout(() => resolve(timedOut(this.timeoutMs)), this.timeoutMs);
    });
    try {
      const result = await Promise.race([instance.score(body), late]);
      // Work that ends after the deadline is late even if its timer has not fired yet.
      return performance.now() - started > this.timeoutMs ? timedOut(this.timeoutMs) : result;
    } finally {
      clearTimeout(timer);
    }
  }

  pids(): number[] {
    return [];
  }

  swagger(): unknown {
    return undefined;
  }

  /** Lets requests in flight finish before the threads stop (rolling updates). */
  async drain(): Promise<void> {
    while (this.instances.some((i) => i.pending.size > 0)) await new Promise((r) => setTimeout(r, 10));
    await this.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.instances.map((i) => i.stop()));
  }
}

/**
 * request_settings for a runtime without a worker pool of its own (the in-process ONNX runtime):
 * at most `limit` requests in flight (instance_count × max_concurrent_requests_per_instance), a
 * 429 past it, and a 504 for a request past request_timeout_ms. The worker pool applies the same
 * rules to score.py and MLflow workers itself (worker-pool.ts).
 */
import type { Scorer, ScoreResult } from './scorer.ts';

export const TOO_MANY: ScoreResult = {
  status: 429,
  body: JSON.stringify({ error: 'Too many requests: every worker is busy and the queue is full. Retry later or raise max_concurrent_requests_per_instance / instance_count.' }),
};

export const timedOut = (ms: number): ScoreResult => ({ status: 504, body: JSON.stringify({ error: `The scoring request took longer than request_timeout_ms (${ms} ms).` }) });

export class AdmissionControl implements Scorer {
  private inflight = 0;

  constructor(readonly inner: Scorer, private limit: number, private timeoutMs: number) {}

  get runtime() {
    return this.inner.runtime;
  }

  async score(body: string): Promise<ScoreResult> {
    if (this.inflight >= this.limit) return TOO_MANY;
    this.inflight++;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ScoreResult>((resolve) => {
      timer = setTimeout(() => resolve(timedOut(this.timeoutMs)), this.timeoutMs);
    });
    try {
      // The slot is held until the work really ends, even when the caller already got its 504.
      const work = this.inner.score(body).finally(() => this.inflight--);
      const result = await Promise.race([work, late]);
      // Work that ends after the deadline is late even if its timer has not fired yet.
      return performance.now() - started > this.timeoutMs ? timedOut(this.timeoutMs) : result;
    } finally {
      clearTimeout(timer);
    }
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  pids(): number[] {
    return this.inner.pids();
  }

  swagger(): unknown {
    return this.inner.swagger();
  }
}

/**
 * The answers request_settings give, the same from every runtime: 429 when every instance's
 * slots are taken, 504 for a request past request_timeout_ms (worker-pool.ts, onnx-scorer.ts).
 */
import type { ScoreResult } from './scorer.ts';

export const TOO_MANY: ScoreResult = {
  status: 429,
  body: JSON.stringify({ error: 'Too many requests: every worker is busy and the queue is full. Retry later or raise max_concurrent_requests_per_instance / instance_count.' }),
};

export const timedOut = (ms: number): ScoreResult => ({ status: 504, body: JSON.stringify({ error: `The scoring request took longer than request_timeout_ms (${ms} ms).` }) });

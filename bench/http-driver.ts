/** A small closed-loop HTTP load driver: N workers, keep-alive sockets, latency per request. */
import http from 'node:http';

export interface Sample {
  ok: number;
  errors: number;
  latenciesMs: number[];
  seconds: number;
  firstError?: string;
}

export class HttpTarget {
  private agent: http.Agent;
  private host: string;
  private port: number;

  constructor(readonly baseUrl: string, concurrency: number) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  request(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host, port: this.port, method, path, agent: this.agent,
          headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...extraHeaders },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: any;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json, text });
          });
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status !== 200) throw new Error(`${method} ${path} -> ${res.status} ${res.text.slice(0, 300)}`);
    return res.json;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `op(worker, iteration)` from `concurrency` workers for `seconds`, timing each call. */
export async function drive(concurrency: number, seconds: number, op: (worker: number, i: number) => Promise<void>): Promise<Sample> {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        try {
          await op(worker, i);
          ok++;
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { ok, errors, latenciesMs: latencies, seconds: (performance.now() - start) / 1000, firstError };
}

/** Runs `count` operations from `concurrency` workers as fast as possible (for seeding). */
export async function runAll(concurrency: number, count: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
}

export function summarize(s: Sample) {
  const sorted = [...s.latenciesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(sorted.length, 1);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : NaN);
  return { meanMs: mean, p50Ms: at(0.5), p99Ms: at(0.99), throughput: s.ok / s.seconds, ok: s.ok, errors: s.errors };
}

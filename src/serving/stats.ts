/** Request count, errors and latency percentiles over a recent window, per deployment. */
const WINDOW_MS = 5 * 60_000;

export class LatencyStats {
  private samples: { at: number; ms: number; error: boolean }[] = [];
  total = 0;
  errors = 0;

  record(ms: number, error: boolean): void {
    const now = Date.now();
    this.total++;
    if (error) this.errors++;
    this.samples.push({ at: now, ms, error });
    if (this.samples.length > 50_000 || this.samples[0].at < now - WINDOW_MS) this.samples = this.samples.filter((s) => s.at >= now - WINDOW_MS).slice(-50_000);
  }

  summary() {
    const ms = this.samples.map((s) => s.ms).sort((a, b) => a - b);
    const pct = (p: number) => (ms.length ? Number(ms[Math.min(ms.length - 1, Math.floor(ms.length * p))].toFixed(2)) : undefined);
    return {
      requests_total: this.total,
      errors_total: this.errors,
      window_seconds: WINDOW_MS / 1000,
      window_requests: ms.length,
      window_errors: this.samples.filter((s) => s.error).length,
      latency_ms: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) },
    };
  }
}

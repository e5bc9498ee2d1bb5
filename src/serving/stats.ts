/** Request count, errors and latency percentiles over a recent window, per deployment. */
const WINDOW_MS = 5 * 60_000;
const PRUNE_SLACK_MS = 10_000;
const MAX_SAMPLES = 50_000;

export class LatencyStats {
  private samples: { at: number; ms: number; error: boolean }[] = [];
  total = 0;
  errors = 0;

  record(ms: number, error: boolean): void {
    const now = Date.now();
    this.total++;
    if (error) this.errors++;
    this.samples.push({ at: now, ms, error });
    // Prune in batches so recording stays O(1) amortised under heavy load.
    if (this.samples.length > MAX_SAMPLES * 1.25 || this.samples[0].at < now - WINDOW_MS - PRUNE_SLACK_MS) {
      this.samples = this.samples.filter((s) => s.at >= now - WINDOW_MS).slice(-MAX_SAMPLES);
    }
  }

  summary() {
    const since = Date.now() - WINDOW_MS;
    const recent = this.samples.filter((s) => s.at >= since);
    const ms = recent.map((s) => s.ms).sort((a, b) => a - b);
    const pct = (p: number) => (ms.length ? Number(ms[Math.min(ms.length - 1, Math.floor(ms.length * p))].toFixed(2)) : undefined);
    return {
      requests_total: this.total,
      errors_total: this.errors,
      window_seconds: WINDOW_MS / 1000,
      window_requests: ms.length,
      window_errors: recent.filter((s) => s.error).length,
      latency_ms: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) },
    };
  }
}

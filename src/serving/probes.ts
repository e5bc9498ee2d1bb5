/** The runtime side of liveness and readiness probes; their settings are read in specs/probe-settings.ts. */
import type { ProbeSettings } from '../specs/probe-settings.ts';

export function initDeadlineSeconds(p: ProbeSettings): number {
  return p.initial_delay + p.failure_threshold * p.period;
}

/** One worker's probe bookkeeping: when each probe is next due and its run of results. */
export class ProbeState {
  private nextLiveness: number;
  private nextReadiness: number;
  private livenessFailures = 0;
  private readinessFailures = 0;
  private readinessSuccesses = 0;
  ready = true;

  constructor(private liveness: ProbeSettings, private readiness: ProbeSettings, now: number) {
    // Both probes' initial_delay counts from the end of init(): the worker announces that itself.
    this.nextLiveness = now + liveness.initial_delay * 1000;
    this.nextReadiness = now + readiness.initial_delay * 1000;
  }

  /** Whether a probe is due; the ping's answer is then given to `record`. */
  due(now: number): boolean {
    return now >= this.nextLiveness || now >= this.nextReadiness;
  }

  /** The longest a ping may take: the stricter of the due probes' timeouts. */
  timeoutMs(now: number): number {
    const t = [now >= this.nextLiveness ? this.liveness.timeout : Infinity, now >= this.nextReadiness ? this.readiness.timeout : Infinity];
    return Math.min(...t) * 1000;
  }

  /** Applies a ping's outcome to the probes that were due; says whether the worker must be replaced. */
  record(ok: boolean, now: number): { replace: boolean; readinessChanged: boolean } {
    let replace = false;
    const wasReady = this.ready;
    if (now >= this.nextLiveness) {
      this.livenessFailures = ok ? 0 : this.livenessFailures + 1;
      replace = this.livenessFailures >= this.liveness.failure_threshold;
      this.nextLiveness = now + this.liveness.period * 1000;
    }
    if (now >= this.nextReadiness) {
      if (ok) {
        this.readinessFailures = 0;
        this.readinessSuccesses++;
        if (!this.ready && this.readinessSuccesses >= this.readiness.success_threshold) this.ready = true;
      } else {
        this.readinessSuccesses = 0;
        this.readinessFailures++;
        if (this.readinessFailures >= this.readiness.failure_threshold) this.ready = false;
      }
      this.nextReadiness = now + this.readiness.period * 1000;
    }
    return { replace, readinessChanged: wasReady !== this.ready };
  }
}

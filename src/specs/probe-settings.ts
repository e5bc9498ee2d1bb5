/**
 * Liveness and readiness probes, with Azure ML's YAML fields and defaults (seconds). A probe is a
 * ping frame the worker answers between requests: a worker that misses `failure_threshold`
 * liveness probes in a row is replaced; one that misses readiness probes is taken out of rotation
 * until it answers `success_threshold` in a row. A worker whose init() outlasts
 * `initial_delay + failure_threshold × period` fails liveness the same way, and the deployment
 * says so instead of reporting a bare 502.
 */

export interface ProbeSettings {
  initial_delay: number;
  period: number;
  timeout: number;
  success_threshold: number;
  failure_threshold: number;
}

export const DEFAULT_PROBE: ProbeSettings = { initial_delay: 10, period: 10, timeout: 2, success_threshold: 1, failure_threshold: 30 };

const FIELDS = Object.keys(DEFAULT_PROBE) as (keyof ProbeSettings)[];

export type ProbeKey = 'liveness_probe' | 'readiness_probe';

/**
 * A probe's settings from YAML or a REST body, with Azure's defaults for the fields not given;
 * `fail` turns a bad field into the caller's kind of error (file:line, or a 400).
 */
export function readProbe(key: ProbeKey, value: unknown, fail: (where: string[], message: string) => Error): ProbeSettings {
  if (value === undefined || value === null) return { ...DEFAULT_PROBE };
  if (typeof value !== 'object' || Array.isArray(value)) throw fail([key], `expected a mapping of ${FIELDS.join(', ')}.`);
  const probe = { ...DEFAULT_PROBE };
  for (const [field, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!FIELDS.includes(field as keyof ProbeSettings)) throw fail([key, field], `unknown probe setting '${field}'; use ${FIELDS.join(', ')}.`);
    const n = Number(raw);
    const least = field === 'initial_delay' ? 0 : field === 'period' || field === 'timeout' ? 0.1 : 1;
    if (!Number.isFinite(n) || n < least || (field.endsWith('threshold') && !Number.isInteger(n))) {
      throw fail([key, field], `expected ${field.endsWith('threshold') ? 'a whole number' : 'a number of seconds'} of at least ${least}, got ${JSON.stringify(raw)}.`);
    }
    probe[field as keyof ProbeSettings] = n;
  }
  return probe;
}

/** Seconds a worker may spend in init() before liveness gives up on it. */

/** MLflow's server-side limits and name rules (mlflow/utils/validation.py). */
import path from 'node:path';
import { invalid } from '../util/errors.ts';

export const LIMITS = {
  paramsTagsPerBatch: 100,
  metricsPerBatch: 1000,
  entitiesPerBatch: 1000,
  paramValue: 6000,
  tagValue: 8000,
  entityKey: 250,
  experimentName: 500,
  experimentTagKey: 250,
  experimentTagValue: 20000,
  registryTagKey: 250,
  registryTagValue: 100_000,
  searchMaxResults: 50_000,
  searchRunsDefault: 1000,
  aliasLength: 255,
} as const;

const NAME_CHARS = /^[/\w.\- :]*$/;

/** Metric, param and tag keys become file names in some stores, so they must not resolve elsewhere. */
const validKeys = new Set<string>();

export function validateKey(kind: string, key: unknown, field = 'key'): string {
  // Keys repeat constantly (every step logs the same metric names): remember good ones.
  if (typeof key === 'string' && validKeys.has(key)) return key;
  checkKey(kind, key, field);
  if (validKeys.size > 50_000) validKeys.clear();
  validKeys.add(key as string);
  return key as string;
}

function checkKey(kind: string, key: unknown, field: string): void {
  if (typeof key !== 'string' || key === '') {
    throw invalid(`Invalid value "" for parameter '${field}' supplied: ${kind} name cannot be empty.`);
  }
  if (!NAME_CHARS.test(key)) {
    throw invalid(
      `Invalid value ${JSON.stringify(key)} for parameter '${field}' supplied: Names may only contain alphanumerics, ` +
        'underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
    );
  }
  const norm = path.posix.normalize(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalid(
      `Invalid value ${JSON.stringify(key)} for parameter '${field}' supplied: Names may be treated as files in ` +
        `certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
  }
  if (key.length > LIMITS.entityKey) throw invalid(`'${field}' exceeds the maximum length of ${LIMITS.entityKey} characters`);
}

export function validateLength(field: string, value: string | undefined | null, limit: number): void {
  if (value != null && value.length > limit) throw invalid(`'${field}' exceeds the maximum length of ${limit} characters`);
}

export function validateMaxResults(value: number | undefined, fallback: number, limit: number = LIMITS.searchMaxResults): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > limit) {
    throw invalid(`Invalid value ${value} for parameter 'max_results' supplied. It must be a positive integer at most ${limit}.`);
  }
  return value;
}

export function validateRunId(runId: string): void {
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) throw invalid(`Invalid run ID: '${runId}'`);
}

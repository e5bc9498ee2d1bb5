/** Checking a request body against its schema: the value typed, or a 400 that names each bad field. */
import type { z } from 'zod';
import { invalid } from '../util/errors.ts';

const MAX_ISSUES = 5;

function where(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(the body)';
}

/** One issue in words; `prefix` is where a union's alternatives were tried (their paths are relative). */
function describe(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): string {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `'${where([...path, k])}': unknown field (this API does not take it; check the spelling)`).join('; ');
  }
  if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length) {
    // Say why the closest alternative failed, not just "no alternative matched".
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
    if (best.length) return describe(best[0], path);
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `'${where(path)}': required (${issue.expected})`;
  return `'${where(path)}': ${issue.message}`;
}

export function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => describe(issue));
  const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '';
  throw invalid(`Invalid ${what}: ${lines.join('; ')}${more}.`);
}

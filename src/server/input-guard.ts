/**
 * Input no store can keep: a NUL character in any string of a request's query, path or JSON
 * body. PostgreSQL refuses NUL in text (a 500 deep in a query) and SQLite would store a value
 * other clients cannot read back, so both stores get the same 400 before any service runs.
 * Bodies are at most MAX_JSON_DEPTH deep (json-body.ts), so the walk is bounded.
 */
import type { FastifyRequest } from 'fastify';
import { invalid } from '../util/errors.ts';

/** Parsed JSON, query and path objects (the query parser gives them a bare prototype); never a stream or a buffer. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  return typeof (v as { pipe?: unknown }).pipe !== 'function';
}

function findNul(value: unknown, where: string): string | undefined {
  const stack: [unknown, string][] = [[value, where]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return at;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${at}[${i}]`]));
    } else if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\0')) return `${at} (a key)`;
        stack.push([x, at ? `${at}.${k}` : k]);
      }
    }
  }
  return undefined;
}

export function rejectHostileInput(req: FastifyRequest): void {
  const where = findNul(req.params, 'path') ?? findNul(req.query, 'query') ?? findNul(isPlainObject(req.body) || Array.isArray(req.body) ? req.body : undefined, 'body');
  if (where) throw invalid(`Invalid value in ${where}: it contains a NUL character (\\u0000), which no field accepts.`);
}

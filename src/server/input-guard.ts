/**
 * Input no service should see, refused with a 400 before any service runs:
 * - a NUL character in any string of a request's query, path or JSON body: PostgreSQL refuses
 *   NUL in text (a 500 deep in a query) and SQLite would store a value clients cannot read back;
 * - a JSON body nested more than MAX_JSON_DEPTH levels, which no API needs and which recursive
 *   code further on could not survive.
 * One iterative pass over the parsed values; a field's path is worked out only for the error.
 */
import type { FastifyRequest } from 'fastify';
import { invalid, StratusError } from '../util/errors.ts';

/** Deep enough for any pipeline or deployment spec; far below what would exhaust a stack. */
export const MAX_JSON_DEPTH = 64;

/** Parsed JSON, query and path objects (the query parser gives them a bare prototype); never a stream or a buffer. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  return typeof (v as { pipe?: unknown }).pipe !== 'function';
}

type Finding = { nul: unknown } | { depth: number } | undefined;

/** The first string holding a NUL (the value itself), or the depth that is too deep. */
function scan(root: unknown): Finding {
  const values: unknown[] = [root];
  const depths: number[] = [0];
  while (values.length) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return { nul: v };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return { depth: depth + 1 };
    if (Array.isArray(v)) {
      for (const x of v) {
        values.push(x);
        depths.push(depth + 1);
      }
    } else if (isPlainObject(v)) {
      for (const k in v) {
        if (k.includes('\0')) return { nul: k };
        values.push(v[k]);
        depths.push(depth + 1);
      }
    }
  }
  return undefined;
}

/** Where `target` (a string value or key) sits under `root`, for the error message. */
function pathTo(root: unknown, target: unknown, at: string): string {
  const stack: [unknown, string][] = [[root, at]];
  while (stack.length) {
    const [v, where] = stack.pop()!;
    if (v === target) return where;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${where}[${i}]`]));
    else if (isPlainObject(v)) {
      for (const k in v) {
        if (k === target) return `${where} (a key)`;
        stack.push([v[k], where ? `${where}.${k}` : k]);
      }
    }
  }
  return at;
}

export function rejectHostileInput(req: FastifyRequest): void {
  const body = isPlainObject(req.body) || Array.isArray(req.body) ? req.body : undefined;
  for (const [root, at] of [[req.params, 'path'], [req.query, 'query'], [body, 'body']] as const) {
    const found = scan(root);
    if (!found) continue;
    if ('depth' in found) throw new StratusError('BAD_REQUEST', `Malformed JSON request body: nested more than ${MAX_JSON_DEPTH} levels deep.`);
    throw invalid(`Invalid value in ${pathTo(root, found.nul, at)}: it contains a NUL character (\\u0000), which no field accepts.`);
  }
}

/**
 * Reading MLflow request fields the way MLflow's server does: GET query strings (including
 * repeated keys and the `key[]` form) and JSON bodies are merged into one object; each field
 * is checked for presence and type with MLflow's error messages.
 */
import type { FastifyRequest } from 'fastify';
import { invalid } from '../../util/errors.ts';

export type Args = Record<string, unknown>;

export function requestArgs(req: FastifyRequest): Args {
  const out: Args = {};
  const query = (req.query ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(query)) {
    const key = k.endsWith('[]') ? k.slice(0, -2) : k;
    if (key in out) out[key] = ([] as unknown[]).concat(out[key], v);
    else out[key] = v;
  }
  Object.assign(out, (req.params ?? {}) as Args);
  const body = req.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(out, body as Args);
  return out;
}

/** A required field as text (a number is read as its digits). */
export function requiredText(args: Record<string, unknown>, field: string): string {
  const v = args[field];
  if (v === undefined || v === null || v === '') throw invalid(`Missing value for required parameter '${field}'.`);
  return String(v);
}

const missing = (field: string) => invalid(`Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`);

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

export function str(args: Args, field: string, required: true): string;
export function str(args: Args, field: string, required?: false): string | undefined;
export function str(args: Args, field: string, required = false): string | undefined {
  const v = first(args[field]);
  if (v === undefined || v === null || v === '') {
    if (required) throw missing(field);
    return v === '' ? '' : undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') {
    throw invalid(`Invalid value ${shown(v)} for parameter '${field}' supplied: Hint: Value was of type '${typeof v}'. Expected a string.`);
  }
  return v;
}

/** Integers are kept exactly: JSON numbers are doubles, so beyond 2^53 they would not be. */
export const INTEGER_DIGITS = '16 digits (±9007199254740991)';

export function int(args: Args, field: string, required = false): number | undefined {
  const v = first(args[field]);
  if (v === undefined || v === null || v === '') {
    if (required) throw missing(field);
    return undefined;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(`Parameter '${field}' must be an integer of at most ${INTEGER_DIGITS}, got ${shown(v)}.`);
  return n;
}

/** A double, accepting proto-JSON's "NaN", "Infinity" and "-Infinity". */
export function double(args: Args, field: string, required = false): number | undefined {
  return toDouble(first(args[field]), field, required);
}

export function toDouble(v: unknown, field: string, required = false): number | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw missing(field);
    return undefined;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity' || v === 'inf') return Infinity;
    if (v === '-Infinity' || v === '-inf') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw invalid(`Invalid value ${shown(v)} for parameter '${field}' supplied: expected a number.`);
}

export function bool(args: Args, field: string): boolean | undefined {
  const v = first(args[field]);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True' || v === '1') return true;
  if (v === 'false' || v === 'False' || v === '0') return false;
  throw invalid(`Invalid value ${shown(v)} for parameter '${field}' supplied: expected true or false.`);
}

/** No request field lists more values than this (each may become a bound SQL parameter). */
export const MAX_LIST_LENGTH = 10_000;

/** A value for an error message: long values are cut, never echoed whole. */
export function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function list<T = unknown>(args: Args, field: string, required = false): T[] {
  const v = args[field];
  if (v === undefined || v === null) {
    if (required) throw missing(field);
    return [];
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_LIST_LENGTH) throw invalid(`Too many values for parameter '${field}': ${v.length}; at most ${MAX_LIST_LENGTH} are accepted.`);
    return v as T[];
  }
  if (typeof v === 'string') return [v as T];
  throw invalid(`Invalid value ${shown(v)} for parameter '${field}' supplied: expected an array.`);
}

export function stringList(args: Args, field: string, required = false): string[] {
  return list(args, field, required).map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number') throw invalid(`Invalid value ${shown(x)} in '${field}': expected strings.`);
    return String(x);
  });
}

export interface KeyValueIn { key: string; value: string }

export function keyValues(args: Args, field: string): KeyValueIn[] {
  return list<Record<string, unknown>>(args, field).map((kv, i) => {
    if (!kv || typeof kv !== 'object') throw invalid(`Invalid value in '${field}[${i}]': expected {"key": ..., "value": ...}.`);
    const key = kv.key;
    if (typeof key !== 'string' || key === '') throw missing(`${field}[${i}].key`);
    const value = kv.value === undefined || kv.value === null ? '' : String(kv.value);
    return { key, value };
  });
}

/** run_id, falling back to the deprecated run_uuid that old clients still send. */
export function runId(args: Args): string {
  const id = str(args, 'run_id') || str(args, 'run_uuid');
  if (!id) throw missing('run_id');
  return id;
}

export function viewType(args: Args, field: string) {
  const v = str(args, field);
  if (v === undefined) return undefined;
  const map: Record<string, 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'> = { ACTIVE_ONLY: 'ACTIVE_ONLY', DELETED_ONLY: 'DELETED_ONLY', ALL: 'ALL', '1': 'ACTIVE_ONLY', '2': 'DELETED_ONLY', '3': 'ALL' };
  if (!map[v]) throw invalid(`Invalid value '${v}' for parameter '${field}'. Use ACTIVE_ONLY, DELETED_ONLY or ALL.`);
  return map[v];
}

/** Drops undefined fields so the reply matches proto-JSON, which omits unset fields. */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

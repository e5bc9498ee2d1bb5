/** Whether the metadata store answers a trivial query within a short deadline. */
import { StratusError } from '../util/errors.ts';
import type { Db } from './db.ts';

const DEADLINE_MS = 2000;

/** undefined when healthy, otherwise a short reason. */
export async function storeProblem(db: Db): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${DEADLINE_MS} ms`), DEADLINE_MS);
  });
  try {
    return await Promise.race([db.get('SELECT 1 AS ok').then(() => undefined), late]);
  } catch (err) {
    return (err as Error).message.slice(0, 200);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Database errors that are the request's fault or the store's load, not a bug: PostgreSQL's
 * data exceptions (class 22: a value the column cannot hold) are bad input; a cancelled or
 * timed-out statement and a full pool mean "try again". Anything else stays an internal error.
 */
export function fromStoreError(err: unknown): StratusError | undefined {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message.slice(0, 200) : '';
  if (typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) {
    return new StratusError('INVALID_PARAMETER_VALUE', `Invalid value: the store cannot hold it (${message}).`);
  }
  if (e?.code === '57014') {
    return new StratusError('TEMPORARILY_UNAVAILABLE', 'The query was stopped: it ran longer than the store allows (or its client went away). Narrow the filter or ask for fewer results.');
  }
  if (/timeout exceeded when trying to connect/i.test(message)) {
    return new StratusError('TEMPORARILY_UNAVAILABLE', 'The metadata store is busy: no connection became free in time. Try again.');
  }
  return undefined;
}

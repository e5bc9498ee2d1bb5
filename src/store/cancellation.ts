/**
 * Cancelling the reads of a request whose client went away. An interface runs a request's
 * work inside `withCancellation(signal, …)`; the store reads the signal of the work it is doing
 * and stops the database query when it fires, so a disconnected client does not keep holding a
 * connection. Services never see it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

export function withCancellation<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return current.run(signal, fn);
}

/** The signal of the request this code runs for, if any. */
export function currentCancellation(): AbortSignal | undefined {
  return current.getStore();
}

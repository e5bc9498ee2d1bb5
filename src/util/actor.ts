/**
 * Who the current request acts for (a user name), carried through its async work so services
 * can record `created_by` without knowing anything of HTTP.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<string>();

export function withActor<T>(name: string | undefined, fn: () => T): T {
  return name === undefined ? fn() : store.run(name, fn);
}

export const currentActor = (): string | undefined => store.getStore();

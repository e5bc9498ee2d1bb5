/**
 * The studio's one connection to the workspace: the same typed client the CLI uses, pointed at
 * the page's own origin, with the token the user gave (kept for this browser tab only).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, StratusClient } from '../../src/client/index.ts';

const TOKEN_KEY = 'stratus.token';

export function makeClient(): StratusClient {
  return new StratusClient({ baseUrl: window.location.origin, token: sessionStorage.getItem(TOKEN_KEY) ?? undefined });
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export let client = makeClient();
export function reconnect(): void {
  client = makeClient();
}

/** Listeners told when the server says the token is missing or wrong. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

export function isAuthError(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}

/**
 * Loads `fetcher()` and reloads it every `refreshMs` (when given); `deps` restart it.
 * Errors are kept for the page to show; a 401 sends the user to the token prompt.
 */
export function useData<T>(fetcher: () => Promise<T>, deps: unknown[], refreshMs?: number) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const fetchRef = useRef(fetcher);
  fetchRef.current = fetcher;
  const load = useCallback(async () => {
    try {
      setData(await fetchRef.current());
      setError(undefined);
    } catch (err) {
      if (isAuthError(err)) unauthorized.forEach((fn) => fn());
      setError((err as Error).message);
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    setLoading(true);
    setData(undefined);
    void load();
    if (!refreshMs) return;
    const t = setInterval(() => void load(), refreshMs);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { data, error, loading, reload: load };
}

export const fmtTime = (ms?: number | string) => (ms ? new Date(typeof ms === 'string' ? Date.parse(ms) : ms).toLocaleString() : '');
export function fmtDuration(start?: number | string, end?: number | string): string {
  if (!start) return '';
  const s = typeof start === 'string' ? Date.parse(start) : start;
  const e = end ? (typeof end === 'string' ? Date.parse(end) : end) : Date.now();
  const secs = Math.max(0, Math.round((e - s) / 1000));
  return secs < 60 ? `${secs}s` : secs < 3600 ? `${Math.floor(secs / 60)}m ${secs % 60}s` : `${Math.floor(secs / 3600)}h ${Math.floor((secs % 3600) / 60)}m`;
}

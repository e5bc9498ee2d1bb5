/**
 * How routes declare what credentials they take (access-gate.ts decides on them): public routes
 * check their own or have none to protect; some take `?token=` or a UI cookie besides headers.
 */
import type { FastifyRequest } from 'fastify';

/** Route config that exempts a route from workspace auth (it checks its own credentials, or has none to protect). */
export const PUBLIC_ROUTE = { public: true } as const;

/**
 * Route config for routes a browser reaches without being able to set headers (a page's
 * WebSocket or first load of JupyterLab): `?token=` is accepted there as well.
 */
export const QUERY_TOKEN_ROUTE = { queryToken: true } as const;

/**
 * Route config for a web UI Stratus serves from another program (the Spark master's): its pages
 * link to each other without credentials, so the first load's `?token=` becomes a cookie kept to
 * that UI's path (HttpOnly, SameSite=Strict), which later loads present.
 */
export const UI_TOKEN_ROUTE = { queryToken: true, cookieToken: true } as const;
export const UI_TOKEN_COOKIE = 'stratus_ui_token';

function queryToken(req: FastifyRequest): string | undefined {
  if ((req.routeOptions.config as { queryToken?: boolean } | undefined)?.queryToken !== true) return undefined;
  const t = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof t === 'string' ? t : undefined;
}

function cookieToken(req: FastifyRequest): string | undefined {
  if ((req.routeOptions.config as { cookieToken?: boolean } | undefined)?.cookieToken !== true) return undefined;
  return cookie(req, UI_TOKEN_COOKIE) || undefined;
}

export function isPublic(req: FastifyRequest): boolean {
  if (req.is404) return true;
  return (req.routeOptions.config as { public?: boolean } | undefined)?.public === true;
}

/** The credentials a request presents: its Authorization header, else a `?token=` or UI cookie where the route takes them. */
export function presentedCredentials(req: FastifyRequest): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const fromQuery = queryToken(req) ?? cookieToken(req);
  return fromQuery !== undefined ? `Bearer ${fromQuery}` : undefined;
}

/** A named cookie of the request. */
export function cookie(req: { headers: { cookie?: string } }, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The workspace's authentication gate, decided on the route the router matched — never on the
 * raw URL, which the router decodes (`/%61pi/…`) and strips (absolute-form targets) before it
 * matches. Every matched route needs credentials unless it was registered as public; a request
 * that matched no route only ever reaches the not-found handler, which serves the studio's
 * static files (they hold no data) or a 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAuthorized, type AuthConfig } from './auth.ts';

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
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === UI_TOKEN_COOKIE && v) return decodeURIComponent(v);
  }
  return undefined;
}

function isPublic(req: FastifyRequest): boolean {
  if (req.is404) return true;
  return (req.routeOptions.config as { public?: boolean } | undefined)?.public === true;
}

export function installAuthGate(
  app: FastifyInstance,
  auth: AuthConfig,
  deny: (reply: FastifyReply) => FastifyReply,
): void {
  app.addHook('onRequest', async (req, reply) => {
    if (isPublic(req)) return;
    const fromQuery = req.headers.authorization ? undefined : queryToken(req) ?? cookieToken(req);
    if (!isAuthorized(auth, req.headers.authorization ?? (fromQuery !== undefined ? `Bearer ${fromQuery}` : undefined))) {
      reply.header('WWW-Authenticate', 'Basic realm="stratus", Bearer');
      return deny(reply);
    }
  });
}

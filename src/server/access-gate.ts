/**
 * The workspace's access gate, decided on the route the router matched — never on the raw URL,
 * which the router decodes (`/%61pi/…`) and strips (absolute-form targets) before it matches.
 *
 *  1. authentication (onRequest, before a body is read): who is asking (access/authenticator.ts);
 *     without authentication configured everyone is the local Owner;
 *  2. authorization: the action the route needs (route-actions.ts) against the principal's roles;
 *     a route with no mapping is open to Owners only; a studio session's writes need its CSRF token;
 *  3. MLflow's per-experiment / per-registered-model permissions (preHandler, once the body names
 *     the resource: mlflow-permission-check.ts);
 *  4. the audit log (onResponse): every write and every denial.
 *
 * Handlers run with the principal's name as the current actor (created_by). Public routes check
 * their own credentials; a request that matched no route only reaches the not-found handler,
 * which serves the studio's static files (they hold no data) or a 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { OPEN_PRINCIPAL, type Authenticator, type Principal } from '../access/authenticator.ts';
import { actionName, rolesAllow, rolesAllowing, type Action } from '../access/roles.ts';
import type { AuditLog } from '../access/audit.ts';
import { StratusError } from '../util/errors.ts';
import { withActor } from '../util/actor.ts';
import { cookie, isPublic, presentedCredentials } from './auth-gate.ts';
import { actionFor } from './route-actions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    action?: Action;
  }
}

export const SESSION_COOKIE = 'stratus_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface GateOptions {
  authn: Authenticator;
  audit: AuditLog;
  /** false: no authentication configured — everyone is the local Owner. */
  enabled: boolean;
  /** Per-resource checks that need the parsed body (MLflow's permissions). */
  resourceCheck: (req: FastifyRequest, principal: Principal, action: Action) => Promise<void>;
}

/** Who is asking, from any credentials the request carries (undefined: none, or not valid). */
export async function principalOf(req: FastifyRequest, o: Pick<GateOptions, 'authn' | 'enabled'>): Promise<Principal | undefined> {
  if (!o.enabled) return OPEN_PRINCIPAL;
  const header = presentedCredentials(req);
  if (header) return o.authn.fromHeader(header, req.ip);
  const session = cookie(req, SESSION_COOKIE);
  return session ? o.authn.fromSession(session) : undefined;
}

function deny(req: FastifyRequest, reply: FastifyReply, o: GateOptions, status: 401 | 403, message: string, principal?: Principal) {
  record(req, o.audit, status, principal, message);
  if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="stratus", Bearer');
  return reply.status(status).type('application/json').send({ error_code: status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message });
}

function record(req: FastifyRequest, audit: AuditLog, status: number, principal?: Principal, detail?: string): void {
  const route = req.routeOptions.url ?? req.url.split('?')[0];
  const action = req.action ? actionName(req.action) : route === '/api/v1/auth/login' ? 'self/sign-in' : 'unmapped';
  const params = Object.entries((req.params ?? {}) as Record<string, string>).filter(([k]) => k !== '*').map(([k, v]) => `${k}=${v}`).join(' ');
  audit.record({
    at: Date.now(), username: principal?.name, action, method: req.method, route, target: params || undefined, status,
    outcome: status === 401 || status === 403 ? 'denied' : status >= 400 ? 'failed' : 'allowed', ip: req.ip, detail,
  });
}

export function installAccessGate(app: FastifyInstance, o: GateOptions): void {
  // Handlers run as their principal: services read the current actor for created_by.
  app.addHook('onRoute', (route: RouteOptions) => {
    const handler = route.handler;
    route.handler = function (this: unknown, req: FastifyRequest, reply: FastifyReply) {
      return withActor(req.principal?.name, () => (handler as (...a: unknown[]) => unknown).call(this, req, reply));
    } as RouteOptions['handler'];
  });

  app.addHook('onRequest', async (req, reply) => {
    if (isPublic(req)) return;
    const principal = await principalOf(req, o);
    if (!principal) {
      return deny(req, reply, o, 401, 'Authentication required: send Authorization: Bearer <token> (a personal access token: stratus token create; '
        + 'MLFLOW_TRACKING_TOKEN / STRATUS_TOKEN) or HTTP Basic credentials (MLFLOW_TRACKING_USERNAME/PASSWORD), or sign in to the studio.');
    }
    const action = actionFor(req.method, req.routeOptions.url ?? '');
    req.action = action;
    if (principal.via === 'session' && !SAFE.has(req.method) && req.headers[CSRF_HEADER] !== principal.session!.csrf) {
      return deny(req, reply, o, 403, `A studio session's ${req.method} needs its CSRF token in the ${CSRF_HEADER} header (sign in again if the page is old).`, principal);
    }
    const allowed = action ? rolesAllow(principal.roles, action) : principal.roles.includes('Owner');
    if (!allowed) {
      const need = action ? actionName(action) : `${req.method} ${req.routeOptions.url} (a route with no access mapping: Owners only)`;
      const roles = principal.roles.length ? principal.roles.join(', ') : 'no role';
      const who = action ? ` Roles that have it: ${rolesAllowing(action).join(', ')}.` : '';
      return deny(req, reply, o, 403, `Permission denied: '${principal.name}' (${roles}) lacks ${need}.${who} An Owner can assign one: stratus role assignment create --assignee ${principal.name} --role <role>.`, principal);
    }
    req.principal = principal;
  });

  app.addHook('preHandler', async (req, reply) => {
    if (!req.principal || !req.action) return;
    try {
      await o.resourceCheck(req, req.principal, req.action);
    } catch (err) {
      if (err instanceof StratusError && err.code === 'PERMISSION_DENIED') return deny(req, reply, o, 403, err.message, req.principal);
      throw err;
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    // Denials were recorded when they were made; here, the writes that got through.
    if (!req.principal || !req.action || reply.statusCode === 401 || reply.statusCode === 403) return;
    if (req.action.verb !== 'read' || req.action.area === 'access') record(req, o.audit, reply.statusCode, req.principal);
  });
}

/**
 * Signing in and out of the studio (a session cookie: HttpOnly, SameSite=Strict, with a CSRF token
 * for writes), single sign-on, and who am I. Users, groups, roles, tokens and the audit log in
 * Stratus's own shape are operations of the v1 table (v1/routes.ts); MLflow's auth API is
 * mlflow/auth-routes.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Workspace } from '../workspace.ts';
import type { Authenticator } from '../access/authenticator.ts';
import { SESSION_HOURS } from '../access/tokens.ts';
import type { OidcLogin } from '../access/oidc.ts';
import { invalid, notFound, StratusError } from '../util/errors.ts';
import { PUBLIC_ROUTE, cookie } from './auth-gate.ts';
import { SESSION_COOKIE } from './access-gate.ts';
import { requestArgs, requiredText as str } from './mlflow/request.ts';

/** The routes below, for docs/rest-api.md. */
export const ACCESS_ROUTES: [string, string, string][] = [
  ['POST', '/api/v1/auth/login', 'studio sign-in `{username, password}`: a session cookie (HttpOnly, SameSite=Strict) and `csrf_token`, which the session\'s writes send as `X-CSRF-Token`; a wrong password and an unknown user answer alike; rate-limited'],
  ['POST', '/api/v1/auth/logout', 'ends the session'],
  ['GET', '/api/v1/auth/config', 'public: whether authentication is on, and the single sign-on provider (`sso: {issuer, client_id, scopes}`) the studio and `stratus login --sso` use'],
  ['GET', '/api/v1/auth/oidc/login?next=', 'public: starts a studio sign-in at the OpenID Connect provider (authorization code, PKCE)'],
  ['GET', '/api/v1/auth/oidc/callback', 'public: the provider\'s redirect; opens a studio session and returns to `next`'],
  ['POST', '/api/v1/auth/oidc/token', 'public: `{id_token, lifetime_days}` from the provider (the CLI\'s device flow) → a personal access token `{token, id, username, expires_at}`'],
  ['GET', '/api/v1/auth/me', 'who the credentials are: `{username, roles, admin, via}` (and the session\'s `csrf_token`)'],
];

function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(id)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

export function accessRoutes(app: FastifyInstance, ws: Workspace, authn: Authenticator, authEnabled: boolean, sso?: OidcLogin): void {
  const { accounts, permissions, tokens, audit } = ws.access;
  const signedIn = (username: string, req: FastifyRequest, ok: boolean, detail?: string) =>
    audit.record({ at: Date.now(), username, action: 'self/sign-in', method: req.method, route: req.routeOptions.url ?? '', status: ok ? 200 : 401, outcome: ok ? 'allowed' : 'denied', ip: req.ip, detail });

  app.get('/api/v1/auth/config', { config: PUBLIC_ROUTE }, async () => ({
    auth_enabled: authEnabled,
    sso: sso ? { issuer: sso.settings.issuer, client_id: sso.settings.cliClientId ?? sso.settings.clientId, scopes: sso.settings.scopes } : null,
  }));

  const needSso = () => {
    if (!sso) throw notFound('Single sign-on is not configured on this server (STRATUS_OIDC_ISSUER).');
    return sso;
  };
  const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? req.hostname}`;
  app.get('/api/v1/auth/oidc/login', { config: PUBLIC_ROUTE }, async (req, reply) => {
    const next = String((req.query as Record<string, unknown>).next ?? '/');
    // Only a path on this server: never a way to send someone elsewhere.
    const safeNext = /^\/(?![/\\])/.test(next) ? next : '/';
    return reply.redirect(await needSso().start(`${origin(req)}/api/v1/auth/oidc/callback`, safeNext), 302);
  });
  app.get('/api/v1/auth/oidc/callback', { config: PUBLIC_ROUTE }, async (req, reply) => {
    let result;
    try {
      result = await needSso().finish(new URL(req.url, origin(req)));
    } catch (err) {
      signedIn('(single sign-on)', req, false, (err as Error).message);
      throw err;
    }
    signedIn(result.username, req, true);
    const session = await tokens.openSession(result.username);
    reply.header('Set-Cookie', sessionCookie(session.id, SESSION_HOURS * 3600));
    return reply.redirect(result.next, 302);
  });
  app.post('/api/v1/auth/oidc/token', { config: PUBLIC_ROUTE }, async (req) => {
    const a = requestArgs(req) as Record<string, unknown>;
    let username;
    try {
      username = await needSso().exchange(str(a, 'id_token'));
    } catch (err) {
      signedIn('(single sign-on)', req, false, (err as Error).message);
      throw err;
    }
    signedIn(username, req, true);
    const days = a.lifetime_days === undefined ? 30 : Number(a.lifetime_days);
    const t = await tokens.create(username, `stratus login --sso (${new Date().toISOString().slice(0, 10)})`, days);
    return { token: t.token, id: t.id, username, expires_at: t.expires_at };
  });

  app.post('/api/v1/auth/login', { config: PUBLIC_ROUTE }, async (req, reply) => {
    if (!authEnabled) throw invalid('This server runs without authentication: there is nothing to sign in to.');
    const args = requestArgs(req) as Record<string, unknown>;
    const username = str(args, 'username');
    const principal = await authn.signIn(username, str(args, 'password'), req.ip);
    signedIn(username, req, !!principal);
    // The same answer whether the user is unknown or the password wrong.
    if (!principal) throw new StratusError('UNAUTHENTICATED', 'Wrong user name or password.');
    const session = await tokens.openSession(username);
    reply.header('Set-Cookie', sessionCookie(session.id, SESSION_HOURS * 3600));
    return { username, roles: principal.roles, admin: principal.admin, csrf_token: session.csrf };
  });

  app.post('/api/v1/auth/logout', async (req, reply) => {
    const id = cookie(req, SESSION_COOKIE);
    if (id) await tokens.closeSession(id);
    reply.header('Set-Cookie', sessionCookie('', 0));
    return {};
  });

  app.get('/api/v1/auth/me', async (req) => {
    const p = req.principal!;
    return { username: p.name, roles: p.roles, admin: p.admin, via: p.via, auth_enabled: authEnabled, ...(p.session ? { csrf_token: p.session.csrf } : {}) };
  });

}


/** After an experiment or registered model is created, its creator (not an admin) gets MANAGE, as in MLflow. */
export function grantCreators(app: FastifyInstance, ws: Workspace): void {
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    const p = req.principal;
    if (!p || p.admin || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const url = (req.routeOptions.url ?? '').replace(/^\/ajax-api\//, '/api/');
    if (url === '/api/2.0/mlflow/experiments/create') {
      const id = (JSON.parse(payload) as { experiment_id?: string }).experiment_id;
      if (id) await ws.access.permissions.set('experiment', String(id), p.name, 'MANAGE');
    } else if (url === '/api/2.0/mlflow/registered-models/create') {
      const name = (JSON.parse(payload) as { registered_model?: { name?: string } }).registered_model?.name;
      if (name) await ws.access.permissions.set('registered_model', name, p.name, 'MANAGE');
    }
    return payload;
  });
}

/**
 * Signing in and out of the studio (a session cookie: HttpOnly, SameSite=Strict, with a CSRF token
 * for writes), who am I, and MLflow's auth REST API — users and per-experiment / per-registered-model
 * permissions, at MLflow's paths and in its shapes, so `mlflow.server.get_app_client("basic-auth")`
 * works unchanged. Users, groups, roles, tokens and the audit log in Stratus's own shape are
 * operations of the v1 table (v1/routes.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Workspace } from '../workspace.ts';
import type { Authenticator, Principal } from '../access/authenticator.ts';
import { checkPermission, checkResourceType, allows, type ResourceType } from '../access/mlflow-permissions.ts';
import { SESSION_HOURS } from '../access/tokens.ts';
import type { OidcLogin } from '../access/oidc.ts';
import { invalid, notFound, StratusError } from '../util/errors.ts';
import { PUBLIC_ROUTE, cookie } from './auth-gate.ts';
import { SESSION_COOKIE } from './access-gate.ts';
import { requestArgs } from './mlflow/request.ts';

/** The routes below, for docs/rest-api.md. */
export const ACCESS_ROUTES: [string, string, string][] = [
  ['POST', '/api/v1/auth/login', 'studio sign-in `{username, password}`: a session cookie (HttpOnly, SameSite=Strict) and `csrf_token`, which the session\'s writes send as `X-CSRF-Token`; a wrong password and an unknown user answer alike; rate-limited'],
  ['POST', '/api/v1/auth/logout', 'ends the session'],
  ['GET', '/api/v1/auth/config', 'public: whether authentication is on, and the single sign-on provider (`sso: {issuer, client_id, scopes}`) the studio and `stratus login --sso` use'],
  ['GET', '/api/v1/auth/oidc/login?next=', 'public: starts a studio sign-in at the OpenID Connect provider (authorization code, PKCE)'],
  ['GET', '/api/v1/auth/oidc/callback', 'public: the provider\'s redirect; opens a studio session and returns to `next`'],
  ['POST', '/api/v1/auth/oidc/token', 'public: `{id_token, lifetime_days}` from the provider (the CLI\'s device flow) → a personal access token `{token, id, username, expires_at}`'],
  ['GET', '/api/v1/auth/me', 'who the credentials are: `{username, roles, admin, via}` (and the session\'s `csrf_token`)'],
  ['POST', '/api/2.0/mlflow/users/create', 'MLflow: create a user `{username, password}` (role AzureML Data Scientist) → `{user}`'],
  ['GET', '/api/2.0/mlflow/users/get?username=', 'MLflow: `{user: {id, username, is_admin, experiment_permissions, registered_model_permissions}}`'],
  ['GET', '/api/2.0/mlflow/users/current', 'MLflow: the caller as `{user}`'],
  ['GET', '/api/2.0/mlflow/users/list', 'MLflow: `{users}`'],
  ['PATCH', '/api/2.0/mlflow/users/update-password', 'MLflow: `{username, password, current_password}` (your own with your current one; admins anyone\'s)'],
  ['PATCH', '/api/2.0/mlflow/users/update-admin', 'MLflow: `{username, is_admin}`'],
  ['DELETE', '/api/2.0/mlflow/users/delete', 'MLflow: `{username}`'],
  ['POST', '/api/2.0/mlflow/experiments/permissions/create', 'MLflow: `{experiment_id, username, permission}` → `{experiment_permission}`'],
  ['GET', '/api/2.0/mlflow/experiments/permissions/get?experiment_id=&username=', 'MLflow: `{experiment_permission: {experiment_id, user_id, permission}}`'],
  ['PATCH', '/api/2.0/mlflow/experiments/permissions/update', 'MLflow: `{experiment_id, username, permission}`'],
  ['DELETE', '/api/2.0/mlflow/experiments/permissions/delete', 'MLflow: `{experiment_id, username}`'],
  ['POST', '/api/2.0/mlflow/registered-models/permissions/create', 'MLflow: `{name, username, permission}` → `{registered_model_permission}`'],
  ['GET', '/api/2.0/mlflow/registered-models/permissions/get?name=&username=', 'MLflow: `{registered_model_permission: {name, user_id, permission}}`'],
  ['PATCH', '/api/2.0/mlflow/registered-models/permissions/update', 'MLflow: `{name, username, permission}`'],
  ['DELETE', '/api/2.0/mlflow/registered-models/permissions/delete', 'MLflow: `{name, username}`'],
  ['POST', '/api/3.0/mlflow/users/permissions/grant', 'MLflow 3: `{username, resource_type: experiment|registered_model, resource_id, permission}`'],
  ['POST', '/api/3.0/mlflow/users/permissions/revoke', 'MLflow 3: `{username, resource_type, resource_id}`'],
  ['GET', '/api/3.0/mlflow/users/permissions/get?username=&resource_type=&resource_id=', 'MLflow 3: `{allowed, permission}` (the permission in force)'],
];

const str = (args: Record<string, unknown>, field: string): string => {
  const v = args[field];
  if (v === undefined || v === null || v === '') throw invalid(`Missing value for required parameter '${field}'.`);
  return String(v);
};

function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(id)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

/** MLflow's role for users its API creates: they can use the workspace as data scientists do. */
const MLFLOW_USER_ROLE = 'AzureML Data Scientist';

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

  const mlflowUser = async (username: string) => {
    const u = await accounts.show(username);
    const mine = await permissions.ofUser(username);
    return {
      id: u.id, username: u.username, is_admin: u.is_admin,
      experiment_permissions: mine.experiments.map((e) => ({ experiment_id: String(e.experiment_id), user_id: u.id, permission: e.permission })),
      registered_model_permissions: mine.models.map((m) => ({ name: m.name, user_id: u.id, permission: m.permission })),
    };
  };
  const permissionJson = async (type: ResourceType, id: string, username: string) => {
    const p = await permissions.explicit(type, id, username);
    if (!p) throw notFound(`No ${type === 'experiment' ? 'experiment' : 'registered model'} permission for '${username}' on '${id}'.`);
    const userId = (await accounts.show(username)).id;
    return type === 'experiment'
      ? { experiment_permission: { experiment_id: id, user_id: userId, permission: p } }
      : { registered_model_permission: { name: id, user_id: userId, permission: p } };
  };
  const resourceId = (type: ResourceType, args: Record<string, unknown>) => str(args, type === 'experiment' ? 'experiment_id' : 'name');

  for (const v2 of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
    const v3 = v2.replace('2.0', '3.0');
    app.post(`${v2}/users/create`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.create({ username: str(a, 'username'), password: str(a, 'password'), roles: [MLFLOW_USER_ROLE] }, req.principal?.name);
      return { user: await mlflowUser(str(a, 'username')) };
    });
    app.get(`${v2}/users/get`, async (req) => ({ user: await mlflowUser(str(requestArgs(req) as Record<string, unknown>, 'username')) }));
    app.get(`${v2}/users/current`, async (req) => ({ user: await mlflowUser(ownAccount(req.principal!)) }));
    app.get(`${v2}/users/list`, async () => ({ users: await Promise.all((await accounts.list()).map((u) => mlflowUser(u.username))) }));
    app.patch(`${v2}/users/update-password`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      const username = str(a, 'username');
      const p = req.principal!;
      // Anyone may change their own password, knowing the current one; only admins change others'.
      if (!p.admin) {
        if (username !== p.name) throw new StratusError('PERMISSION_DENIED', `Permission denied: only an admin may change the password of '${username}'.`);
        if (!(await accounts.checkPassword(username, String(a.current_password ?? '')))) throw new StratusError('PERMISSION_DENIED', 'Changing your own password needs your current one (current_password), and it did not match.');
      }
      await accounts.setPassword(username, str(a, 'password'));
      return {};
    });
    app.patch(`${v2}/users/update-admin`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.update(str(a, 'username'), { is_admin: a.is_admin === true || a.is_admin === 'true' });
      return {};
    });
    app.delete(`${v2}/users/delete`, async (req) => {
      await accounts.delete(str(requestArgs(req) as Record<string, unknown>, 'username'));
      return {};
    });
    for (const [segment, type] of [['experiments', 'experiment'], ['registered-models', 'registered_model']] as const) {
      app.post(`${v2}/${segment}/permissions/create`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        const id = resourceId(type, a);
        const username = str(a, 'username');
        await accounts.show(username);
        if (await permissions.explicit(type, id, username)) throw new StratusError('RESOURCE_ALREADY_EXISTS', `'${username}' already has a permission on '${id}': update it instead.`);
        await permissions.set(type, id, username, str(a, 'permission'));
        return permissionJson(type, id, username);
      });
      app.get(`${v2}/${segment}/permissions/get`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        return permissionJson(type, resourceId(type, a), str(a, 'username'));
      });
      app.patch(`${v2}/${segment}/permissions/update`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        const id = resourceId(type, a);
        await permissionJson(type, id, str(a, 'username'));
        await permissions.set(type, id, str(a, 'username'), str(a, 'permission'));
        return {};
      });
      app.delete(`${v2}/${segment}/permissions/delete`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        if (!(await permissions.remove(type, resourceId(type, a), str(a, 'username')))) throw notFound(`No permission for '${str(a, 'username')}' on '${resourceId(type, a)}'.`);
        return {};
      });
    }
    // MLflow 3's unified per-user grants.
    app.post(`${v3}/users/permissions/grant`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.show(str(a, 'username'));
      await permissions.set(checkResourceType(str(a, 'resource_type')), str(a, 'resource_id'), str(a, 'username'), checkPermission(str(a, 'permission')));
      return {};
    });
    app.post(`${v3}/users/permissions/revoke`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.show(str(a, 'username'));
      await permissions.remove(checkResourceType(str(a, 'resource_type')), str(a, 'resource_id'), str(a, 'username'));
      return {};
    });
    app.get(`${v3}/users/permissions/get`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      const username = str(a, 'username');
      const { admin } = await accounts.effectiveRoles(username);
      await accounts.show(username);
      const p = admin ? 'MANAGE' : await permissions.effective(checkResourceType(str(a, 'resource_type')), str(a, 'resource_id'), username);
      // MLflow's `allowed` is its can_use: USE and above.
      return { allowed: p === 'USE' || allows(p, 'update'), permission: p };
    });
  }
}

function ownAccount(p: Principal): string {
  if (p.via === 'open' || p.via === 'workspace-token' || p.via === 'jobs') throw notFound(`'${p.name}' is not a user account (it is the ${p.via === 'open' ? 'open server\'s local user' : 'workspace\'s shared credential'}).`);
  return p.name;
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

/** The HTTP app: MLflow REST API, artifact proxy, health and version, behind optional auth. */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Workspace } from '../workspace.ts';
import { HTTP_STATUS, StratusError, type ErrorCode } from '../util/errors.ts';
import { authEnabled, type AuthConfig } from './auth.ts';
import { trackingRoutes, type Route } from './mlflow/tracking-routes.ts';
import { registryRoutes } from './mlflow/registry-routes.ts';
import { artifactRoutes } from './mlflow/artifact-routes.ts';
import { requestArgs } from './mlflow/request.ts';
import { registerV1 } from './v1/routes.ts';
import { endpointDataPlane } from './endpoints-routes.ts';
import { batchDataPlane } from './batch-data-plane.ts';
import { MLFLOW_API_VERSION, STRATUS_VERSION } from '../version.ts';
import { serveStudio } from './studio.ts';
import { cookie, PUBLIC_ROUTE } from './auth-gate.ts';
import { installAccessGate, principalOf, SESSION_COOKIE } from './access-gate.ts';
import { accessRoutes, grantCreators } from './access-routes.ts';
import { mlflowAuthRoutes } from './mlflow/auth-routes.ts';
import { mlflowPermissionCheck } from './mlflow-permission-check.ts';
import { Authenticator } from '../access/authenticator.ts';
import { OidcLogin } from '../access/oidc.ts';
import { newKey } from '../util/secrets.ts';
import { rolesAllow } from '../access/roles.ts';
import { parseJsonText } from './json-body.ts';
import { rejectHostileInput } from './input-guard.ts';
import { fromStoreError, storeProblem } from '../store/health.ts';
import { clientGone } from './client-gone.ts';
import { registerJupyterProxy } from './jupyter-proxy.ts';
import { DATASTORE_FILES, fileRoutes, SHARE_FILES } from './files-routes.ts';
import { sqlExportRoute } from './sql-export-route.ts';
import { livyRoutes } from './livy-routes.ts';
import { registerSparkUiProxy } from './spark-ui-proxy.ts';
import { databricksRoutes } from './databricks-routes.ts';

export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'];

export interface AppOptions {
  auth?: AuthConfig;
  logger?: boolean;
  /** The credential jobs and notebooks use to reach the server when no workspace token is set (a Contributor). */
  jobsSecret?: string;
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.status(HTTP_STATUS[code]).type('application/json').send({ error_code: code, message });
}

/** JSON bodies: empty means {}, and Python's bare NaN/Infinity tokens are tolerated (linear time). */
function parseJsonBody(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJsonText(body));
  } catch (err) {
    done(err as Error);
  }
}

export interface RegisteredRoute { method: string; url: string; public: boolean }

const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route the app serves, as registered (for the route fuzz test and the docs check). */
export function listRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registered.get(app) ?? [];
}

export async function buildApp(ws: Workspace, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? { level: 'info' } : false,
    bodyLimit: 16 * 1024 * 1024,
    // Artifact paths may legitimately be long.
    routerOptions: { maxParamLength: 4096 },
  });
  const served: RegisteredRoute[] = [];
  registered.set(app, served);
  app.addHook('onRoute', (r) => {
    for (const method of ([] as string[]).concat(r.method)) {
      if (method !== 'HEAD') served.push({ method, url: r.url, public: (r.config as { public?: boolean } | undefined)?.public === true });
    }
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof StratusError) return sendError(reply, err.code, err.message);
    const storeError = fromStoreError(err);
    if (storeError) return sendError(reply, storeError.code, storeError.message);
    const e = err as { statusCode?: number; message?: string; code?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      const code: ErrorCode = e.statusCode === 404 ? 'ENDPOINT_NOT_FOUND' : e.statusCode === 401 ? 'UNAUTHENTICATED' : 'BAD_REQUEST';
      return reply.status(e.statusCode).send({ error_code: code, message: e.message ?? 'Bad request' });
    }
    req.log.error(err);
    return sendError(reply, 'INTERNAL_ERROR', `Internal error: ${e.message ?? String(err)}`);
  });
  app.setNotFoundHandler((req, reply) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && serveStudio(req.url, reply)) return;
    return sendError(reply, 'ENDPOINT_NOT_FOUND', `No API endpoint ${req.method} ${req.url.split('?')[0]}. See docs/rest-api.md for the routes this server offers.`);
  });

  const enabled = authEnabled(opts.auth);
  const authn = new Authenticator(ws.access.accounts, ws.access.tokens, opts.auth ?? {}, opts.jobsSecret ?? newKey());
  ws.access.onRevoke(() => authn.forget());
  installAccessGate(app, { authn, audit: ws.access.audit, enabled, resourceCheck: mlflowPermissionCheck(ws.db, ws.access.permissions, ws.experiments) });
  grantCreators(app, ws);
  /**
   * Whether a request carries a user's credentials that may score (the data planes, which also take
   * endpoint keys). A server without authentication has no users: its endpoints take their keys.
   */
  const workspaceCaller = async (req: FastifyRequest) => {
    if (!enabled) return false;
    const p = await principalOf(req, { authn, enabled }).catch(() => undefined);
    return !!p && rolesAllow(p.roles, { area: 'endpoints', verb: 'execute' });
  };
  app.addHook('preHandler', (req, _reply, done) => {
    try {
      rejectHostileInput(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonBody);
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJsonBody);

  app.get('/health', { config: PUBLIC_ROUTE }, async (_req, reply) => {
    // Healthy means the store answers, not merely that this process is up.
    const problem = await storeProblem(ws.db);
    if (problem) return reply.status(503).type('text/plain').send(`Unavailable: the metadata store does not answer (${problem}).`);
    return reply.type('text/plain').send('OK');
  });
  app.get('/version', async (_req, reply) => reply.type('text/plain').header('X-Stratus-Version', STRATUS_VERSION).send(MLFLOW_API_VERSION));
  // `/` is the studio (served by the not-found handler with the rest of its files).

  const routes: Route[] = [...trackingRoutes(ws), ...registryRoutes(ws)];
  for (const prefix of MLFLOW_PREFIXES) {
    for (const [method, path, handler] of routes) {
      app.route({ method, url: prefix + path, handler: async (req, reply) => handler(requestArgs(req), {
        clientGone: () => clientGone(reply),
        // Searches show a user only what MLflow's permissions let it read; admins see everything.
        visible: (type) => (req.principal && !req.principal.admin ? ws.access.permissions.readable(type, req.principal.name) : undefined),
      }) });
    }
  }
  registerV1(app, ws);
  accessRoutes(app, ws, authn, enabled, opts.auth?.oidc ? new OidcLogin(opts.auth.oidc, ws.access.accounts) : undefined);
  mlflowAuthRoutes(app, ws);
  await app.register(async (scope) => artifactRoutes(scope, ws));
  await app.register(async (scope) => endpointDataPlane(scope, ws, workspaceCaller, enabled));
  // A batch invocation on a server without authentication needs no key, as every other route there.
  batchDataPlane(app, ws, async (req) => !enabled || workspaceCaller(req));
  await app.register(async (scope) => fileRoutes(scope, SHARE_FILES, () => ws.files));
  await app.register(async (scope) => fileRoutes(scope, DATASTORE_FILES, (req) => ws.datastores.files((req.params as { name: string }).name)));
  sqlExportRoute(app, ws.sql);
  livyRoutes(app, ws.livy, ws.livySessions);
  databricksRoutes(app, ws.databricks);
  // WebSockets arrive before any route: the proxy asks with what the upgrade carried.
  registerJupyterProxy(app, ws.computes.managed, async (credentials, cookies) => {
    if (!enabled) return {};
    const session = cookie({ headers: { cookie: cookies } }, SESSION_COOKIE);
    const p = credentials ? await authn.fromHeader(credentials).catch(() => undefined) : session ? await authn.fromSession(session).catch(() => undefined) : undefined;
    return !p ? 'unauthenticated' : rolesAllow(p.roles, { area: 'notebooks', verb: 'execute' }) ? { user: p.name } : 'forbidden';
  }, ws.files.authors);
  registerSparkUiProxy(app, ws.computes.managed);
  return app;
}

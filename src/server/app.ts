/** The HTTP app: MLflow REST API, artifact proxy, health and version, behind optional auth. */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Workspace } from '../workspace.ts';
import { HTTP_STATUS, StratusError, type ErrorCode } from '../util/errors.ts';
import { authEnabled, isAuthorized, type AuthConfig } from './auth.ts';
import { trackingRoutes, type Route } from './mlflow/tracking-routes.ts';
import { registryRoutes } from './mlflow/registry-routes.ts';
import { artifactRoutes } from './mlflow/artifact-routes.ts';
import { requestArgs } from './mlflow/request.ts';
import { registerV1 } from './v1/routes.ts';
import { endpointDataPlane } from './endpoints-routes.ts';
import { MLFLOW_API_VERSION, STRATUS_VERSION } from '../version.ts';
import { isApiPath, serveStudio } from './studio.ts';

export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'];

export interface AppOptions {
  auth?: AuthConfig;
  logger?: boolean;
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.status(HTTP_STATUS[code]).type('application/json').send({ error_code: code, message });
}

/** JSON bodies: empty means {}, and Python's bare NaN/Infinity tokens are tolerated. */
function parseJsonBody(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (!body || !body.trim()) return done(null, {});
  try {
    done(null, JSON.parse(body));
  } catch {
    try {
      const patched = body.replace(/(?<=[:,\[]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, '"$1"');
      done(null, JSON.parse(patched));
    } catch (err) {
      done(new StratusError('BAD_REQUEST', `Malformed JSON request body: ${(err as Error).message}`));
    }
  }
}

export async function buildApp(ws: Workspace, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? { level: 'info' } : false,
    bodyLimit: 16 * 1024 * 1024,
    // Artifact paths may legitimately be long.
    routerOptions: { maxParamLength: 4096 },
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof StratusError) return sendError(reply, err.code, err.message);
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

  if (authEnabled(opts.auth)) {
    app.addHook('onRequest', async (req, reply) => {
      // Scoring requests carry the endpoint's own key, checked by the data plane; the studio's
      // files hold no data (the app asks for a token before it calls the API).
      if (req.url === '/health' || req.url.startsWith('/endpoints/')) return;
      if (req.method === 'GET' && !isApiPath(req.url)) return;
      if (!isAuthorized(opts.auth!, req.headers.authorization)) {
        reply.header('WWW-Authenticate', 'Basic realm="stratus", Bearer');
        return sendError(reply, 'UNAUTHENTICATED',
          'Authentication required: send Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN) or HTTP Basic credentials (MLFLOW_TRACKING_USERNAME/PASSWORD).');
      }
    });
  }

  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonBody);
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJsonBody);

  app.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));
  app.get('/version', async (_req, reply) => reply.type('text/plain').header('X-Stratus-Version', STRATUS_VERSION).send(MLFLOW_API_VERSION));
  // `/` is the studio (served by the not-found handler with the rest of its files).

  const routes: Route[] = [...trackingRoutes(ws), ...registryRoutes(ws)];
  for (const prefix of MLFLOW_PREFIXES) {
    for (const [method, path, handler] of routes) {
      app.route({ method, url: prefix + path, handler: async (req) => handler(requestArgs(req)) });
    }
  }
  registerV1(app, ws);
  await app.register(async (scope) => artifactRoutes(scope, ws));
  await app.register(async (scope) => endpointDataPlane(scope, ws, opts.auth));
  return app;
}

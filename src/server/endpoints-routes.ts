/**
 * The online-endpoint data plane: POST /endpoints/<name>/score with the endpoint's key, as a
 * managed online endpoint's scoring URI takes it. Bodies reach score.py's run() as text.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Workspace } from '../workspace.ts';
import { invalid, StratusError } from '../util/errors.ts';
import { INVALID_KEY } from '../serving/endpoints.ts';
import { PUBLIC_ROUTE } from './auth-gate.ts';

export async function endpointDataPlane(app: FastifyInstance, ws: Workspace, workspaceCaller: (req: FastifyRequest) => Promise<boolean>, authEnabled: boolean): Promise<void> {
  /** The endpoint, if the caller's key opens it; an unknown name looks like a wrong key unless the caller is a workspace user. */
  const authorize = async (req: FastifyRequest, name: string) => {
    const header = req.headers.authorization;
    try {
      return await ws.endpoints.authorize(name, header, await workspaceCaller(req));
    } catch (err) {
      const unknown = err instanceof StratusError && err.code === 'RESOURCE_DOES_NOT_EXIST';
      if (unknown && authEnabled && !(await workspaceCaller(req))) throw new StratusError('UNAUTHENTICATED', INVALID_KEY);
      throw err;
    }
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.get('/endpoints/:name/swagger.json', { config: PUBLIC_ROUTE }, async (req) => {
    const { name } = req.params as { name: string };
    const endpoint = await authorize(req, name);
    const pinned = req.headers['azureml-model-deployment'];
    return ws.endpoints.swagger(endpoint, typeof pinned === 'string' && pinned ? pinned : undefined);
  });

  app.post('/endpoints/:name/score', { config: PUBLIC_ROUTE }, async (req, reply) => {
    const { name } = req.params as { name: string };
    const endpoint = await authorize(req, name);
    const body = typeof req.body === 'string' ? req.body : '';
    if (/json/i.test(String(req.headers['content-type'] ?? ''))) {
      try {
        JSON.parse(body);
      } catch (err) {
        throw invalid(`The request body is not valid JSON: ${(err as Error).message}`);
      }
    }
    const pinned = req.headers['azureml-model-deployment'];
    const result = await ws.endpoints.score(endpoint, body, typeof pinned === 'string' && pinned ? pinned : undefined);
    reply.header('azureml-model-deployment', result.deployment);
    return reply.status(result.status).type('application/json').send(result.body);
  });
}

/**
 * The online-endpoint data plane: POST /endpoints/<name>/score with the endpoint's key, as a
 * managed online endpoint's scoring URI takes it. Bodies reach score.py's run() as text.
 */
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../workspace.ts';
import { invalid } from '../util/errors.ts';
import type { AuthConfig } from './auth.ts';

export async function endpointDataPlane(app: FastifyInstance, ws: Workspace, auth: AuthConfig | undefined): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.get('/endpoints/:name/swagger.json', async (req) => {
    const { name } = req.params as { name: string };
    const endpoint = await ws.endpoints.authorize(name, req.headers.authorization, auth?.token);
    const pinned = req.headers['azureml-model-deployment'];
    return ws.endpoints.swagger(endpoint, typeof pinned === 'string' && pinned ? pinned : undefined);
  });

  app.post('/endpoints/:name/score', async (req, reply) => {
    const { name } = req.params as { name: string };
    const endpoint = await ws.endpoints.authorize(name, req.headers.authorization, auth?.token);
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

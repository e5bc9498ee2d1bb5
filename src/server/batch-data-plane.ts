/**
 * A batch endpoint's scoring URI: `POST /batch-endpoints/<name>/jobs` with Azure's invocation body
 * (`{"properties": {"InputData": {"<input>": {"JobInputType": "UriFolder", "Uri": "…"}}}}`) starts
 * a batch scoring job. Workspace credentials open every endpoint; an endpoint's own key opens only
 * that endpoint, and only when its auth_mode is key. `azureml-model-deployment` picks a deployment.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Workspace } from '../workspace.ts';
import type { InputSpec } from '../specs/command-job.ts';
import { AzureBatchInvocation } from '../specs/batch.ts';
import { checked } from '../specs/validate.ts';
import { PUBLIC_ROUTE } from './auth-gate.ts';

export function batchDataPlane(app: FastifyInstance, ws: Workspace, workspaceCaller: (req: FastifyRequest) => Promise<boolean>): void {
  app.post('/batch-endpoints/:name/jobs', { config: PUBLIC_ROUTE }, async (req, reply) => {
    const { name } = req.params as { name: string };
    const header = req.headers.authorization;
    if (!(await workspaceCaller(req))) await ws.batch.authorizeKey(name, /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]);
    const body = checked(AzureBatchInvocation, req.body ?? {}, 'batch invocation');
    const inputs: Record<string, InputSpec> = Object.fromEntries(Object.entries(body.properties.InputData).map(([k, v]) => [k,
      'Uri' in v ? { type: /file/i.test(v.JobInputType) ? 'uri_file' : 'uri_folder', path: v.Uri } : { type: 'literal', value: v.Value }]));
    const pinned = req.headers['azureml-model-deployment'];
    const job = await ws.batch.invoke(name, { inputs, deployment: typeof pinned === 'string' && pinned ? pinned : undefined });
    return reply.status(202).send(job);
  });
}

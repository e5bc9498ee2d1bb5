/** Apache Livy's batch REST API under /livy, as HDInsight serves it (workspace auth applies). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LivyBatches } from '../spark/livy-batches.ts';
import { LivyBatchRequest } from '../specs/livy.ts';
import { checked } from '../specs/validate.ts';
import { invalid } from '../util/errors.ts';

export const LIVY_ROUTES: [string, string, string][] = [
  ['GET', '/livy/batches?from=&size=', 'batches: `{from, total, sessions}`'],
  ['POST', '/livy/batches', 'submit a batch (`file`, `className`, `args`, `pyFiles`, `jars`, `files`, `archives`, `conf`, driver/executor sizes, `name`); it runs as a spark job'],
  ['GET', '/livy/batches/<id>', 'a batch: `{id, name, appId, appInfo, log, state}`'],
  ['GET', '/livy/batches/<id>/state', '`{id, state}`'],
  ['GET', '/livy/batches/<id>/log?from=&size=', '`{id, from, total, log}`: stdout then stderr lines'],
  ['DELETE', '/livy/batches/<id>', 'kill and forget a batch'],
];

function intParam(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`'${name}' must be a whole number of at least 0, got ${JSON.stringify(value).slice(0, 40)}.`);
  return n;
}

const batchId = (req: FastifyRequest) => intParam((req.params as Record<string, string>).id, 'batchId', 0);

export function livyRoutes(app: FastifyInstance, batches: LivyBatches): void {
  app.get('/livy/batches', async (req) => {
    const q = req.query as Record<string, unknown>;
    return batches.list(intParam(q.from, 'from', 0), Math.min(intParam(q.size, 'size', 100), 1000));
  });
  app.post('/livy/batches', async (req, reply) => {
    const batch = await batches.create(checked(LivyBatchRequest, req.body ?? {}, 'batch request'));
    return reply.status(201).send(batch);
  });
  app.get('/livy/batches/:id', async (req) => batches.get(batchId(req)));
  app.get('/livy/batches/:id/state', async (req) => batches.state(batchId(req)));
  app.get('/livy/batches/:id/log', async (req) => {
    const q = req.query as Record<string, unknown>;
    return batches.log(batchId(req), intParam(q.from, 'from', 0), Math.min(intParam(q.size, 'size', 100), 10_000));
  });
  app.delete('/livy/batches/:id', async (req) => batches.delete(batchId(req)));
}

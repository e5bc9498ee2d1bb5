/** Apache Livy's REST API (batches and interactive sessions) under /livy, as HDInsight serves it (workspace auth applies). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LivyBatches } from '../spark/livy-batches.ts';
import type { LivySessions } from '../spark/livy-sessions.ts';
import { LivyBatchRequest, LivySessionRequest, LivyStatementRequest } from '../specs/livy.ts';
import { checked } from '../specs/validate.ts';
import { invalid } from '../util/errors.ts';

export const LIVY_ROUTES: [string, string, string][] = [
  ['GET', '/livy/batches?from=&size=', 'batches: `{from, total, sessions}`'],
  ['POST', '/livy/batches', 'submit a batch (`file`, `className`, `args`, `pyFiles`, `jars`, `files`, `archives`, `conf`, driver/executor sizes, `name`); it runs as a spark job'],
  ['GET', '/livy/batches/<id>', 'a batch: `{id, name, appId, appInfo, log, state}`'],
  ['GET', '/livy/batches/<id>/state', '`{id, state}`'],
  ['GET', '/livy/batches/<id>/log?from=&size=', '`{id, from, total, log}`: stdout then stderr lines'],
  ['DELETE', '/livy/batches/<id>', 'kill and forget a batch'],
  ['GET', '/livy/sessions?from=&size=', 'interactive sessions: `{from, total, sessions}`'],
  ['POST', '/livy/sessions', 'start a session (`kind`: `pyspark`, `spark` (Scala), `sql` or `shared`; the batch settings; `ttl`, `heartbeatTimeoutInSecond`)'],
  ['GET', '/livy/sessions/<id>', 'a session: `{id, name, appId, owner, proxyUser, state, kind, appInfo, log}`'],
  ['GET', '/livy/sessions/<id>/state', '`{id, state}`'],
  ['GET', '/livy/sessions/<id>/log?from=&size=', "`{id, from, total, log}`: the driver's log"],
  ['DELETE', '/livy/sessions/<id>', 'end a session'],
  ['GET', '/livy/sessions/<id>/statements?from=&size=', '`{total_statements, statements}`'],
  ['POST', '/livy/sessions/<id>/statements', 'run `code` (optional `kind`: `pyspark`, `spark` or `sql`): `{id, code, state, output, progress, started, completed}`'],
  ['GET', '/livy/sessions/<id>/statements/<statementId>', 'a statement, with its `output` once `available`'],
  ['POST', '/livy/sessions/<id>/statements/<statementId>/cancel', 'cancel a statement'],
  ['GET', '/livy/version', "the Livy API version served: `{version}`"],
];

/** The Livy release whose API this follows (clients such as pylivy pick request shapes by it). */
const LIVY_VERSION = '0.8.0-incubating';

function intParam(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`'${name}' must be a whole number of at least 0, got ${JSON.stringify(value).slice(0, 40)}.`);
  return n;
}

const batchId = (req: FastifyRequest) => intParam((req.params as Record<string, string>).id, 'batchId', 0);
const sessionId = (req: FastifyRequest) => intParam((req.params as Record<string, string>).id, 'sessionId', 0);
const statementId = (req: FastifyRequest) => intParam((req.params as Record<string, string>).sid, 'statementId', 0);
const page = (req: FastifyRequest, max: number) => {
  const q = req.query as Record<string, unknown>;
  return [intParam(q.from, 'from', 0), Math.min(intParam(q.size, 'size', 100), max)] as const;
};

export function livyRoutes(app: FastifyInstance, batches: LivyBatches, sessions: LivySessions): void {
  app.get('/livy/batches', async (req) => batches.list(...page(req, 1000)));
  app.post('/livy/batches', async (req, reply) => {
    const batch = await batches.create(checked(LivyBatchRequest, req.body ?? {}, 'batch request'));
    return reply.status(201).send(batch);
  });
  app.get('/livy/batches/:id', async (req) => batches.get(batchId(req)));
  app.get('/livy/batches/:id/state', async (req) => batches.state(batchId(req)));
  app.get('/livy/batches/:id/log', async (req) => batches.log(batchId(req), ...page(req, 10_000)));
  app.delete('/livy/batches/:id', async (req) => batches.delete(batchId(req)));

  app.get('/livy/version', async () => ({ version: LIVY_VERSION }));
  app.get('/livy/sessions', async (req) => sessions.list(...page(req, 1000)));
  app.post('/livy/sessions', async (req, reply) => reply.status(201).send(await sessions.create(checked(LivySessionRequest, req.body ?? {}, 'session request'))));
  app.get('/livy/sessions/:id', async (req) => sessions.get(sessionId(req)));
  app.get('/livy/sessions/:id/state', async (req) => sessions.state(sessionId(req)));
  app.get('/livy/sessions/:id/log', async (req) => sessions.log(sessionId(req), ...page(req, 10_000)));
  app.delete('/livy/sessions/:id', async (req) => sessions.delete(sessionId(req)));
  app.get('/livy/sessions/:id/statements', async (req) => sessions.statements(sessionId(req), ...page(req, 1000)));
  app.post('/livy/sessions/:id/statements', async (req, reply) => {
    return reply.status(201).send(sessions.submit(sessionId(req), checked(LivyStatementRequest, req.body ?? {}, 'statement request')));
  });
  app.get('/livy/sessions/:id/statements/:sid', async (req) => sessions.statement(sessionId(req), statementId(req)));
  app.post('/livy/sessions/:id/statements/:sid/cancel', async (req) => sessions.cancel(sessionId(req), statementId(req)));
}

/**
 * Databricks' cluster and one-time-run REST API at the same root as the MLflow API, as a
 * Databricks workspace host serves both (the SDK's and CLI's paths: clusters under 2.0/2.1,
 * runs under 2.0/2.1/2.2). Errors keep the `{error_code, message}` shape both APIs share.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DatabricksApi } from '../spark/databricks.ts';
import { SPARK_VERSION } from '../spark/databricks.ts';
import { invalid } from '../util/errors.ts';
import { RunSubmit } from '../specs/databricks.ts';
import { checked } from '../specs/validate.ts';
import { PUBLIC_ROUTE } from './auth-gate.ts';

const body = (req: FastifyRequest) => (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body as Record<string, any> : {});
const query = (req: FastifyRequest) => req.query as Record<string, string | undefined>;

function clusterId(v: unknown): string {
  if (typeof v !== 'string' || !v) throw invalid("Missing required field: cluster_id");
  return v;
}

function runId(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(`Invalid run_id ${JSON.stringify(v)?.slice(0, 40)}: a positive whole number is required.`);
  return n;
}

export const DATABRICKS_ROUTES: [string, string, string][] = [
  ['POST', '/api/2.{0,1}/clusters/create', 'a Spark cluster compute (`num_workers` or `autoscale.min_workers`, `spark_conf`, `autotermination_minutes`, `custom_tags`): `{cluster_id}`'],
  ['GET', '/api/2.{0,1}/clusters/get?cluster_id=', 'Databricks\' cluster shape with `state` PENDING/RUNNING/RESTARTING/TERMINATING/TERMINATED/ERROR'],
  ['GET', '/api/2.{0,1}/clusters/list', '`{clusters}`'],
  ['POST', '/api/2.{0,1}/clusters/{start,restart,delete,permanent-delete,resize}', 'start, restart, terminate (`delete`), remove, `num_workers`'],
  ['GET', '/api/2.{0,1}/clusters/{spark-versions,list-node-types}', 'the one Spark version and node type here'],
  ['POST', '/api/2.{0,1,2}/jobs/runs/submit', 'a run of `tasks` (`spark_python_task`, `notebook_task`, `python_wheel_task`; `depends_on`) on `existing_cluster_id` (or local mode): `{run_id}`'],
  ['GET', '/api/2.{0,1,2}/jobs/runs/{get,get-output,list}', 'a run\'s `state` (`life_cycle_state`, `result_state`) and its `tasks` with their own `run_id`s; a task\'s output; runs (`offset`, `limit` ≤ 25)'],
  ['POST', '/api/2.{0,1,2}/jobs/runs/cancel', 'cancel a run'],
];

export function databricksRoutes(app: FastifyInstance, api: DatabricksApi): void {
  // The SDK asks a host for its metadata first; this one has none to give, so it uses what it was told.
  app.get('/.well-known/databricks-config', { config: PUBLIC_ROUTE }, async (_req, reply) => reply.status(404).send({
    error_code: 'ENDPOINT_NOT_FOUND', message: 'This workspace publishes no Databricks host metadata: configure the host and a token explicitly.',
  }));
  for (const v of ['2.0', '2.1']) {
    const base = `/api/${v}/clusters`;
    app.post(`${base}/create`, async (req) => api.createCluster(body(req)));
    app.get(`${base}/get`, async (req) => api.getCluster(clusterId(query(req).cluster_id)));
    app.get(`${base}/list`, async () => api.listClusters());
    app.post(`${base}/start`, async (req) => api.startCluster(clusterId(body(req).cluster_id)));
    app.post(`${base}/restart`, async (req) => api.restartCluster(clusterId(body(req).cluster_id)));
    app.post(`${base}/delete`, async (req) => api.terminateCluster(clusterId(body(req).cluster_id)));
    app.post(`${base}/permanent-delete`, async (req) => api.permanentDelete(clusterId(body(req).cluster_id)));
    app.post(`${base}/resize`, async (req) => {
      const n = Number(body(req).num_workers);
      if (!Number.isInteger(n) || n < 0) throw invalid('num_workers must be a whole number of at least 0.');
      return api.resizeCluster(clusterId(body(req).cluster_id), n);
    });
    app.get(`${base}/spark-versions`, async () => ({ versions: [SPARK_VERSION] }));
    app.get(`${base}/list-node-types`, async () => ({ node_types: [{ node_type_id: 'local', memory_mb: 1024, num_cores: 1, description: 'a worker process on this host', instance_type_id: 'local' }] }));
  }
  for (const v of ['2.0', '2.1', '2.2']) {
    const base = `/api/${v}/jobs/runs`;
    app.post(`${base}/submit`, async (req) => api.submitRun(checked(RunSubmit, body(req), 'run')));
    app.get(`${base}/get`, async (req) => api.getRun(runId(query(req).run_id)));
    app.get(`${base}/get-output`, async (req) => api.getRunOutput(runId(query(req).run_id)));
    app.get(`${base}/list`, async (req) => {
      const q = query(req);
      const offset = q.offset === undefined ? 0 : Number(q.offset);
      const limit = q.limit === undefined ? 25 : Number(q.limit);
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalid('offset must be a whole number of at least 0.');
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 25) throw invalid('limit must be a whole number from 1 to 25.');
      return api.listRuns(offset, limit);
    });
    app.post(`${base}/cancel`, async (req) => api.cancelRun(runId(body(req).run_id)));
  }
}

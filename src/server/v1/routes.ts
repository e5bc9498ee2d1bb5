/** REST API v1: jobs and computes (used by the stratus CLI through the typed client). */
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../../workspace.ts';
import { invalid } from '../../util/errors.ts';
import { completeMarker } from '../../artifacts/layout.ts';
import { int } from '../mlflow/request.ts';
import { toJSONSchema, type z } from 'zod';
import { checked } from '../../specs/validate.ts';
import { SubmitJob, UpdateJob } from '../../specs/jobs.ts';
import { CreateDeployment, CreateEndpoint, RegenerateKeys, UpdateDeployment, UpdateEndpoint } from '../../specs/serving.ts';
import { CreateCompute, CreateComponent, CreateData, CreateEnvironment, CreateModel } from '../../specs/assets.ts';
import { CreateSchedule } from '../../specs/schedules.ts';

export interface V1Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  summary: string;
  /** The request body's schema: checked before the handler runs, and described in the OpenAPI document. */
  body?: z.ZodType;
  handler: (req: { params: Record<string, string>; query: Record<string, string>; body: any }) => Promise<unknown>;
}

export function v1Routes(ws: Workspace): V1Route[] {
  return [
    { method: 'GET', path: '/api/v1/computes', summary: 'List computes', handler: async () => ({ value: await ws.computes.list() }) },
    { method: 'POST', path: '/api/v1/computes', summary: 'Create a compute (a local pool)', body: CreateCompute, handler: async ({ body }) => ws.computes.create(body) },
    { method: 'GET', path: '/api/v1/computes/:name', summary: 'Show a compute', handler: async ({ params }) => ws.computes.get(params.name) },
    {
      method: 'DELETE', path: '/api/v1/computes/:name', summary: 'Delete a compute',
      handler: async ({ params }) => {
        await ws.computes.delete(params.name);
        return {};
      },
    },
    {
      method: 'POST', path: '/api/v1/jobs', summary: 'Submit a job (body: {spec}; stratus job create --file job.yml builds it)', body: SubmitJob,
      handler: async ({ body }) => ws.jobs.submit(body.spec),
    },
    {
      method: 'GET', path: '/api/v1/jobs', summary: 'List top-level jobs, newest first (?status=&max_results=), the steps or trials of ?parent_job_name=, or the jobs of ?compute=',
      handler: async ({ query }) => ({
        value: await ws.jobs.list({
          status: query.status, maxResults: intQuery(query, 'max_results', undefined, 1, 10_000), parent: query.parent_job_name, compute: query.compute,
        }),
      }),
    },
    {
      method: 'POST', path: '/api/v1/jobs/validate', summary: 'Check a job (command, pipeline or sweep) as submit would, without running it (body: {spec})', body: SubmitJob,
      handler: async ({ body }) => ws.jobs.validate(body.spec),
    },
    { method: 'GET', path: '/api/v1/jobs/:name', summary: 'Show a job', handler: async ({ params }) => ws.jobs.get(params.name) },
    { method: 'PATCH', path: '/api/v1/jobs/:name', summary: 'Update display_name, description or tags', body: UpdateJob, handler: async ({ params, body }) => ws.jobs.update(params.name, body) },
    { method: 'POST', path: '/api/v1/jobs/:name/cancel', summary: 'Cancel a job (ends its whole process tree)', handler: async ({ params }) => ws.jobs.cancel(params.name) },
    {
      method: 'GET', path: '/api/v1/jobs/:name/logs', summary: 'Log text since offsets (?stdout=&stderr=&build=), with the status',
      handler: async ({ params, query }) => ws.jobs.logs(params.name, { stdout: intQuery(query, 'stdout', 0), stderr: intQuery(query, 'stderr', 0), build: intQuery(query, 'build', 0) }),
    },
    ...assetRoutes('environments', 'environment', {
      schema: CreateEnvironment, create: (b) => ws.environments.create(b), list: (n) => ws.environments.list(n),
      show: (n, v, l) => ws.environments.show(n, v, l), archive: (n, v) => ws.environments.archive(n, v),
    }),
    ...assetRoutes('data', 'data asset', {
      schema: CreateData, create: (b) => ws.data.create(b), list: (n) => ws.data.list(n), show: (n, v, l) => ws.data.show(n, v, l), archive: (n, v) => ws.data.archive(n, v),
    }),
    {
      method: 'GET', path: '/api/v1/data/:name/versions/:version/preview', summary: 'First rows (?rows=20) and per-column statistics of a data asset\'s table (DuckDB)',
      handler: async ({ params, query }) => ws.data.preview(params.name, params.version, intQuery(query, 'rows', 20, 1, 10_000)),
    },
    {
      method: 'GET', path: '/api/v1/environments/:name/versions/:version/build', summary: 'Build state (built, building, failed, not built) and build log of an environment',
      handler: async ({ params }) => {
        const spec = await ws.environments.pythonSpec(params.name, params.version);
        return spec ? ws.builder.status(spec) : { state: 'none', note: 'No conda file: jobs run on the host Python.' };
      },
    },
    ...assetRoutes('components', 'component', {
      schema: CreateComponent, create: (b) => ws.components.create(b), list: (n) => ws.components.list(n), show: (n, v, l) => ws.components.show(n, v, l), archive: (n, v) => ws.components.archive(n, v),
    }),
    ...assetRoutes('models', 'model', {
      schema: CreateModel, create: (b) => ws.models.create(b), list: (n) => ws.models.list(n), show: (n, v, l) => ws.models.show(n, v, l), archive: (n, v) => ws.models.archive(n, v),
    }),
    {
      method: 'GET', path: '/api/v1/models/:name/versions/:version/files', summary: 'Where a model version\'s files are in the artifact store',
      handler: async ({ params }) => ({ path: await ws.models.storePath(params.name, params.version) }),
    },
    ...endpointRoutes(ws),
    ...scheduleRoutes(ws),
    {
      method: 'GET', path: '/api/v1/snapshots/:hash', summary: 'Whether a code snapshot or upload is complete',
      handler: async ({ params }) => {
        if (!/^[0-9a-f]{16,64}$/.test(params.hash)) throw invalid(`Invalid snapshot hash '${params.hash}'.`);
        const complete = await ws.artifacts.stat(completeMarker('snapshots', params.hash)).then(() => true, () => false);
        const upload = await ws.artifacts.stat(completeMarker('uploads', params.hash)).then(() => true, () => false);
        return { hash: params.hash, snapshot_complete: complete, upload_complete: upload };
      },
    },
  ];
}

function scheduleRoutes(ws: Workspace): V1Route[] {
  const s = ws.schedules;
  const base = '/api/v1/schedules';
  return [
    { method: 'POST', path: base, summary: 'Create a schedule (trigger: cron or recurrence; create_job: a job spec or azureml:<job>)', body: CreateSchedule, handler: async ({ body }) => s.create(body) },
    { method: 'GET', path: base, summary: 'List schedules', handler: async () => ({ value: await s.list() }) },
    { method: 'GET', path: `${base}/:name`, summary: 'Show a schedule with its next run time and recent slots', handler: async ({ params }) => s.show(params.name) },
    { method: 'POST', path: `${base}/:name/enable`, summary: 'Enable a schedule (it fires from the next slot on)', handler: async ({ params }) => s.setEnabled(params.name, true) },
    { method: 'POST', path: `${base}/:name/disable`, summary: 'Disable a schedule', handler: async ({ params }) => s.setEnabled(params.name, false) },
    {
      method: 'DELETE', path: `${base}/:name`, summary: 'Delete a schedule',
      handler: async ({ params }) => {
        await s.delete(params.name);
        return {};
      },
    },
  ];
}

function endpointRoutes(ws: Workspace): V1Route[] {
  const e = ws.endpoints;
  const base = '/api/v1/online-endpoints';
  return [
    { method: 'POST', path: base, summary: 'Create an online endpoint', body: CreateEndpoint, handler: async ({ body }) => e.createEndpoint(body) },
    { method: 'GET', path: base, summary: 'List online endpoints', handler: async () => ({ value: await e.listEndpoints() }) },
    { method: 'GET', path: `${base}/:name`, summary: 'Show an endpoint: scoring_uri, traffic, per-deployment metrics', handler: async ({ params }) => e.showEndpoint(params.name) },
    { method: 'PATCH', path: `${base}/:name`, summary: 'Update traffic, mirror_traffic or description', body: UpdateEndpoint, handler: async ({ params, body }) => e.updateEndpoint(params.name, body) },
    {
      method: 'DELETE', path: `${base}/:name`, summary: 'Delete an endpoint and its deployments',
      handler: async ({ params }) => {
        await e.deleteEndpoint(params.name);
        return {};
      },
    },
    { method: 'POST', path: `${base}/:name/list-keys`, summary: 'The endpoint keys', handler: async ({ params }) => e.credentials(params.name) },
    { method: 'POST', path: `${base}/:name/regenerate-keys`, summary: 'Regenerate the primary or secondary key', body: RegenerateKeys, handler: async ({ params, body }) => e.regenerateKeys(params.name, body.key_type ?? 'primary') },
    {
      method: 'POST', path: `${base}/:name/deployments`, summary: 'Create a deployment (body: {spec, all_traffic}; stratus online-deployment create --file d.yml builds it)',
      body: CreateDeployment,
      handler: async ({ params, body }) => e.createDeployment({ ...body.spec, endpoint_name: params.name }, !!body.all_traffic),
    },
    { method: 'GET', path: `${base}/:name/deployments`, summary: 'List deployments', handler: async ({ params }) => ({ value: await e.listDeployments(params.name) }) },
    { method: 'GET', path: `${base}/:name/deployments/:deployment`, summary: 'Show a deployment', handler: async ({ params }) => e.showDeployment(params.name, params.deployment) },
    { method: 'PATCH', path: `${base}/:name/deployments/:deployment`, summary: 'Update a deployment (rolling: new workers start before old ones stop)', body: UpdateDeployment, handler: async ({ params, body }) => e.updateDeployment(params.name, params.deployment, body) },
    {
      method: 'DELETE', path: `${base}/:name/deployments/:deployment`, summary: 'Delete a deployment (it must have no traffic)',
      handler: async ({ params }) => {
        await e.deleteDeployment(params.name, params.deployment);
        return {};
      },
    },
    {
      method: 'GET', path: `${base}/:name/deployments/:deployment/logs`, summary: 'Worker logs (?lines=)',
      handler: async ({ params, query }) => ({ content: await e.logs(params.name, params.deployment, intQuery(query, 'lines', 100, 1, 100_000)) }),
    },
  ];
}

interface AssetOps {
  /** The create body's schema. */
  schema: z.ZodType;
  create(body: any): Promise<unknown>;
  list(name?: string): Promise<unknown[]>;
  show(name: string, version?: string, label?: string): Promise<unknown>;
  archive(name: string, version: string): Promise<unknown>;
}

/** The same five routes for each kind of versioned asset. */
function assetRoutes(plural: string, kind: string, ops: AssetOps): V1Route[] {
  const base = `/api/v1/${plural}`;
  return [
    {
      method: 'POST', path: base, summary: `Create a ${kind} version`, body: ops.schema,
      handler: async ({ body }) => ops.create(body),
    },
    { method: 'GET', path: base, summary: `List ${kind} versions (?name=)`, handler: async ({ query }) => ({ value: await ops.list(query.name) }) },
    { method: 'GET', path: `${base}/:name`, summary: `Show the latest ${kind} version (?label=latest)`, handler: async ({ params, query }) => ops.show(params.name, undefined, query.label ?? 'latest') },
    { method: 'GET', path: `${base}/:name/versions/:version`, summary: `Show one ${kind} version`, handler: async ({ params }) => ops.show(params.name, params.version) },
    { method: 'POST', path: `${base}/:name/versions/:version/archive`, summary: `Archive a ${kind} version`, handler: async ({ params }) => ops.archive(params.name, params.version) },
  ];
}

/** An integer query parameter in [min, max], or `fallback` when absent; anything else is a 400. */
function intQuery<T extends number | undefined>(query: Record<string, string>, field: string, fallback: T, min = 0, max = Number.MAX_SAFE_INTEGER): number | T {
  const n = int(query, field);
  if (n === undefined) return fallback;
  if (n < min || n > max) throw invalid(`Query parameter '${field}' must be an integer from ${min} to ${max}, got ${n}.`);
  return n;
}

/** Query strings with each field at most once (a repeated field is ambiguous here), as strings. */
function singleValued(query: Record<string, unknown>): Record<string, string> {
  for (const [k, v] of Object.entries(query)) {
    if (typeof v !== 'string') throw invalid(`Query parameter '${k.slice(0, 40)}' is given more than once; give it once.`);
  }
  return query as Record<string, string>;
}

/** A JSON object body (or none); arrays and scalars are a 400 before any service sees them. */
function objectBody(body: unknown): Record<string, any> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  return body as Record<string, any>;
}

export function registerV1(app: FastifyInstance, ws: Workspace): void {
  for (const r of v1Routes(ws)) {
    app.route({
      method: r.method,
      url: r.path,
      handler: async (req) => r.handler({
        params: req.params as Record<string, string>,
        query: singleValued(req.query as Record<string, unknown>),
        body: r.body ? checked(r.body, objectBody(req.body) ?? {}, 'request body') : objectBody(req.body),
      }),
    });
  }
  app.get('/api/v1/openapi.json', async () => openApi(v1Routes(ws)));
}

/** The v1 OpenAPI document, from the same route table and its request schemas. */
export function openApi(routes: V1Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[p] ??= {};
    paths[p][r.method.toLowerCase()] = {
      summary: r.summary,
      parameters: params,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: requestSchema(r.body) } } } } : {}),
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
        400: { description: 'Bad input: {error_code, message}', content: { 'application/json': { schema: ERROR_SCHEMA } } },
        404: { description: 'Not found: {error_code, message}', content: { 'application/json': { schema: ERROR_SCHEMA } } },
      },
    };
  }
  return { openapi: '3.1.0', info: { title: 'Stratus REST API v1', version: '1' }, paths };
}

const ERROR_SCHEMA = { type: 'object', required: ['error_code', 'message'], properties: { error_code: { type: 'string' }, message: { type: 'string' } } };

/** JSON Schema of a request body (OpenAPI 3.1 takes JSON Schema as it is). */
function requestSchema(schema: z.ZodType): unknown {
  const { $schema: _dialect, ...rest } = toJSONSchema(schema, { unrepresentable: 'any', io: 'input', cycles: 'ref' }) as Record<string, unknown>;
  return rest;
}

/** REST API v1: the handlers of the operations in specs/api-v1.ts (the CLI and the studio call them through the typed client). */
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../../workspace.ts';
import { invalid } from '../../util/errors.ts';
import { completeMarker } from '../../artifacts/layout.ts';
import { int } from '../mlflow/request.ts';
import { toJSONSchema, type z } from 'zod';
import { checked } from '../../specs/validate.ts';
import { operations, pathParams, type ApiV1, type Operation } from '../../specs/api-v1.ts';
import { ApiErrorReply } from '../../specs/replies.ts';
import { clientGone } from '../client-gone.ts';
import { currentActor } from '../../util/actor.ts';
import { ROLE_DESCRIPTIONS, ROLE_NAMES } from '../../access/roles.ts';

type BodyOf<O> = O extends Operation<infer B> ? (B extends z.ZodType ? z.infer<B> : undefined) : never;
/** `signal` fires when the client goes away before the reply (long work such as a SQL query stops then). */
type Handler<O> = (req: { params: Record<string, string>; query: Record<string, string>; body: BodyOf<O>; signal: AbortSignal }) => Promise<unknown>;
/** One handler per operation of the table: a new operation without a handler does not compile. */
export type V1Handlers = { [G in keyof ApiV1]: { [N in keyof ApiV1[G]]: Handler<ApiV1[G][N]> } };

interface AssetService {
  create(body: any): Promise<unknown>;
  list(name?: string): Promise<unknown[]>;
  show(name: string, version?: string, label?: string): Promise<unknown>;
  archive(name: string, version: string): Promise<unknown>;
}

/** The five handlers every kind of versioned asset shares. */
function assetHandlers(s: AssetService) {
  return {
    create: async ({ body }: { body: unknown }) => s.create(body),
    list: async ({ query }: { query: Record<string, string> }) => ({ value: await s.list(query.name) }),
    latest: async ({ params, query }: { params: Record<string, string>; query: Record<string, string> }) => s.show(params.name, undefined, query.label ?? 'latest'),
    show: async ({ params }: { params: Record<string, string> }) => s.show(params.name, params.version),
    archive: async ({ params }: { params: Record<string, string> }) => s.archive(params.name, params.version),
  };
}

const emptyAfter = (work: Promise<unknown>) => work.then(() => ({}));

/** The signed-in user a /tokens request is for (tokens belong to users: a server without accounts has none). */
async function selfUser(ws: Workspace): Promise<string> {
  const name = currentActor();
  if (!name || !(await ws.access.accounts.exists(name))) {
    throw invalid(`Personal access tokens belong to users, and '${name ?? 'this caller'}' is not one: sign in as a user (stratus login) on a server with authentication.`);
  }
  return name;
}

/**
 * The user a compute instance is for: the one create_on_behalf_of.user_object_id names, else its
 * creator when that is a user account (a server without accounts has nobody to assign it to).
 */
async function instanceUser(ws: Workspace, given: { user_object_id: string } | undefined): Promise<string | undefined> {
  if (!given) {
    const creator = currentActor();
    return creator && (await ws.access.accounts.exists(creator)) ? creator : undefined;
  }
  if (!(await ws.access.accounts.exists(given.user_object_id))) {
    throw invalid(`create_on_behalf_of.user_object_id: there is no user '${given.user_object_id}' to assign the instance to. List them with: stratus user list`);
  }
  return given.user_object_id;
}

export function v1Handlers(ws: Workspace): V1Handlers {
  const e = ws.endpoints;
  const s = ws.schedules;
  return {
    computes: {
      list: async () => ({ value: await ws.computes.showAll() }),
      create: async ({ body }) => ws.computes.create(body, body.type === 'computeinstance' ? await instanceUser(ws, body.create_on_behalf_of) : undefined),
      get: async ({ params }) => ws.computes.show(params.name),
      delete: async ({ params }) => emptyAfter(ws.computes.delete(params.name)),
      start: async ({ params }) => ws.computes.lifecycle(params.name, 'start'),
      stop: async ({ params }) => ws.computes.lifecycle(params.name, 'stop'),
      restart: async ({ params }) => ws.computes.lifecycle(params.name, 'restart'),
      resize: async ({ params, body }) => ws.computes.resize(params.name, body.workers),
    },
    jobs: {
      create: async ({ body }) => ws.jobs.submit(body.spec),
      list: async ({ query }) => ({
        value: await ws.jobs.list({
          status: query.status, maxResults: intQuery(query, 'max_results', undefined, 1, 10_000), parent: query.parent_job_name, compute: query.compute, createdBy: query.created_by,
        }),
      }),
      validate: async ({ body }) => ws.jobs.validate(body.spec),
      get: async ({ params }) => ws.jobs.get(params.name),
      update: async ({ params, body }) => ws.jobs.update(params.name, body),
      cancel: async ({ params }) => ws.jobs.cancel(params.name),
      logs: async ({ params, query }) => ws.jobs.logs(params.name, { stdout: intQuery(query, 'stdout', 0), stderr: intQuery(query, 'stderr', 0), build: intQuery(query, 'build', 0) }),
      outputPreview: async ({ params, query }) => ws.jobs.previewOutput(params.name, params.output, intQuery(query, 'rows', 20, 1, 10_000)),
      inferencePipeline: async ({ params, query }) => ws.designer.show(params.name, query.score_step),
      deployInferencePipeline: async ({ params, body }) => ws.designer.deploy(params.name, body),
    },
    environments: {
      ...assetHandlers(ws.environments),
      build: async ({ params }) => {
        const spec = await ws.environments.pythonSpec(params.name, params.version);
        return spec ? ws.builder.status(spec) : { state: 'none', note: 'No conda file: jobs run on the host Python.' };
      },
    },
    data: {
      ...assetHandlers(ws.data),
      preview: async ({ params, query }) => ws.data.preview(params.name, params.version, intQuery(query, 'rows', 20, 1, 10_000)),
    },
    components: assetHandlers(ws.components),
    models: {
      ...assetHandlers(ws.models),
      // A version shows where its conversion to ONNX stands (SQL scores it in-process once converted).
      show: async ({ params }) => {
        const model = await ws.models.show(params.name, params.version);
        const folder = await ws.models.storePath(params.name, params.version).then((p) => ws.artifacts.resolve(p), () => undefined);
        const conversion = folder ? ws.conversions.stateOf(folder) : undefined;
        return conversion ? { ...model, onnx_conversion: { state: conversion.state, ...(conversion.reason ? { reason: conversion.reason } : {}) } } : model;
      },
      files: async ({ params }) => ({ path: await ws.models.storePath(params.name, params.version) }),
    },
    endpoints: {
      create: async ({ body }) => e.createEndpoint(body),
      list: async () => ({ value: await e.listEndpoints() }),
      show: async ({ params }) => e.showEndpoint(params.name),
      update: async ({ params, body }) => e.updateEndpoint(params.name, body),
      delete: async ({ params }) => emptyAfter(e.deleteEndpoint(params.name)),
      keys: async ({ params }) => e.credentials(params.name),
      regenerateKeys: async ({ params, body }) => e.regenerateKeys(params.name, body.key_type ?? 'primary'),
    },
    deployments: {
      // Probe settings given in part are completed with Azure's defaults by the service's reader.
      create: async ({ params, body, query }) => e.createDeployment({ ...body.spec, endpoint_name: params.name } as Parameters<typeof e.createDeployment>[0], !!body.all_traffic, query.no_wait !== 'true'),
      list: async ({ params }) => ({ value: await e.listDeployments(params.name) }),
      show: async ({ params }) => e.showDeployment(params.name, params.deployment),
      update: async ({ params, body, query }) => e.updateDeployment(params.name, params.deployment, body as Parameters<typeof e.updateDeployment>[2], query.no_wait !== 'true'),
      delete: async ({ params }) => emptyAfter(e.deleteDeployment(params.name, params.deployment)),
      logs: async ({ params, query }) => ({ content: await e.logs(params.name, params.deployment, intQuery(query, 'lines', 100, 1, 100_000)) }),
    },
    batchEndpoints: {
      create: async ({ body }) => ws.batch.createEndpoint(body as Parameters<typeof ws.batch.createEndpoint>[0]),
      list: async () => ({ value: await ws.batch.listEndpoints() }),
      show: async ({ params }) => ws.batch.showEndpoint(params.name),
      update: async ({ params, body }) => ws.batch.updateEndpoint(params.name, body),
      delete: async ({ params }) => emptyAfter(ws.batch.deleteEndpoint(params.name)),
      invoke: async ({ params, body }) => ws.batch.invoke(params.name, {
        input: body.input, inputs: body.inputs, inputType: body.input_type, deployment: body.deployment_name, experiment: body.experiment_name,
        overrides: { instance_count: body.instance_count, settings: { ...body.settings, ...(body.mini_batch_size ? { mini_batch_size: body.mini_batch_size } : {}) } },
      }),
      listJobs: async ({ params }) => ({ value: await ws.batch.listJobs(params.name) }),
      keys: async ({ params }) => ws.batch.keys(params.name),
      regenerateKeys: async ({ params, body }) => ws.batch.regenerateKeys(params.name, body.key_type ?? 'primary'),
    },
    batchDeployments: {
      create: async ({ params, body }) => ws.batch.createDeployment({ ...body.spec, endpoint_name: params.name } as Parameters<typeof ws.batch.createDeployment>[0], !!body.set_default),
      list: async ({ params }) => ({ value: await ws.batch.listDeployments(params.name) }),
      show: async ({ params }) => ws.batch.showDeployment(params.name, params.deployment),
      update: async ({ params, body }) => {
        if (body.spec.name !== params.deployment || body.spec.endpoint_name !== params.name) throw invalid(`The definition names deployment '${body.spec.name}' of '${body.spec.endpoint_name}', not '${params.deployment}' of '${params.name}'.`);
        return ws.batch.updateDeployment(body.spec as Parameters<typeof ws.batch.updateDeployment>[0]);
      },
      delete: async ({ params }) => emptyAfter(ws.batch.deleteDeployment(params.name, params.deployment)),
    },
    schedules: {
      // The trigger's fields are checked by the trigger reader, which names the bad one.
      create: async ({ body }) => s.create(body as unknown as Parameters<typeof s.create>[0]),
      list: async () => ({ value: await s.list() }),
      show: async ({ params }) => s.show(params.name),
      enable: async ({ params }) => s.setEnabled(params.name, true),
      disable: async ({ params }) => s.setEnabled(params.name, false),
      delete: async ({ params }) => emptyAfter(s.delete(params.name)),
    },
    sql: {
      schema: async () => ws.sql.schema(),
      query: async ({ body, signal }) => ws.sql.query(body.query, { maxRows: body.max_rows, signal, saveAs: body.save_as }),
    },
    datastores: {
      list: async () => ws.datastores.list(),
      get: async ({ params }) => ws.datastores.show(params.name),
    },
    users: {
      create: async ({ body }) => ws.access.accounts.create(body, currentActor()),
      list: async () => ({ value: await ws.access.accounts.list() }),
      show: async ({ params }) => ws.access.accounts.show(params.name),
      update: async ({ params, body }) => ws.access.accounts.update(params.name, body),
      setPassword: async ({ params, body }) => emptyAfter(ws.access.accounts.setPassword(params.name, body.password)),
      delete: async ({ params }) => emptyAfter(ws.access.accounts.delete(params.name)),
      tokens: async ({ params }) => ({ value: await ws.access.tokens.list((await ws.access.accounts.show(params.name)).username) }),
      revokeToken: async ({ params }) => ws.access.revokeToken(params.id, params.name),
    },
    groups: {
      create: async ({ body }) => ws.access.accounts.createGroup(body.name, body.description),
      list: async () => ({ value: await ws.access.accounts.listGroups() }),
      show: async ({ params }) => ws.access.accounts.showGroup(params.name),
      delete: async ({ params }) => emptyAfter(ws.access.accounts.deleteGroup(params.name)),
      addMember: async ({ params, body }) => ws.access.accounts.addMember(params.name, body.username),
      removeMember: async ({ params }) => ws.access.accounts.removeMember(params.name, params.username),
    },
    roles: {
      list: async () => ({ value: ROLE_NAMES.map((name) => ({ name, description: ROLE_DESCRIPTIONS[name] })) }),
      assignments: async () => ({ value: await ws.access.accounts.listAssignments() }),
      assign: async ({ body }) => ws.access.accounts.assign(body.principal_type, body.principal, body.role),
      unassign: async ({ params }) => {
        if (params.principal_type !== 'user' && params.principal_type !== 'group') throw invalid(`principal_type is user or group, not '${params.principal_type}'.`);
        return emptyAfter(ws.access.accounts.unassign(params.principal_type, params.principal, params.role));
      },
    },
    tokens: {
      create: async ({ body }) => ws.access.tokens.create(await selfUser(ws), body.name, body.lifetime_days),
      list: async () => ({ value: await ws.access.tokens.list(await selfUser(ws)) }),
      revoke: async ({ params }) => ws.access.revokeToken(params.id, await selfUser(ws)),
    },
    audit: {
      list: async ({ query }) => ({ value: await ws.access.audit.list({ since: query.since, user: query.user, action: query.action, outcome: query.outcome, limit: intQuery(query, 'max_results', 100, 1, 1000) }) }),
    },
    snapshots: {
      get: async ({ params }) => {
        if (!/^[0-9a-f]{16,64}$/.test(params.hash)) throw invalid(`Invalid snapshot hash '${params.hash}'.`);
        const complete = await ws.artifacts.stat(completeMarker('snapshots', params.hash)).then(() => true, () => false);
        const upload = await ws.artifacts.stat(completeMarker('uploads', params.hash)).then(() => true, () => false);
        return { hash: params.hash, snapshot_complete: complete, upload_complete: upload };
      },
    },
  };
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

/**
 * With STRATUS_CHECK_REPLIES=1 (the test suites set it) every reply is checked against its
 * schema, so a reply that drifts from the documented shape fails loudly where it is made.
 */
const checkReplies = () => process.env.STRATUS_CHECK_REPLIES === '1';

export function registerV1(app: FastifyInstance, ws: Workspace): void {
  const handlers = v1Handlers(ws) as unknown as Record<string, Record<string, Handler<Operation>>>;
  for (const { group, name, op } of operations()) {
    const handler = handlers[group][name];
    app.route({
      method: op.method,
      url: op.path,
      handler: async (req, raw) => {
        const reply = await handler({
          params: req.params as Record<string, string>,
          query: singleValued(req.query as Record<string, unknown>),
          body: op.body ? checked(op.body, objectBody(req.body) ?? {}, 'request body') : objectBody(req.body),
          signal: clientGone(raw),
        });
        if (checkReplies()) {
          const result = op.reply.safeParse(reply);
          if (!result.success) throw new Error(`Reply of ${op.method} ${op.path} does not fit its schema: ${JSON.stringify(result.error.issues).slice(0, 800)}`);
        }
        return reply;
      },
    });
  }
  app.get('/api/v1/openapi.json', async () => openApi());
}

/** The v1 OpenAPI document, from the operation table with its request and reply schemas. */
export function openApi() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { group, name, op } of operations()) {
    const p = op.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...pathParams(op.path).map((n) => ({ name: n, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(op.query ?? {}).map(([n, description]) => ({ name: n, in: 'query', required: false, description, schema: { type: 'string' } })),
    ];
    paths[p] ??= {};
    paths[p][op.method.toLowerCase()] = {
      operationId: `${group}.${name}`,
      summary: op.summary,
      parameters,
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.reply, 'output') } } },
        400: { description: 'Bad input: {error_code, message}', content: { 'application/json': { schema: jsonSchema(ApiErrorReply, 'output') } } },
        404: { description: 'Not found: {error_code, message}', content: { 'application/json': { schema: jsonSchema(ApiErrorReply, 'output') } } },
      },
    };
  }
  return { openapi: '3.1.0', info: { title: 'Stratus REST API v1', version: '1' }, paths };
}

/** JSON Schema of a body or reply (OpenAPI 3.1 takes JSON Schema as it is). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const { $schema: _dialect, ...rest } = toJSONSchema(schema, { unrepresentable: 'any', io, cycles: 'ref' }) as Record<string, unknown>;
  return rest;
}

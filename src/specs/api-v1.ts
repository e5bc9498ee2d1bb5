/**
 * REST API v1, written once as a table of operations: method, path, what it does, the schema of
 * its request body and of its reply. The server binds a handler to each operation (and checks
 * bodies against `body`), the OpenAPI document is drawn from it, and the typed client calls
 * through it — so the three cannot disagree.
 */
import type { z } from 'zod';
import { CreateCompute, CreateComponent, CreateData, CreateEnvironment, CreateModel, ResizeCompute } from './assets.ts';
import { DeployInferencePipeline, SubmitJob, UpdateJob } from './jobs.ts';
import { CreateSchedule } from './schedules.ts';
import { SqlQuery } from './sql.ts';
import { AuditReply, CreateGroup, CreateToken, CreateUser, GroupMember, GroupReply, NewTokenReply, RoleAssignment, RoleAssignmentReply, RoleReply, SetPassword, TokenReply, UpdateUser, UserReply } from './access.ts';
import { BatchDeploymentReply, BatchEndpointReply, BatchKeysReply, CreateBatchDeployment, CreateBatchEndpoint, InvokeBatchEndpoint, UpdateBatchDeployment, UpdateBatchEndpoint } from './batch.ts';
import { CreateDeployment, CreateEndpoint, RegenerateKeys, UpdateDeployment, UpdateEndpoint } from './serving.ts';
import {
  ComponentReply, ComputeReply, DataPreviewReply, DataReply, DeploymentLogsReply, DeploymentReply, Empty, EndpointKeysReply,
  EndpointReply, EnvironmentBuildReply, EnvironmentReply, JobLogsReply, JobReply, JobValidation, listOf, ModelFilesReply,
  ModelReply, ScheduleReply, InferencePipelineReply, DeployInferenceReply, SnapshotReply, DatastoreReply, SqlReply, SqlSchemaReply,
} from './replies.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Operation<B extends z.ZodType | undefined = z.ZodType | undefined, R extends z.ZodType = z.ZodType> {
  method: Method;
  /** With `:name` placeholders for path parameters. */
  path: string;
  summary: string;
  /** Query parameters the operation reads, with what each means. */
  query?: Record<string, string>;
  body: B;
  reply: R;
}

function op<R extends z.ZodType, B extends z.ZodType | undefined = undefined>(
  method: Method, path: string, summary: string, reply: R, extra: { body?: B; query?: Record<string, string> } = {},
): Operation<B, R> {
  return { method, path, summary, reply, body: extra.body as B, query: extra.query };
}

/** The same five operations for each kind of versioned asset. */
function assetOps<B extends z.ZodType, R extends z.ZodType>(plural: string, kind: string, body: B, reply: R) {
  const base = `/api/v1/${plural}`;
  return {
    create: op('POST', base, `Create a ${kind} version`, reply, { body }),
    list: op('GET', base, `List ${kind} versions`, listOf(reply), { query: { name: `only the versions of this ${kind}` } }),
    latest: op('GET', `${base}/:name`, `Show the latest ${kind} version`, reply, { query: { label: 'latest (the only label)' } }),
    show: op('GET', `${base}/:name/versions/:version`, `Show one ${kind} version`, reply),
    archive: op('POST', `${base}/:name/versions/:version/archive`, `Archive a ${kind} version`, reply),
  };
}

const endpoints = '/api/v1/online-endpoints';
const schedules = '/api/v1/schedules';
const batch = '/api/v1/batch-endpoints';

export const API_V1 = {
  computes: {
    list: op('GET', '/api/v1/computes', 'List computes', listOf(ComputeReply)),
    create: op('POST', '/api/v1/computes', 'Create a compute: a local pool (amlcompute) or a compute instance running Jupyter (computeinstance)', ComputeReply, { body: CreateCompute }),
    get: op('GET', '/api/v1/computes/:name', 'Show a compute', ComputeReply),
    delete: op('DELETE', '/api/v1/computes/:name', 'Delete a compute (an instance\'s Jupyter server and kernels end first)', Empty),
    start: op('POST', '/api/v1/computes/:name/start', 'Start a stopped compute instance (the reply says Starting; poll until Running)', ComputeReply),
    stop: op('POST', '/api/v1/computes/:name/stop', 'Stop a compute instance: Jupyter and its kernels end, files stay', ComputeReply),
    restart: op('POST', '/api/v1/computes/:name/restart', 'Restart a compute instance or Spark cluster', ComputeReply),
    resize: op('POST', '/api/v1/computes/:name/resize', 'Change a Spark cluster\'s number of workers (started or stopped at once when it runs)', ComputeReply, { body: ResizeCompute }),
  },
  jobs: {
    create: op('POST', '/api/v1/jobs', 'Submit a job (body: {spec}; stratus job create --file job.yml builds it)', JobReply, { body: SubmitJob }),
    list: op('GET', '/api/v1/jobs', 'List top-level jobs, newest first, the steps or trials of a parent, or the jobs of a compute', listOf(JobReply), {
      query: { status: 'only jobs in this status', max_results: 'at most this many (1 to 10000)', parent_job_name: 'the steps or trials of this job', compute: 'the jobs of this compute', created_by: 'only jobs this user submitted' },
    }),
    validate: op('POST', '/api/v1/jobs/validate', 'Check a job (command, pipeline or sweep) as submit would, without running it (body: {spec})', JobValidation, { body: SubmitJob }),
    get: op('GET', '/api/v1/jobs/:name', 'Show a job', JobReply),
    update: op('PATCH', '/api/v1/jobs/:name', 'Update display_name, description or tags', JobReply, { body: UpdateJob }),
    cancel: op('POST', '/api/v1/jobs/:name/cancel', 'Cancel a job (ends its whole process tree)', JobReply),
    logs: op('GET', '/api/v1/jobs/:name/logs', 'Log text since offsets, with the status', JobLogsReply, {
      query: { stdout: 'byte offset already read', stderr: 'byte offset already read', build: 'byte offset already read' },
    }),
    outputPreview: op('GET', '/api/v1/jobs/:name/outputs/:output/preview', 'First rows and per-column statistics of a completed job\'s output table (DuckDB; a designer dataset, CSV, Parquet or JSON)', DataPreviewReply, {
      query: { rows: 'how many rows (1 to 10000, default 20)' },
    }),
    inferencePipeline: op('GET', '/api/v1/jobs/:name/inference-pipeline', 'The real-time inference pipeline of a designer pipeline job: Web Service Input, the transformations replayed on each request, Score Model, Web Service Output', InferencePipelineReply, {
      query: { score_step: 'the Score Model step to keep, when the pipeline has several' },
    }),
    deployInferencePipeline: op('POST', '/api/v1/jobs/:name/inference-pipeline/deploy', 'Create the inference pipeline of a designer pipeline job and deploy it to an online endpoint (created when missing) with all its traffic', DeployInferenceReply, {
      body: DeployInferencePipeline,
    }),
  },
  environments: {
    ...assetOps('environments', 'environment', CreateEnvironment, EnvironmentReply),
    build: op('GET', '/api/v1/environments/:name/versions/:version/build', 'Build state (built, building, failed, not built) and build log of an environment', EnvironmentBuildReply),
  },
  data: {
    ...assetOps('data', 'data asset', CreateData, DataReply),
    preview: op('GET', '/api/v1/data/:name/versions/:version/preview', 'First rows and per-column statistics of a data asset\'s table (DuckDB)', DataPreviewReply, {
      query: { rows: 'how many rows (1 to 10000, default 20)' },
    }),
  },
  components: assetOps('components', 'component', CreateComponent, ComponentReply),
  models: {
    ...assetOps('models', 'model', CreateModel, ModelReply),
    files: op('GET', '/api/v1/models/:name/versions/:version/files', 'Where a model version\'s files are in the artifact store', ModelFilesReply),
  },
  endpoints: {
    create: op('POST', endpoints, 'Create an online endpoint', EndpointReply, { body: CreateEndpoint }),
    list: op('GET', endpoints, 'List online endpoints', listOf(EndpointReply)),
    show: op('GET', `${endpoints}/:name`, 'Show an endpoint: scoring_uri, traffic, per-deployment metrics', EndpointReply),
    update: op('PATCH', `${endpoints}/:name`, 'Update traffic, mirror_traffic or description', EndpointReply, { body: UpdateEndpoint }),
    delete: op('DELETE', `${endpoints}/:name`, 'Delete an endpoint and its deployments', Empty),
    keys: op('POST', `${endpoints}/:name/list-keys`, 'The endpoint keys', EndpointKeysReply),
    regenerateKeys: op('POST', `${endpoints}/:name/regenerate-keys`, 'Regenerate the primary or secondary key', EndpointKeysReply, { body: RegenerateKeys }),
  },
  deployments: {
    create: op('POST', `${endpoints}/:name/deployments`, 'Create a deployment (body: {spec, all_traffic}; stratus online-deployment create --file d.yml builds it)', DeploymentReply, {
      body: CreateDeployment, query: { no_wait: 'true: reply at once (provisioning_state Creating) and go on in the background; poll show' },
    }),
    list: op('GET', `${endpoints}/:name/deployments`, 'List deployments', listOf(DeploymentReply)),
    show: op('GET', `${endpoints}/:name/deployments/:deployment`, 'Show a deployment', DeploymentReply),
    update: op('PATCH', `${endpoints}/:name/deployments/:deployment`, 'Update a deployment (rolling: new workers start before old ones stop)', DeploymentReply, {
      body: UpdateDeployment, query: { no_wait: 'true: reply at once (provisioning_state Updating) and go on in the background; poll show' },
    }),
    delete: op('DELETE', `${endpoints}/:name/deployments/:deployment`, 'Delete a deployment (it must have no traffic)', Empty),
    logs: op('GET', `${endpoints}/:name/deployments/:deployment/logs`, 'Worker logs', DeploymentLogsReply, { query: { lines: 'how many last lines (1 to 100000, default 100)' } }),
  },
  batchEndpoints: {
    create: op('POST', batch, 'Create a batch endpoint', BatchEndpointReply, { body: CreateBatchEndpoint }),
    list: op('GET', batch, 'List batch endpoints', listOf(BatchEndpointReply)),
    show: op('GET', `${batch}/:name`, 'Show a batch endpoint', BatchEndpointReply),
    update: op('PATCH', `${batch}/:name`, 'Change the default deployment (defaults.deployment_name) or the description', BatchEndpointReply, { body: UpdateBatchEndpoint }),
    delete: op('DELETE', `${batch}/:name`, 'Delete a batch endpoint and its deployments (their jobs stay)', Empty),
    invoke: op('POST', `${batch}/:name/jobs`, 'Start a batch scoring job over an input (the default deployment unless one is named)', JobReply, { body: InvokeBatchEndpoint }),
    listJobs: op('GET', `${batch}/:name/jobs`, 'The batch scoring jobs of an endpoint, newest first, each with `batch_progress` {completed, failed, total} mini-batches', listOf(JobReply)),
    keys: op('POST', `${batch}/:name/list-keys`, 'The endpoint keys (they start jobs at its scoring_uri when auth_mode is key)', BatchKeysReply),
    regenerateKeys: op('POST', `${batch}/:name/regenerate-keys`, 'Regenerate the primary or secondary key', BatchKeysReply, { body: RegenerateKeys }),
  },
  batchDeployments: {
    create: op('POST', `${batch}/:name/deployments`, 'Create a batch deployment (body: {spec, set_default})', BatchDeploymentReply, { body: CreateBatchDeployment }),
    list: op('GET', `${batch}/:name/deployments`, 'List a batch endpoint\'s deployments', listOf(BatchDeploymentReply)),
    show: op('GET', `${batch}/:name/deployments/:deployment`, 'Show a batch deployment', BatchDeploymentReply),
    update: op('PATCH', `${batch}/:name/deployments/:deployment`, 'Replace a batch deployment\'s definition (body: {spec}); running jobs keep theirs', BatchDeploymentReply, { body: UpdateBatchDeployment }),
    delete: op('DELETE', `${batch}/:name/deployments/:deployment`, 'Delete a batch deployment (not the default)', Empty),
  },
  schedules: {
    create: op('POST', schedules, 'Create a schedule (trigger: cron or recurrence; create_job: a job spec or azureml:<job>)', ScheduleReply, { body: CreateSchedule }),
    list: op('GET', schedules, 'List schedules', listOf(ScheduleReply)),
    show: op('GET', `${schedules}/:name`, 'Show a schedule with its next run time and recent slots', ScheduleReply),
    enable: op('POST', `${schedules}/:name/enable`, 'Enable a schedule (it fires from the next slot on)', ScheduleReply),
    disable: op('POST', `${schedules}/:name/disable`, 'Disable a schedule', ScheduleReply),
    delete: op('DELETE', `${schedules}/:name`, 'Delete a schedule', Empty),
  },
  sql: {
    schema: op('GET', '/api/v1/sql/schema', 'The tables a query can name (data assets, ml.models) and their columns', SqlSchemaReply),
    query: op('POST', '/api/v1/sql', 'Run one SQL query over the workspace in DuckDB: data assets as tables, ml.models, SQL Server\'s PREDICT', SqlReply, { body: SqlQuery }),
  },
  datastores: {
    list: op('GET', '/api/v1/datastores', 'List datastores: workspaceblobstore (the default, files in the workspace\'s storage) and workspaceartifactstore', listOf(DatastoreReply)),
    get: op('GET', '/api/v1/datastores/:name', 'Show a datastore', DatastoreReply),
  },
  snapshots: {
    get: op('GET', '/api/v1/snapshots/:hash', 'Whether a code snapshot or upload is complete', SnapshotReply),
  },
  users: {
    create: op('POST', '/api/v1/users', 'Create a user (password hashed with scrypt; roles optional)', UserReply, { body: CreateUser }),
    list: op('GET', '/api/v1/users', 'List users with their roles and groups', listOf(UserReply)),
    show: op('GET', '/api/v1/users/:name', 'Show a user', UserReply),
    update: op('PATCH', '/api/v1/users/:name', 'Change a user\'s display name or admin flag (the last Owner stays)', UserReply, { body: UpdateUser }),
    setPassword: op('POST', '/api/v1/users/:name/password', 'Set a user\'s password', Empty, { body: SetPassword }),
    delete: op('DELETE', '/api/v1/users/:name', 'Delete a user: their tokens revoked, sessions ended (not the last Owner)', Empty),
    tokens: op('GET', '/api/v1/users/:name/tokens', 'A user\'s personal access tokens (never their secrets)', listOf(TokenReply)),
    revokeToken: op('DELETE', '/api/v1/users/:name/tokens/:id', 'Revoke one of a user\'s tokens', TokenReply),
  },
  groups: {
    create: op('POST', '/api/v1/groups', 'Create a group', GroupReply, { body: CreateGroup }),
    list: op('GET', '/api/v1/groups', 'List groups with members and roles', listOf(GroupReply)),
    show: op('GET', '/api/v1/groups/:name', 'Show a group', GroupReply),
    delete: op('DELETE', '/api/v1/groups/:name', 'Delete a group (its role assignments go with it)', Empty),
    addMember: op('POST', '/api/v1/groups/:name/members', 'Add a user to a group', GroupReply, { body: GroupMember }),
    removeMember: op('DELETE', '/api/v1/groups/:name/members/:username', 'Remove a user from a group', GroupReply),
  },
  roles: {
    list: op('GET', '/api/v1/roles', 'The workspace roles (Azure ML\'s built-in roles) and what each may do', listOf(RoleReply)),
    assignments: op('GET', '/api/v1/role-assignments', 'Every role assignment', listOf(RoleAssignmentReply)),
    assign: op('POST', '/api/v1/role-assignments', 'Give a user or group a role', RoleAssignmentReply, { body: RoleAssignment }),
    unassign: op('DELETE', '/api/v1/role-assignments/:principal_type/:principal/:role', 'Take a role from a user or group (not the last Owner\'s)', Empty),
  },
  tokens: {
    create: op('POST', '/api/v1/tokens', 'Create a personal access token for yourself: the secret is in this reply only', NewTokenReply, { body: CreateToken }),
    list: op('GET', '/api/v1/tokens', 'Your personal access tokens (never their secrets)', listOf(TokenReply)),
    revoke: op('DELETE', '/api/v1/tokens/:id', 'Revoke one of your tokens (refused at once from then on)', TokenReply),
  },
  audit: {
    list: op('GET', '/api/v1/audit', 'The audit log, newest first: every write and every denied request', listOf(AuditReply), {
      query: { since: 'an ISO time or a duration (30m, 12h, 7d)', user: 'only this user', action: 'actions starting with this (jobs/, access/write)', outcome: 'allowed, denied or failed', max_results: 'at most this many (≤ 1000, default 100)' },
    }),
  },
} as const;

export type ApiV1 = typeof API_V1;
export type GroupName = keyof ApiV1;

/** Every operation with its group and name, in table order. */
export function operations(): { group: string; name: string; op: Operation }[] {
  return Object.entries(API_V1).flatMap(([group, ops]) => Object.entries(ops as Record<string, Operation>).map(([name, o]) => ({ group, name, op: o })));
}

/** The path parameter names of an operation, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]);
}

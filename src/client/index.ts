/**
 * The typed REST client the CLI and the studio use to talk to a workspace. It speaks the
 * workspace's MLflow-compatible API and REST API v1 and surfaces its `{error_code, message}`
 * errors as `ApiError`. Only `fetch`: it runs in Node and in the browser alike (file-system
 * helpers live with the CLI, in src/cli/transfer.ts).
 */
import type { z } from 'zod';
import type { Experiment, Run, RunInfo } from '../specs/mlflow-entities.ts';
import { API_V1, type ApiV1, type Operation } from '../specs/api-v1.ts';

export type {
  AssetJson, ComponentJson, ComputeJson, DataJson, DataPreview, EnvironmentJson, DeploymentJson, EndpointJson, JobJson, JobLogs, ModelJson, ScheduleJson,
} from '../specs/replies.ts';

/** What an operation of the v1 table replies, inferred from its reply schema. */
export type ReplyOf<O> = O extends Operation<z.ZodType | undefined, infer R> ? z.infer<R> : never;
/** What an operation's body takes, inferred from its request schema. */
export type BodyOf<O> = O extends Operation<infer B> ? (B extends z.ZodType ? z.input<B> : undefined) : never;

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ServerUnreachableError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(
      `No Stratus workspace is answering at ${url} (${(cause as Error)?.message ?? cause}).\n` +
        'Start one with `stratus up` (or `npm start`), or point STRATUS_URL at a running workspace.',
    );
    this.name = 'ServerUnreachableError';
  }
}

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  /** HTTP Basic instead of a token (stratus login exchanges it for a token). */
  basic?: { username: string; password: string };
}

export interface SearchRunsRequest {
  experiment_ids: string[];
  filter?: string;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
  run_view_type?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

export class StratusClient {
  readonly baseUrl: string;
  private token?: string;
  private basic?: { username: string; password: string };
  /** A studio session's CSRF token, sent with every request (its cookie goes by itself). */
  private csrf?: string;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.basic = opts.basic;
  }

  setCsrfToken(token: string | undefined): void {
    this.csrf = token;
  }

  private authHeaders(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    else if (this.basic) h.Authorization = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${this.basic.username}:${this.basic.password}`)))}`;
    if (this.csrf) h['X-CSRF-Token'] = this.csrf;
    return h;
  }

  private async call<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = this.authHeaders();
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ServerUnreachableError(this.baseUrl, (err as { cause?: unknown }).cause ?? err);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError(res.status, 'BAD_RESPONSE', `Unexpected non-JSON reply from ${url.pathname}: ${text.slice(0, 200)}`);
    }
    if (!res.ok) throw new ApiError(res.status, json.error_code ?? 'UNKNOWN', json.message ?? text);
    return json as T;
  }

  /** A reply read as it arrives (a streamed result); an error reply is thrown as the ApiError it carries. */
  private async streamed(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { method, headers: { ...this.authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ServerUnreachableError(this.baseUrl, (err as { cause?: unknown }).cause ?? err);
    }
    if (!res.ok || !res.body) {
      const json = await res.json().catch(() => ({}));
      throw new ApiError(res.status, json.error_code ?? 'UNKNOWN', json.message ?? `${method} ${path} answered ${res.status}`);
    }
    return res;
  }

  /** Calls one operation of the v1 table: `params` fill its `:placeholders`. */
  private v1<O extends Operation>(o: O, params: Record<string, string> = {}, extra: { body?: BodyOf<O>; query?: Record<string, string | undefined>; signal?: AbortSignal } = {}): Promise<ReplyOf<O>> {
    const path = o.path.replace(/:(\w+)/g, (_m, k: string) => encodeURIComponent(params[k]));
    const body = extra.body ?? (o.method === 'POST' ? {} : undefined);
    return this.call<ReplyOf<O>>(o.method, path, body, extra.query, extra.signal);
  }

  private artifactUrl(relPath: string): string {
    return `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${relPath.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Uploads one file's bytes to the workspace's artifact store (the artifact proxy). */
  async putArtifact(relPath: string, body: BodyInit | ReadableStream): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.artifactUrl(relPath), {
        method: 'PUT', headers: { ...this.authHeaders(), 'Content-Type': 'application/octet-stream' }, body, duplex: 'half',
      } as RequestInit);
    } catch (err) {
      throw new ServerUnreachableError(this.baseUrl, (err as { cause?: unknown }).cause ?? err);
    }
    if (!res.ok) {
      const json = await res.json().catch(() => ({}));
      throw new ApiError(res.status, json.error_code ?? 'UNKNOWN', json.message ?? `upload of ${relPath} failed`);
    }
  }

  /** Lists one folder of the artifact store. */
  listArtifacts(relPath: string) {
    return this.call<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>('GET', '/api/2.0/mlflow-artifacts/artifacts', undefined, { path: relPath });
  }

  /** One stored file, as a streaming response (the CLI writes it to disk, the studio previews it). */
  async fetchArtifact(relPath: string): Promise<Response> {
    const res = await fetch(this.artifactUrl(relPath), { headers: this.authHeaders() });
    if (!res.ok || !res.body) throw new ApiError(res.status, 'DOWNLOAD_FAILED', `could not download ${relPath}`);
    return res;
  }

  readonly jobs = {
    create: (spec: BodyOf<typeof API_V1.jobs.create>['spec'] | Record<string, unknown>) => this.v1(API_V1.jobs.create, {}, { body: { spec } as BodyOf<typeof API_V1.jobs.create> }),
    validate: (spec: BodyOf<typeof API_V1.jobs.validate>['spec'] | Record<string, unknown>) => this.v1(API_V1.jobs.validate, {}, { body: { spec } as BodyOf<typeof API_V1.jobs.validate> }),
    get: (name: string) => this.v1(API_V1.jobs.get, { name }),
    list: (query: { status?: string; max_results?: string; parent_job_name?: string; compute?: string; created_by?: string } = {}) => this.v1(API_V1.jobs.list, {}, { query }),
    update: (name: string, changes: BodyOf<typeof API_V1.jobs.update>) => this.v1(API_V1.jobs.update, { name }, { body: changes }),
    cancel: (name: string) => this.v1(API_V1.jobs.cancel, { name }),
    logs: (name: string, offsets: { stdout: number; stderr: number; build: number }) =>
      this.v1(API_V1.jobs.logs, { name }, { query: { stdout: String(offsets.stdout), stderr: String(offsets.stderr), build: String(offsets.build) } }),
    snapshot: (hash: string) => this.v1(API_V1.snapshots.get, { hash }),
    outputPreview: (name: string, output: string, rows = 20) => this.v1(API_V1.jobs.outputPreview, { name, output }, { query: { rows: String(rows) } }),
    inferencePipeline: (name: string, scoreStep?: string) => this.v1(API_V1.jobs.inferencePipeline, { name }, scoreStep ? { query: { score_step: scoreStep } } : {}),
    deployInferencePipeline: (name: string, body: BodyOf<typeof API_V1.jobs.deployInferencePipeline>) => this.v1(API_V1.jobs.deployInferencePipeline, { name }, { body }),
  };

  /** The same four calls for each kind of versioned asset. */
  private assets<G extends 'environments' | 'data' | 'components' | 'models'>(group: G) {
    type One = ReplyOf<ApiV1[G]['show']>;
    const ops: Record<'create' | 'list' | 'latest' | 'show' | 'archive', Operation> = API_V1[group];
    return {
      create: (body: BodyOf<ApiV1[G]['create']> | Record<string, unknown>) => this.v1(ops.create, {}, { body }) as Promise<One>,
      list: (name?: string) => this.v1(ops.list, {}, { query: { name } }) as Promise<{ value: One[] }>,
      show: (name: string, version?: string, label?: string) =>
        (version ? this.v1(ops.show, { name, version }) : this.v1(ops.latest, { name }, { query: { label } })) as Promise<One>,
      archive: (name: string, version: string) => this.v1(ops.archive, { name, version }) as Promise<One>,
    };
  }

  readonly environments = {
    ...this.assets('environments'),
    build: (name: string, version: string) => this.v1(API_V1.environments.build, { name, version }),
  };
  readonly data = {
    ...this.assets('data'),
    preview: (name: string, version: string, rows = 20) => this.v1(API_V1.data.preview, { name, version }, { query: { rows: String(rows) } }),
  };
  readonly components = this.assets('components');
  readonly models = {
    ...this.assets('models'),
    files: (name: string, version: string) => this.v1(API_V1.models.files, { name, version }),
  };

  readonly batchEndpoints = {
    create: (body: BodyOf<typeof API_V1.batchEndpoints.create>) => this.v1(API_V1.batchEndpoints.create, {}, { body }),
    list: () => this.v1(API_V1.batchEndpoints.list),
    show: (name: string) => this.v1(API_V1.batchEndpoints.show, { name }),
    update: (name: string, body: BodyOf<typeof API_V1.batchEndpoints.update>) => this.v1(API_V1.batchEndpoints.update, { name }, { body }),
    delete: (name: string) => this.v1(API_V1.batchEndpoints.delete, { name }),
    invoke: (name: string, body: BodyOf<typeof API_V1.batchEndpoints.invoke>) => this.v1(API_V1.batchEndpoints.invoke, { name }, { body }),
    listJobs: (name: string) => this.v1(API_V1.batchEndpoints.listJobs, { name }),
    keys: (name: string) => this.v1(API_V1.batchEndpoints.keys, { name }),
    regenerateKeys: (name: string, keyType: 'primary' | 'secondary') => this.v1(API_V1.batchEndpoints.regenerateKeys, { name }, { body: { key_type: keyType } }),
  };

  readonly batchDeployments = {
    create: (endpoint: string, spec: Record<string, unknown>, setDefault = false) =>
      this.v1(API_V1.batchDeployments.create, { name: endpoint }, { body: { spec, set_default: setDefault } as BodyOf<typeof API_V1.batchDeployments.create> }),
    list: (endpoint: string) => this.v1(API_V1.batchDeployments.list, { name: endpoint }),
    show: (endpoint: string, name: string) => this.v1(API_V1.batchDeployments.show, { name: endpoint, deployment: name }),
    update: (endpoint: string, name: string, spec: Record<string, unknown>) =>
      this.v1(API_V1.batchDeployments.update, { name: endpoint, deployment: name }, { body: { spec } as BodyOf<typeof API_V1.batchDeployments.update> }),
    delete: (endpoint: string, name: string) => this.v1(API_V1.batchDeployments.delete, { name: endpoint, deployment: name }),
  };

  readonly schedules = {
    create: (body: Record<string, unknown>) => this.v1(API_V1.schedules.create, {}, { body: body as BodyOf<typeof API_V1.schedules.create> }),
    list: () => this.v1(API_V1.schedules.list),
    show: (name: string) => this.v1(API_V1.schedules.show, { name }),
    enable: (name: string) => this.v1(API_V1.schedules.enable, { name }),
    disable: (name: string) => this.v1(API_V1.schedules.disable, { name }),
    delete: (name: string) => this.v1(API_V1.schedules.delete, { name }),
  };

  readonly endpoints = {
    create: (body: Record<string, unknown>) => this.v1(API_V1.endpoints.create, {}, { body: body as BodyOf<typeof API_V1.endpoints.create> }),
    list: () => this.v1(API_V1.endpoints.list),
    show: (name: string) => this.v1(API_V1.endpoints.show, { name }),
    update: (name: string, body: BodyOf<typeof API_V1.endpoints.update>) => this.v1(API_V1.endpoints.update, { name }, { body }),
    delete: (name: string) => this.v1(API_V1.endpoints.delete, { name }),
    keys: (name: string) => this.v1(API_V1.endpoints.keys, { name }),
    regenerateKeys: (name: string, keyType: 'primary' | 'secondary') => this.v1(API_V1.endpoints.regenerateKeys, { name }, { body: { key_type: keyType } }),
    /** Calls the scoring URI with the endpoint key, as any client of the endpoint would. */
    invoke: async (scoringUri: string, key: string, body: string, deployment?: string) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` };
      if (deployment) headers['azureml-model-deployment'] = deployment;
      const res = await fetch(scoringUri, { method: 'POST', headers, body });
      return { status: res.status, deployment: res.headers.get('azureml-model-deployment') ?? undefined, body: await res.text() };
    },
  };

  readonly deployments = {
    /** `wait: false` replies at once, Creating; poll show (or follow the logs) until it ends. */
    create: (endpoint: string, spec: Record<string, unknown>, allTraffic: boolean, wait = true) =>
      this.v1(API_V1.deployments.create, { name: endpoint }, { body: { spec, all_traffic: allTraffic } as BodyOf<typeof API_V1.deployments.create>, query: wait ? {} : { no_wait: 'true' } }),
    list: (endpoint: string) => this.v1(API_V1.deployments.list, { name: endpoint }),
    show: (endpoint: string, name: string) => this.v1(API_V1.deployments.show, { name: endpoint, deployment: name }),
    update: (endpoint: string, name: string, changes: Record<string, unknown>, wait = true) =>
      this.v1(API_V1.deployments.update, { name: endpoint, deployment: name }, { body: changes as BodyOf<typeof API_V1.deployments.update>, query: wait ? {} : { no_wait: 'true' } }),
    delete: (endpoint: string, name: string) => this.v1(API_V1.deployments.delete, { name: endpoint, deployment: name }),
    logs: (endpoint: string, name: string, lines: number) => this.v1(API_V1.deployments.logs, { name: endpoint, deployment: name }, { query: { lines: String(lines) } }),
  };

  readonly computes = {
    list: () => this.v1(API_V1.computes.list),
    get: (name: string) => this.v1(API_V1.computes.get, { name }),
    create: (c: BodyOf<typeof API_V1.computes.create>) => this.v1(API_V1.computes.create, {}, { body: c }),
    delete: (name: string) => this.v1(API_V1.computes.delete, { name }),
    start: (name: string) => this.v1(API_V1.computes.start, { name }),
    stop: (name: string) => this.v1(API_V1.computes.stop, { name }),
    restart: (name: string) => this.v1(API_V1.computes.restart, { name }),
    resize: (name: string, workers: number) => this.v1(API_V1.computes.resize, { name }, { body: { workers } }),
  };

  /** The workspace file share (compute instances' Jupyter root). */
  readonly files = this.fileArea('/api/v1/files');

  readonly users = {
    create: (body: BodyOf<typeof API_V1.users.create>) => this.v1(API_V1.users.create, {}, { body }),
    list: () => this.v1(API_V1.users.list),
    show: (name: string) => this.v1(API_V1.users.show, { name }),
    update: (name: string, body: BodyOf<typeof API_V1.users.update>) => this.v1(API_V1.users.update, { name }, { body }),
    setPassword: (name: string, password: string) => this.v1(API_V1.users.setPassword, { name }, { body: { password } }),
    delete: (name: string) => this.v1(API_V1.users.delete, { name }),
    tokens: (name: string) => this.v1(API_V1.users.tokens, { name }),
    revokeToken: (name: string, id: string) => this.v1(API_V1.users.revokeToken, { name, id }),
  };

  readonly groups = {
    create: (body: BodyOf<typeof API_V1.groups.create>) => this.v1(API_V1.groups.create, {}, { body }),
    list: () => this.v1(API_V1.groups.list),
    show: (name: string) => this.v1(API_V1.groups.show, { name }),
    delete: (name: string) => this.v1(API_V1.groups.delete, { name }),
    addMember: (name: string, username: string) => this.v1(API_V1.groups.addMember, { name }, { body: { username } }),
    removeMember: (name: string, username: string) => this.v1(API_V1.groups.removeMember, { name, username }),
  };

  readonly roles = {
    list: () => this.v1(API_V1.roles.list),
    assignments: () => this.v1(API_V1.roles.assignments),
    assign: (body: BodyOf<typeof API_V1.roles.assign>) => this.v1(API_V1.roles.assign, {}, { body }),
    unassign: (principalType: 'user' | 'group', principal: string, role: string) => this.v1(API_V1.roles.unassign, { principal_type: principalType, principal, role }),
  };

  readonly tokens = {
    create: (name: string, lifetimeDays?: number) => this.v1(API_V1.tokens.create, {}, { body: { name, ...(lifetimeDays ? { lifetime_days: lifetimeDays } : {}) } }),
    list: () => this.v1(API_V1.tokens.list),
    revoke: (id: string) => this.v1(API_V1.tokens.revoke, { id }),
  };

  readonly audit = {
    list: (query: { since?: string; user?: string; action?: string; outcome?: string; max_results?: string } = {}) => this.v1(API_V1.audit.list, {}, { query }),
  };

  /** Studio sign-in: a session cookie (the browser keeps it) and the CSRF token its writes send. */
  readonly auth = {
    login: (username: string, password: string) =>
      this.call<{ username: string; roles: string[]; admin: boolean; csrf_token: string }>('POST', '/api/v1/auth/login', { username, password }),
    logout: () => this.call<Record<string, never>>('POST', '/api/v1/auth/logout', {}),
    me: () => this.call<{ username: string; roles: string[]; admin: boolean; via: string; auth_enabled: boolean; csrf_token?: string }>('GET', '/api/v1/auth/me'),
    /** Whether authentication is on, and the single sign-on provider, if any (answered without credentials). */
    config: () => this.call<{ auth_enabled: boolean; sso: { issuer: string; client_id: string; scopes: string } | null }>('GET', '/api/v1/auth/config'),
  };

  readonly sql = {
    schema: () => this.v1(API_V1.sql.schema),
    /** `signal` cancels the query (the server interrupts it when the request goes). */
    query: (query: string, maxRows?: number, signal?: AbortSignal, saveAs?: { name: string; version?: string }) =>
      this.v1(API_V1.sql.query, {}, { body: { query, ...(maxRows ? { max_rows: maxRows } : {}), ...(saveAs ? { save_as: saveAs } : {}) }, signal }),
    /** A query's whole result as a streaming response: CSV or JSON lines, no row limit. */
    export: (query: string, format: 'csv' | 'ndjson' = 'csv', signal?: AbortSignal) => this.streamed('POST', '/api/v1/sql/export', { query, format }, signal),
  };

  readonly datastores = {
    list: () => this.v1(API_V1.datastores.list),
    get: (name: string) => this.v1(API_V1.datastores.get, { name }),
    /** A datastore's files (the default datastore, workspaceblobstore, takes uploads). */
    files: (name: string) => this.fileArea(`/api/v1/datastores/${encodeURIComponent(name)}/files`),
  };

  /** List, upload, download, rename and delete in a file area (the share, a datastore). */
  private fileArea(base: string) {
    const url = (file: string) => `${this.baseUrl}${base}/content/${encodePath(file)}`;
    return {
      list: (dir = '') => this.call<{ path: string; files: { path: string; is_dir: boolean; file_size?: number; created_by?: string; modified_by?: string }[] }>('GET', base, undefined, { path: dir }),
      upload: async (file: string, body: BodyInit | ReadableStream): Promise<{ path: string; size: number }> => (await this.send('PUT', url(file), body)).json(),
      download: (file: string): Promise<Response> => this.send('GET', url(file)),
      delete: (file: string) => this.call<Record<string, never>>('DELETE', `${base}/content/${encodePath(file)}`),
      rename: (from: string, to: string) => this.call<{ path: string }>('POST', `${base}/rename`, undefined, { from, to }),
      /** The file's text (notebooks, scripts). */
      read: async (file: string) => (await this.send('GET', url(file))).text(),
    };
  }

  /** The token this client authenticates with (the studio hands it to Jupyter clients for the proxy). */
  get credentials(): string | undefined {
    return this.token;
  }

  /** A signed-in studio session's CSRF token (Jupyter clients send it too). */
  get csrfToken(): string | undefined {
    return this.csrf;
  }


  /** A raw request (bytes in or out); errors become ApiError like every other call. */
  private async send(method: string, url: string, body?: BodyInit | ReadableStream): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, {
        method, body, headers: { ...this.authHeaders(), ...(body ? { 'Content-Type': 'application/octet-stream' } : {}) }, ...(body ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      throw new ServerUnreachableError(this.baseUrl, (err as { cause?: unknown }).cause ?? err);
    }
    if (!res.ok) {
      const json = await res.json().catch(() => ({}));
      throw new ApiError(res.status, json.error_code ?? 'UNKNOWN', json.message ?? `${method} ${new URL(url).pathname} failed`);
    }
    return res;
  }

  health(): Promise<string> {
    return fetch(`${this.baseUrl}/health`).then((r) => r.text(), (err) => {
      throw new ServerUnreachableError(this.baseUrl, err.cause ?? err);
    });
  }

  readonly experiments = {
    search: (req: { filter?: string; max_results?: number; order_by?: string[]; page_token?: string; view_type?: string } = {}) =>
      this.call<{ experiments?: Experiment[]; next_page_token?: string }>('POST', '/api/2.0/mlflow/experiments/search', { max_results: 1000, ...req }),
    get: (experimentId: string) =>
      this.call<{ experiment: Experiment }>('GET', '/api/2.0/mlflow/experiments/get', undefined, { experiment_id: experimentId }),
    getByName: (name: string) =>
      this.call<{ experiment: Experiment }>('GET', '/api/2.0/mlflow/experiments/get-by-name', undefined, { experiment_name: name }),
    create: (name: string) => this.call<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { name }),
  };

  readonly runs = {
    search: (req: SearchRunsRequest) => this.call<{ runs?: Run[]; next_page_token?: string }>('POST', '/api/2.0/mlflow/runs/search', req),
    get: (runId: string) => this.call<{ run: Run }>('GET', '/api/2.0/mlflow/runs/get', undefined, { run_id: runId }),
    create: (req: { experiment_id: string; run_name?: string; start_time?: number }) =>
      this.call<{ run: Run }>('POST', '/api/2.0/mlflow/runs/create', req),
    update: (req: { run_id: string; status?: string; end_time?: number }) =>
      this.call<{ run_info: RunInfo }>('POST', '/api/2.0/mlflow/runs/update', req),
    logBatch: (req: { run_id: string; metrics?: unknown[]; params?: unknown[]; tags?: unknown[] }) =>
      this.call<Record<string, never>>('POST', '/api/2.0/mlflow/runs/log-batch', req),
    setTag: (runId: string, key: string, value: string) => this.call<Record<string, never>>('POST', '/api/2.0/mlflow/runs/set-tag', { run_id: runId, key, value }),
    deleteTag: (runId: string, key: string) => this.call<Record<string, never>>('POST', '/api/2.0/mlflow/runs/delete-tag', { run_id: runId, key }),
    metricHistory: (runId: string, key: string) =>
      this.call<{ metrics?: { key: string; value: number; step: number; timestamp: number }[] }>('GET', '/api/2.0/mlflow/metrics/get-history', undefined, { run_id: runId, metric_key: key, max_results: '25000' }),
  };

  /** The MLflow model registry. */
  readonly registry = {
    searchModels: (req: { filter?: string; max_results?: number; page_token?: string } = {}) =>
      this.call<{ registered_models?: Record<string, any>[]; next_page_token?: string }>('POST', '/api/2.0/mlflow/registered-models/search', { max_results: 1000, ...req }),
    getModel: (name: string) => this.call<{ registered_model: Record<string, any> }>('GET', '/api/2.0/mlflow/registered-models/get', undefined, { name }),
    searchVersions: (filter: string) =>
      this.call<{ model_versions?: Record<string, any>[] }>('POST', '/api/2.0/mlflow/model-versions/search', { filter, max_results: 1000 }),
    getVersion: (name: string, version: string) =>
      this.call<{ model_version: Record<string, any> }>('GET', '/api/2.0/mlflow/model-versions/get', undefined, { name, version }),
    updateVersion: (name: string, version: string, description: string) =>
      this.call<{ model_version: Record<string, any> }>('PATCH', '/api/2.0/mlflow/model-versions/update', { name, version, description }),
    setVersionTag: (name: string, version: string, key: string, value: string) =>
      this.call<Record<string, never>>('POST', '/api/2.0/mlflow/model-versions/set-tag', { name, version, key, value }),
    deleteVersionTag: (name: string, version: string, key: string) =>
      this.call<Record<string, never>>('DELETE', '/api/2.0/mlflow/model-versions/delete-tag', { name, version, key }),
    versionByAlias: (name: string, alias: string) =>
      this.call<{ model_version: Record<string, any> }>('GET', '/api/2.0/mlflow/registered-models/alias', undefined, { name, alias }),
    setAlias: (name: string, alias: string, version: string) =>
      this.call<Record<string, never>>('POST', '/api/2.0/mlflow/registered-models/alias', { name, alias, version }),
    deleteAlias: (name: string, alias: string) =>
      this.call<Record<string, never>>('DELETE', '/api/2.0/mlflow/registered-models/alias', { name, alias }),
  };
}

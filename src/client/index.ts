/**
 * The typed REST client the CLI and the studio use to talk to a workspace. It speaks the
 * workspace's MLflow-compatible API and REST API v1 and surfaces its `{error_code, message}`
 * errors as `ApiError`. Only `fetch`: it runs in Node and in the browser alike (file-system
 * helpers live with the CLI, in src/cli/transfer.ts).
 */
import type { Experiment, Run, RunInfo } from '../specs/mlflow-entities.ts';
import type { JobSpec } from '../specs/command-job.ts';
import type { Compute } from '../compute/computes.ts';

export type ScheduleJson = Record<string, any> & { name: string; is_enabled: boolean };
export type JobJson = Record<string, any> & { name: string; status: string; display_name?: string; experiment_name?: string; compute?: string };
export type AssetJson = Record<string, any> & { name: string; version: string };
export type EndpointJson = Record<string, any> & { name: string; scoring_uri: string; provisioning_state: string; traffic: Record<string, number> };
export type DeploymentJson = Record<string, any> & { name: string; provisioning_state: string };
export interface DataPreview {
  file: string;
  row_count: number;
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  stats: { column: string; type: string; min: unknown; max: unknown; distinct: unknown; mean: unknown; std: unknown; nulls_percent: unknown }[];
}
export interface LogChunk { data: string; offset: number }
export interface JobLogs { name: string; status: string; build: LogChunk; stdout: LogChunk; stderr: LogChunk; error?: { message: string; exit_code?: number; stderr_tail?: string } }

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

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
  }

  private authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  private async call<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = this.authHeaders();
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
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
    create: (spec: JobSpec | Record<string, unknown>) => this.call<JobJson>('POST', '/api/v1/jobs', { spec }),
    validate: (spec: JobSpec | Record<string, unknown>) => this.call<Record<string, any>>('POST', '/api/v1/jobs/validate', { spec }),
    get: (name: string) => this.call<JobJson>('GET', `/api/v1/jobs/${encodeURIComponent(name)}`),
    list: (query: { status?: string; max_results?: string; parent_job_name?: string; compute?: string } = {}) => this.call<{ value: JobJson[] }>('GET', '/api/v1/jobs', undefined, query),
    update: (name: string, changes: Record<string, unknown>) => this.call<JobJson>('PATCH', `/api/v1/jobs/${encodeURIComponent(name)}`, changes),
    cancel: (name: string) => this.call<JobJson>('POST', `/api/v1/jobs/${encodeURIComponent(name)}/cancel`, {}),
    logs: (name: string, offsets: { stdout: number; stderr: number; build: number }) =>
      this.call<JobLogs>('GET', `/api/v1/jobs/${encodeURIComponent(name)}/logs`, undefined, {
        stdout: String(offsets.stdout), stderr: String(offsets.stderr), build: String(offsets.build),
      }),
    snapshot: (hash: string) => this.call<{ snapshot_complete: boolean; upload_complete: boolean }>('GET', `/api/v1/snapshots/${hash}`),
  };

  private assets(plural: string) {
    const base = `/api/v1/${plural}`;
    return {
      create: (body: Record<string, unknown>) => this.call<AssetJson>('POST', base, body),
      list: (name?: string) => this.call<{ value: AssetJson[] }>('GET', base, undefined, { name }),
      show: (name: string, version?: string, label?: string) =>
        version
          ? this.call<AssetJson>('GET', `${base}/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`)
          : this.call<AssetJson>('GET', `${base}/${encodeURIComponent(name)}`, undefined, { label }),
      archive: (name: string, version: string) =>
        this.call<AssetJson>('POST', `${base}/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/archive`, {}),
    };
  }

  readonly environments = {
    ...this.assets('environments'),
    build: (name: string, version: string) =>
      this.call<{ state: string; hash?: string; log?: string; note?: string }>('GET', `/api/v1/environments/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/build`),
  };
  readonly data = {
    ...this.assets('data'),
    preview: (name: string, version: string, rows = 20) =>
      this.call<DataPreview>('GET', `/api/v1/data/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/preview`, undefined, { rows: String(rows) }),
  };
  readonly components = this.assets('components');
  readonly models = {
    ...this.assets('models'),
    files: (name: string, version: string) =>
      this.call<{ path: string }>('GET', `/api/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/files`),
  };

  readonly schedules = {
    create: (body: Record<string, unknown>) => this.call<ScheduleJson>('POST', '/api/v1/schedules', body),
    list: () => this.call<{ value: ScheduleJson[] }>('GET', '/api/v1/schedules'),
    show: (name: string) => this.call<ScheduleJson>('GET', `/api/v1/schedules/${encodeURIComponent(name)}`),
    enable: (name: string) => this.call<ScheduleJson>('POST', `/api/v1/schedules/${encodeURIComponent(name)}/enable`, {}),
    disable: (name: string) => this.call<ScheduleJson>('POST', `/api/v1/schedules/${encodeURIComponent(name)}/disable`, {}),
    delete: (name: string) => this.call<Record<string, never>>('DELETE', `/api/v1/schedules/${encodeURIComponent(name)}`),
  };

  readonly endpoints = {
    create: (body: Record<string, unknown>) => this.call<EndpointJson>('POST', '/api/v1/online-endpoints', body),
    list: () => this.call<{ value: EndpointJson[] }>('GET', '/api/v1/online-endpoints'),
    show: (name: string) => this.call<EndpointJson>('GET', `/api/v1/online-endpoints/${encodeURIComponent(name)}`),
    update: (name: string, body: Record<string, unknown>) => this.call<EndpointJson>('PATCH', `/api/v1/online-endpoints/${encodeURIComponent(name)}`, body),
    delete: (name: string) => this.call<Record<string, never>>('DELETE', `/api/v1/online-endpoints/${encodeURIComponent(name)}`),
    keys: (name: string) => this.call<{ primaryKey: string; secondaryKey: string }>('POST', `/api/v1/online-endpoints/${encodeURIComponent(name)}/list-keys`, {}),
    regenerateKeys: (name: string, keyType: string) =>
      this.call<{ primaryKey: string; secondaryKey: string }>('POST', `/api/v1/online-endpoints/${encodeURIComponent(name)}/regenerate-keys`, { key_type: keyType }),
    /** Calls the scoring URI with the endpoint key, as any client of the endpoint would. */
    invoke: async (scoringUri: string, key: string, body: string, deployment?: string) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` };
      if (deployment) headers['azureml-model-deployment'] = deployment;
      const res = await fetch(scoringUri, { method: 'POST', headers, body });
      return { status: res.status, deployment: res.headers.get('azureml-model-deployment') ?? undefined, body: await res.text() };
    },
  };

  readonly deployments = {
    create: (endpoint: string, spec: Record<string, unknown>, allTraffic: boolean) =>
      this.call<DeploymentJson>('POST', `/api/v1/online-endpoints/${encodeURIComponent(endpoint)}/deployments`, { spec, all_traffic: allTraffic }),
    list: (endpoint: string) => this.call<{ value: DeploymentJson[] }>('GET', `/api/v1/online-endpoints/${encodeURIComponent(endpoint)}/deployments`),
    show: (endpoint: string, name: string) => this.call<DeploymentJson>('GET', `/api/v1/online-endpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}`),
    update: (endpoint: string, name: string, changes: Record<string, unknown>) =>
      this.call<DeploymentJson>('PATCH', `/api/v1/online-endpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}`, changes),
    delete: (endpoint: string, name: string) =>
      this.call<Record<string, never>>('DELETE', `/api/v1/online-endpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}`),
    logs: (endpoint: string, name: string, lines: number) =>
      this.call<{ content: string }>('GET', `/api/v1/online-endpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}/logs`, undefined, { lines: String(lines) }),
  };

  readonly computes = {
    list: () => this.call<{ value: Compute[] }>('GET', '/api/v1/computes'),
    get: (name: string) => this.call<Compute>('GET', `/api/v1/computes/${encodeURIComponent(name)}`),
    create: (c: { name: string; type?: string; max_instances?: number; description?: string }) => this.call<Compute>('POST', '/api/v1/computes', c),
    delete: (name: string) => this.call<Record<string, never>>('DELETE', `/api/v1/computes/${encodeURIComponent(name)}`),
  };

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
  };
}

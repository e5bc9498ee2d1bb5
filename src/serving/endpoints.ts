/**
 * Managed online endpoints: a stable scoring URI with key auth in front of deployments, each a
 * pool of score.py workers in its own environment. Traffic weights pick a deployment per
 * request (or the `azureml-model-deployment` header pins one); mirrored traffic is copied and
 * its answers dropped. Updating a deployment starts the new workers before the old ones stop,
 * so requests in flight finish and none fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { exportPath } from '../artifacts/local-store.ts';
import { snapshotFolder, uploadStorePath } from '../artifacts/layout.ts';
import type { EnvironmentBuilder } from '../environments/builder.ts';
import { resolveEnvironment } from '../environments/resolve.ts';
import type { EnvironmentAssetService } from '../assets/environments.ts';
import type { ModelAssetService } from '../assets/models.ts';
import { alreadyExists, invalid, notFound, StratusError } from '../util/errors.ts';
import { currentActor } from '../util/actor.ts';
import { newEndpointKeys, opensWith, regenerated, type EndpointKeys } from '../util/secrets.ts';
import { childEnv } from '../util/child-env.ts';
import { WorkerPool } from './worker-pool.ts';
import { HARNESS } from '../util/python-harness.ts';
import type { Scorer, ScoreResult } from './scorer.ts';
import { findOnnxFile, OnnxScorer } from './onnx-scorer.ts';
import type { PythonEnvSpec } from '../environments/conda.ts';
import { pickDeployment, validateTraffic } from '../specs/traffic.ts';
import { LatencyStats } from './stats.ts';
import { DEFAULT_PROBE, readProbe } from '../specs/probe-settings.ts';
import { mlflowModelEnvironment } from '../environments/mlflow-model.ts';
import type { DeploymentSpec } from '../specs/deployment-yaml.ts';


interface EndpointRow { name: string; auth_mode: string; keys: string; traffic: string; mirror_traffic: string; description: string | null; tags: string; created_at: number; created_by: string | null }
/** An endpoint whose caller passed `authorize()`: the one read of the endpoint a request needs. */
export type AuthorizedEndpoint = EndpointRow;
interface DeploymentRow { endpoint: string; name: string; spec: string; provisioning_state: string; error: string | null; created_at: number; updated_at: number }

/** The one answer to a wrong key, whether or not the endpoint exists (names cannot be probed). */
export const INVALID_KEY = 'The key is not valid for this endpoint (it may have been regenerated).';

export class EndpointService {
  private pools = new Map<string, Scorer>();
  private stats = new Map<string, LatencyStats>();
  private baseUrl = 'http://127.0.0.1:7700';

  constructor(
    private db: Db,
    private store: LocalArtifactStore,
    private builder: EnvironmentBuilder,
    private environments: EnvironmentAssetService,
    private models: ModelAssetService,
    private dir: string,
  ) {}

  /** The address clients reach this workspace at (once started). */
  publicUrl(): string {
    return this.baseUrl;
  }

  /** Brings every deployment that was up before a restart back up. */
  async start(baseUrl: string): Promise<void> {
    this.baseUrl = baseUrl;
    const rows = await this.db.all<DeploymentRow>(`SELECT * FROM online_deployments WHERE provisioning_state IN ('Succeeded', 'Creating', 'Updating') OR served = 1`);
    for (const r of rows) void this.provision(JSON.parse(r.spec) as DeploymentSpec).catch(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
    this.pools.clear();
  }

  private key(endpoint: string, deployment: string) {
    return `${endpoint}/${deployment}`;
  }

  private async endpointRow(name: string): Promise<EndpointRow> {
    const row = await this.db.get<EndpointRow>('SELECT * FROM online_endpoints WHERE name = ?', [name]);
    if (!row) throw notFound(`Online endpoint '${name}' does not exist. Create it with: stratus online-endpoint create --name ${name}`);
    return row;
  }

  private async deploymentRow(endpoint: string, name: string): Promise<DeploymentRow> {
    const row = await this.db.get<DeploymentRow>('SELECT * FROM online_deployments WHERE endpoint = ? AND name = ?', [endpoint, name]);
    if (!row) throw notFound(`Deployment '${name}' does not exist on endpoint '${endpoint}'.`);
    return row;
  }

  async createEndpoint(input: { name: string; auth_mode?: string; description?: string; tags?: Record<string, string> }) {
    if (!/^[A-Za-z][A-Za-z0-9-]{2,31}$/.test(input.name ?? '')) {
      throw invalid(`Invalid endpoint name '${input.name}': 3-32 letters, digits and '-', starting with a letter (Azure ML's rule).`);
    }
    const auth = input.auth_mode ?? 'key';
    if (auth !== 'key' && auth !== 'aml_token') throw invalid(`Invalid auth_mode '${auth}': use key or aml_token.`);
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM online_endpoints WHERE name = ?', [input.name])) throw alreadyExists(`Online endpoint '${input.name}' already exists.`);
      await t.run('INSERT INTO online_endpoints (name, auth_mode, keys, traffic, mirror_traffic, description, tags, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [input.name, auth, JSON.stringify(newEndpointKeys()), '{}', '{}', input.description ?? null, JSON.stringify(input.tags ?? {}), Date.now(), currentActor() ?? null]);
    });
    return this.showEndpoint(input.name);
  }

  async showEndpoint(name: string) {
    const row = await this.endpointRow(name);
    const deployments = await this.db.all<DeploymentRow>('SELECT * FROM online_deployments WHERE endpoint = ?', [name]);
    const failed = deployments.some((d) => d.provisioning_state === 'Failed');
    const creating = deployments.some((d) => d.provisioning_state === 'Creating' || d.provisioning_state === 'Updating');
    return {
      name: row.name,
      auth_mode: row.auth_mode,
      scoring_uri: `${this.baseUrl}/endpoints/${row.name}/score`,
      swagger_uri: `${this.baseUrl}/endpoints/${row.name}/swagger.json`,
      provisioning_state: creating ? 'Updating' : failed && deployments.every((d) => d.provisioning_state === 'Failed') ? 'Failed' : 'Succeeded',
      traffic: JSON.parse(row.traffic),
      mirror_traffic: JSON.parse(row.mirror_traffic),
      description: row.description ?? undefined,
      tags: JSON.parse(row.tags),
      deployments: deployments.map((d) => ({ name: d.name, provisioning_state: d.provisioning_state, metrics: this.stats.get(this.key(name, d.name))?.summary() })),
      creation_context: { created_at: new Date(Number(row.created_at)).toISOString(), ...(row.created_by ? { created_by: row.created_by } : {}) },
    };
  }

  async listEndpoints() {
    const rows = await this.db.all<{ name: string }>('SELECT name FROM online_endpoints ORDER BY name');
    return Promise.all(rows.map((r) => this.showEndpoint(r.name)));
  }

  async updateEndpoint(name: string, changes: { traffic?: Record<string, number>; mirror_traffic?: Record<string, number>; description?: string }) {
    const row = await this.endpointRow(name);
    const rows = await this.db.all<{ name: string; provisioning_state: string }>('SELECT name, provisioning_state FROM online_deployments WHERE endpoint = ?', [name]);
    const traffic = changes.traffic ?? JSON.parse(row.traffic);
    const mirror = changes.mirror_traffic ?? JSON.parse(row.mirror_traffic);
    validateTraffic(traffic, mirror, rows.map((d) => d.name));
    // Traffic goes only to a deployment that serves: a Failed or still-Creating one would answer 503.
    const newTraffic = { ...(changes.traffic ?? {}), ...(changes.mirror_traffic ?? {}) };
    for (const d of rows) {
      if ((newTraffic[d.name] ?? 0) > 0 && !this.pools.has(this.key(name, d.name))) {
        throw invalid(d.provisioning_state === 'Failed'
          ? `Deployment '${d.name}' is Failed and serves nothing, so it cannot take traffic. Its logs say why: stratus online-deployment get-logs -n ${d.name} -e ${name}; fix it with stratus online-deployment update.`
          : `Deployment '${d.name}' is ${d.provisioning_state} and does not serve yet; send it traffic once it has Succeeded (stratus online-deployment show -n ${d.name} -e ${name}).`);
      }
    }
    await this.db.run('UPDATE online_endpoints SET traffic = ?, mirror_traffic = ?, description = ? WHERE name = ?',
      [JSON.stringify(traffic), JSON.stringify(mirror), changes.description ?? row.description, name]);
    return this.showEndpoint(name);
  }

  async credentials(name: string) {
    const row = await this.endpointRow(name);
    return JSON.parse(row.keys) as EndpointKeys;
  }

  async regenerateKeys(name: string, keyType: 'primary' | 'secondary' = 'primary') {
    const keys = regenerated(await this.credentials(name), keyType);
    if (!keys) throw invalid(`Invalid key type '${keyType}': use primary or secondary.`);
    await this.db.run('UPDATE online_endpoints SET keys = ? WHERE name = ?', [JSON.stringify(keys), name]);
    return keys;
  }

  async deleteEndpoint(name: string): Promise<void> {
    await this.endpointRow(name);
    const deployments = await this.db.all<{ name: string }>('SELECT name FROM online_deployments WHERE endpoint = ?', [name]);
    for (const d of deployments) await this.stopPool(name, d.name);
    await this.db.run('DELETE FROM online_deployments WHERE endpoint = ?', [name]);
    await this.db.run('DELETE FROM online_endpoints WHERE name = ?', [name]);
  }

  /** Creates a deployment; unless `wait` is false, returns once it is up (or has failed). */
  async createDeployment(spec: DeploymentSpec, allTraffic = false, wait = true) {
    await this.endpointRow(spec.endpoint_name);
    this.checkSpec(spec);
    if (await this.db.get('SELECT 1 AS x FROM online_deployments WHERE endpoint = ? AND name = ?', [spec.endpoint_name, spec.name])) {
      throw alreadyExists(`Deployment '${spec.name}' already exists on endpoint '${spec.endpoint_name}'. Change it with: stratus online-deployment update`);
    }
    await resolveEnvironment(spec.environment, this.environments);
    if (spec.model) await this.modelPath(spec.model);
    const now = Date.now();
    await this.db.run('INSERT INTO online_deployments (endpoint, name, spec, provisioning_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [spec.endpoint_name, spec.name, JSON.stringify(spec), 'Creating', now, now]);
    const up = this.provision(spec).then(async () => {
      if (!allTraffic) return;
      const state = (await this.deploymentRow(spec.endpoint_name, spec.name)).provisioning_state;
      if (state === 'Succeeded') await this.updateEndpoint(spec.endpoint_name, { traffic: { [spec.name]: 100 } });
    });
    if (wait) await up;
    else void up.catch(() => undefined);
    return this.showDeployment(spec.endpoint_name, spec.name);
  }

  private checkSpec(spec: DeploymentSpec): void {
    if (!/^[A-Za-z][A-Za-z0-9-]{2,31}$/.test(spec.name ?? '')) throw invalid(`Invalid deployment name '${spec.name}': 3-32 letters, digits and '-', starting with a letter.`);
    if (!Number.isInteger(spec.instance_count) || spec.instance_count < 1 || spec.instance_count > 16) throw invalid(`Invalid instance_count ${spec.instance_count}: 1 to 16 on this host.`);
    const rs = spec.request_settings;
    if (!(rs.request_timeout_ms > 0) || !(rs.max_concurrent_requests_per_instance >= 1)) throw invalid('request_settings need request_timeout_ms > 0 and max_concurrent_requests_per_instance >= 1.');
    if (!spec.code && !spec.model) {
      throw invalid("A deployment needs code_configuration (code + scoring_script, the score.py runtime) or a model with no code: an MLflow model or an ONNX model.");
    }
    if (spec.code && !spec.scoring_script) throw invalid("code_configuration needs 'scoring_script' (e.g. score.py).");
    // Probes arrive from YAML (already read) or a REST body: read again so defaults fill and bad values are a 400.
    for (const key of ['liveness_probe', 'readiness_probe'] as const) {
      spec[key] = readProbe(key, spec[key], (where, message) => invalid(`${where.join('.')}: ${message}`));
    }
  }

  private async modelPath(model: string): Promise<string> {
    const upload = uploadStorePath(model);
    if (upload) return upload;
    const m = /^azureml:([A-Za-z0-9][\w.-]*?)(?::(\d+)|@latest)?$/.exec(model);
    if (!m) throw invalid(`Cannot read model '${model}': use azureml:<name>:<version> or a local path.`);
    const version = m[2] ?? String((await this.models.show(m[1])).version);
    return this.models.storePath(m[1], version);
  }

  /** Builds the environment, lays out model and code, starts workers; records the outcome. */
  private async provision(spec: DeploymentSpec): Promise<void> {
    const key = this.key(spec.endpoint_name, spec.name);
    const root = path.join(this.dir, spec.endpoint_name, spec.name);
    const logFile = path.join(root, 'logs', 'user_logs.txt');
    try {
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      const release = path.join(root, `release-${Date.now()}`);
      const modelDir = path.join(release, 'model');
      fs.mkdirSync(modelDir, { recursive: true });
      let modelFolder: string | undefined;
      if (spec.model) {
        const rel = await this.modelPath(spec.model);
        modelFolder = path.join(modelDir, path.basename(rel));
        await exportPath(this.store, rel, modelFolder);
      }
      // No score.py: an MLflow model served by the no-code runtime, in an environment built
      // from the model's own requirements unless the deployment names one.
      const noCode = !spec.code;
      const onnxFile = noCode && modelFolder ? findOnnxFile(modelFolder) : undefined;
      if (onnxFile) {
        fs.appendFileSync(logFile, `serving ${path.basename(onnxFile)} with onnxruntime-node in ${spec.instance_count} thread(s) of the server process\n`);
        // No process to probe and no Python environment; request_settings apply as to workers.
        const settings = { instances: spec.instance_count, perInstance: spec.request_settings.max_concurrent_requests_per_instance, timeoutMs: spec.request_settings.request_timeout_ms };
        return await this.swapIn(spec, await OnnxScorer.load(onnxFile, settings));
      }
      if (noCode && !(modelFolder && fs.existsSync(path.join(modelFolder, 'MLmodel')))) {
        throw invalid('A deployment without code_configuration needs an MLflow model (a folder with an MLmodel file) or an ONNX model (one .onnx file).');
      }
      const envSpec = noCode && spec.environment.kind === 'host' ? mlflowModelEnvironment(modelFolder!) : await resolveEnvironment(spec.environment, this.environments);
      const built = envSpec ? await this.builder.ensure(envSpec, (t) => fs.appendFileSync(logFile, t)) : undefined;
      const appRoot = noCode ? path.join(HARNESS, 'stratus_scoring') : path.join(release, 'code');
      if (!noCode) await exportPath(this.store, snapshotFolder(spec.code!), appRoot);
      const workersPerInstance = Number(spec.environment_variables.WORKER_COUNT ?? 1) || 1;
      const pool = new WorkerPool({
        workers: spec.instance_count * workersPerInstance,
        python: built?.python ?? 'python3',
        appRoot,
        entryScript: noCode ? 'mlflow_score.py' : spec.scoring_script!,
        env: {
          ...childEnv(), ...spec.environment_variables, AZUREML_MODEL_DIR: modelDir, PYTHONUNBUFFERED: '1',
          ...(modelFolder ? { STRATUS_MLFLOW_MODEL_PATH: modelFolder } : {}),
          ...(built?.prefix ? { VIRTUAL_ENV: built.prefix, PATH: `${path.join(built.prefix, 'bin')}:${process.env.PATH ?? ''}` } : {}),
        },
        logFile,
        maxQueued: spec.instance_count * spec.request_settings.max_concurrent_requests_per_instance,
        timeoutMs: spec.request_settings.request_timeout_ms,
        liveness: spec.liveness_probe ?? DEFAULT_PROBE,
        readiness: spec.readiness_probe ?? DEFAULT_PROBE,
      });
      await pool.start();
      await this.swapIn(spec, pool);
    } catch (err) {
      // The worker says which step failed: importing score.py, its init(), or a missing run().
      const reason = (err as Error).message;
      // A failed update leaves the last good version serving, and its spec stored (Azure's rule).
      const message = this.pools.has(key) ? `The update failed; the previous version keeps serving. ${reason}` : reason;
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      fs.appendFileSync(logFile, `${message}\n`);
      await this.db.run('UPDATE online_deployments SET provisioning_state = ?, error = ?, updated_at = ? WHERE endpoint = ? AND name = ?',
        ['Failed', message, Date.now(), spec.endpoint_name, spec.name]);
    }
  }

  /** New requests go to the new runtime; the old one finishes what it has, then stops. */
  private async swapIn(spec: DeploymentSpec, scorer: Scorer): Promise<void> {
    const key = this.key(spec.endpoint_name, spec.name);
    const old = this.pools.get(key);
    this.pools.set(key, scorer);
    if (!this.stats.has(key)) this.stats.set(key, new LatencyStats());
    // The stored spec is always the one that serves: an update's spec is stored only now.
    await this.db.run('UPDATE online_deployments SET spec = ?, provisioning_state = ?, error = NULL, served = 1, updated_at = ? WHERE endpoint = ? AND name = ?',
      [JSON.stringify(spec), 'Succeeded', Date.now(), spec.endpoint_name, spec.name]);
    if (old) void old.drain();
  }

  async showDeployment(endpoint: string, name: string) {
    const row = await this.deploymentRow(endpoint, name);
    const spec = JSON.parse(row.spec) as DeploymentSpec;
    return {
      name: row.name,
      endpoint_name: row.endpoint,
      provisioning_state: row.provisioning_state,
      error: row.error ?? undefined,
      model: spec.model,
      code_configuration: { code: spec.code ? `snapshot:${spec.code}` : undefined, scoring_script: spec.scoring_script },
      instance_count: spec.instance_count,
      request_settings: spec.request_settings,
      liveness_probe: spec.liveness_probe ?? DEFAULT_PROBE,
      readiness_probe: spec.readiness_probe ?? DEFAULT_PROBE,
      environment_variables: spec.environment_variables,
      description: spec.description,
      notes: spec.notes.length ? spec.notes : undefined,
      metrics: this.stats.get(this.key(endpoint, name))?.summary(),
      runtime: spec.code ? 'score.py' : this.pools.get(this.key(endpoint, name))?.runtime === 'onnx' ? 'onnx' : 'mlflow',
      workers: this.pools.get(this.key(endpoint, name))?.pids().length ?? 0,
    };
  }

  async listDeployments(endpoint: string) {
    await this.endpointRow(endpoint);
    const rows = await this.db.all<{ name: string }>('SELECT name FROM online_deployments WHERE endpoint = ? ORDER BY name', [endpoint]);
    return Promise.all(rows.map((r) => this.showDeployment(endpoint, r.name)));
  }

  async updateDeployment(endpoint: string, name: string, changes: Partial<Pick<DeploymentSpec, 'instance_count' | 'request_settings' | 'environment_variables' | 'description' | 'model' | 'code' | 'scoring_script' | 'environment' | 'liveness_probe' | 'readiness_probe'>>, wait = true) {
    const row = await this.deploymentRow(endpoint, name);
    const spec = { ...(JSON.parse(row.spec) as DeploymentSpec), ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as DeploymentSpec;
    this.checkSpec(spec);
    await this.db.run('UPDATE online_deployments SET provisioning_state = ?, updated_at = ? WHERE endpoint = ? AND name = ?',
      ['Updating', Date.now(), endpoint, name]);
    const up = this.provision(spec);
    if (wait) await up;
    else void up.catch(() => undefined);
    return this.showDeployment(endpoint, name);
  }

  private async stopPool(endpoint: string, name: string): Promise<void> {
    const key = this.key(endpoint, name);
    const pool = this.pools.get(key);
    this.pools.delete(key);
    this.stats.delete(key);
    await pool?.stop();
  }

  async deleteDeployment(endpoint: string, name: string): Promise<void> {
    const ep = await this.endpointRow(endpoint);
    await this.deploymentRow(endpoint, name);
    const traffic = JSON.parse(ep.traffic) as Record<string, number>;
    if ((traffic[name] ?? 0) > 0) throw invalid(`Deployment '${name}' still receives ${traffic[name]}% of the traffic. Move the traffic first: stratus online-endpoint update --name ${endpoint} --traffic "..."`);
    const mirror = JSON.parse(ep.mirror_traffic) as Record<string, number>;
    delete mirror[name];
    delete traffic[name];
    await this.db.run('UPDATE online_endpoints SET traffic = ?, mirror_traffic = ? WHERE name = ?', [JSON.stringify(traffic), JSON.stringify(mirror), endpoint]);
    await this.stopPool(endpoint, name);
    await this.db.run('DELETE FROM online_deployments WHERE endpoint = ? AND name = ?', [endpoint, name]);
  }

  async logs(endpoint: string, name: string, lines = 100): Promise<string> {
    await this.deploymentRow(endpoint, name);
    const file = path.join(this.dir, endpoint, name, 'logs', 'user_logs.txt');
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    return text.split('\n').slice(-lines - 1).join('\n');
  }

  /** The swagger document of the deployment taking the most traffic (or the named one). */
  async swagger(row: AuthorizedEndpoint, deployment?: string): Promise<unknown> {
    const endpoint = row.name;
    const traffic = Object.entries(JSON.parse(row.traffic) as Record<string, number>).sort((a, b) => b[1] - a[1]);
    const name = deployment ?? traffic[0]?.[0];
    const doc = name ? this.pools.get(this.key(endpoint, name))?.swagger() : undefined;
    if (!doc) {
      throw notFound(`No swagger document for endpoint '${endpoint}': its scoring script declares no schema. Decorate run() with inference-schema's @input_schema and @output_schema.`);
    }
    return doc;
  }

  /**
   * Checks the caller's key (or workspace token for aml_token endpoints), in constant time. A
   * caller without a key learns nothing: the header is checked before the endpoint is looked up.
   */
  async authorize(endpoint: string, header: string | undefined, workspaceUser: boolean): Promise<AuthorizedEndpoint> {
    const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1];
    if (!token && !workspaceUser) throw new StratusError('UNAUTHENTICATED', `Missing Authorization header: send "Authorization: Bearer <key>" (stratus online-endpoint get-credentials --name ${endpoint}).`);
    const row = await this.endpointRow(endpoint);
    // A workspace user's own credentials open every endpoint; a key opens only its own.
    const ok = workspaceUser || (row.auth_mode === 'key' && !!token && opensWith(JSON.parse(row.keys) as EndpointKeys, token));
    if (!ok) throw new StratusError('UNAUTHENTICATED', INVALID_KEY);
    return row;
  }

  /** Routes one scoring request: pinned deployment, else by traffic weight; mirrors a copy. */
  async score(row: AuthorizedEndpoint, body: string, pinned?: string): Promise<ScoreResult & { deployment: string }> {
    const endpoint = row.name;
    const traffic = JSON.parse(row.traffic) as Record<string, number>;
    const name = pinned ?? pickDeployment(traffic);
    if (!name) throw new StratusError('TEMPORARILY_UNAVAILABLE', `Endpoint '${endpoint}' sends no traffic to any deployment. Set it with: stratus online-endpoint update --name ${endpoint} --traffic "blue=100"`);
    const pool = this.pools.get(this.key(endpoint, name));
    if (!pool) {
      if (pinned) await this.deploymentRow(endpoint, name);
      throw new StratusError('TEMPORARILY_UNAVAILABLE', `Deployment '${name}' is not running (see: stratus online-deployment get-logs --endpoint-name ${endpoint} --name ${name}).`);
    }
    if (!pinned) {
      for (const [target, percent] of Object.entries(JSON.parse(row.mirror_traffic) as Record<string, number>)) {
        if (Math.random() * 100 < percent) void this.scoreOn(endpoint, target, body).catch(() => undefined);
      }
    }
    return { ...(await this.scoreOn(endpoint, name, body, pool)), deployment: name };
  }

  /** One request on one deployment, counted in its metrics (mirrored copies too). */
  private async scoreOn(endpoint: string, name: string, body: string, pool = this.pools.get(this.key(endpoint, name))): Promise<ScoreResult> {
    if (!pool) return { status: 503, body: JSON.stringify({ error: `Deployment '${name}' is not running.` }) };
    const started = performance.now();
    const result = await pool.score(body);
    this.stats.get(this.key(endpoint, name))?.record(performance.now() - started, result.status >= 500);
    return result;
  }
}

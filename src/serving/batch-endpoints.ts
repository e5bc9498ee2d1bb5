/**
 * Batch endpoints: a name in front of batch deployments, each a
 * definition of how to score a whole data asset; invoking one submits an ordinary command job that
 * runs python/stratus_batch/driver.py over the input's files, its predictions the job's `score`
 * output. Nothing is provisioned until an invocation: the job builds (or finds) the environment.
 */
import type { Db } from '../store/db.ts';
import type { BatchDeploymentSpec, BatchEndpointSpec, BatchSettings } from '../specs/batch-yaml.ts';
import type { InputSpec } from '../specs/command-job.ts';
import { ASSET_TYPES, type ComponentSpec } from '../specs/pipeline-types.ts';
import { alreadyExists, invalid, notFound, StratusError } from '../util/errors.ts';
import { HARNESS } from '../util/python-harness.ts';
import { newEndpointKeys, opensWith, regenerated, type EndpointKeys } from '../util/secrets.ts';
import { INVALID_KEY } from './endpoints.ts';
import { currentActor } from '../util/actor.ts';
import { mlflowModelEnvironment } from '../environments/mlflow-model.ts';

interface Row { name: string; spec: string; keys: string | null; created_at: number; created_by: string | null }
interface DeploymentRow { endpoint: string; name: string; spec: string; created_at: number; updated_at: number }

/** What batch endpoints need of the job service: submit a job, list jobs. */
export interface BatchJobs {
  submit(spec: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Newest first; `tag`: only jobs whose run carries it. */
  list(opts: { maxResults?: number; tag?: { key: string; value: string } }): Promise<Record<string, unknown>[]>;
}

/** What a deployment names, found: a registered component (`azureml:<name>:<version>` or `@latest`), and a model's folder on disk. */
export interface BatchLookups {
  component(ref: string): Promise<ComponentSpec>;
  modelFolder(ref: string): Promise<string>;
}

/** What an invocation scores: one data input for a model deployment, or a pipeline component's inputs by name. */
export interface Invocation {
  /** The one data input (a model deployment's, or a pipeline component's only data input). */
  input?: string;
  inputType?: 'uri_folder' | 'uri_file';
  /** Named inputs: data (`{type, path}`) or literal values. */
  inputs?: Record<string, InputSpec>;
  deployment?: string;
  experiment?: string;
  /** For this invocation only, over the deployment's own. */
  overrides?: { instance_count?: number; settings?: Partial<BatchSettings> };
}

/** A batch scoring job's progress, from the metrics its driver reports. */
export interface BatchProgress { completed: number; failed: number; total: number }

/** A batch scoring job names its endpoint in this tag. */
const ENDPOINT_TAG = 'stratus.batch_endpoint';
const DEPLOYMENT_TAG = 'stratus.batch_deployment';

export class BatchEndpointService {
  constructor(private db: Db, private jobs: BatchJobs, private lookups: BatchLookups, private baseUrl: () => string) {}

  private async row(name: string): Promise<Row> {
    const row = await this.db.get<Row>('SELECT * FROM batch_endpoints WHERE name = ?', [name]);
    if (!row) throw notFound(`Batch endpoint '${name}' does not exist. Create it with: stratus batch-endpoint create --file endpoint.yml`);
    return row;
  }

  async createEndpoint(spec: BatchEndpointSpec) {
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM batch_endpoints WHERE name = ?', [spec.name])) throw alreadyExists(`Batch endpoint '${spec.name}' already exists.`);
      await t.run('INSERT INTO batch_endpoints (name, spec, keys, created_at, created_by) VALUES (?, ?, ?, ?, ?)', [spec.name, JSON.stringify(spec), JSON.stringify(newEndpointKeys()), Date.now(), currentActor() ?? null]);
    });
    return this.showEndpoint(spec.name);
  }

  async showEndpoint(name: string) {
    const row = await this.row(name);
    const spec = JSON.parse(row.spec) as BatchEndpointSpec;
    return {
      ...spec,
      scoring_uri: `${this.baseUrl()}/batch-endpoints/${name}/jobs`,
      provisioning_state: 'Succeeded',
      creation_context: { created_at: new Date(Number(row.created_at)).toISOString(), ...(row.created_by ? { created_by: row.created_by } : {}) },
    };
  }

  async listEndpoints() {
    const rows = await this.db.all<{ name: string }>('SELECT name FROM batch_endpoints ORDER BY name');
    return Promise.all(rows.map((r) => this.showEndpoint(r.name)));
  }

  /** `update --set defaults.deployment_name=…` (the deployment must exist) or the description. */
  async updateEndpoint(name: string, changes: { defaults?: { deployment_name?: string }; description?: string }) {
    const spec = JSON.parse((await this.row(name)).spec) as BatchEndpointSpec;
    const dflt = changes.defaults?.deployment_name;
    if (dflt !== undefined) await this.deploymentRow(name, dflt);
    const next = { ...spec, description: changes.description ?? spec.description, defaults: { ...spec.defaults, ...(dflt !== undefined ? { deployment_name: dflt } : {}) } };
    await this.db.run('UPDATE batch_endpoints SET spec = ? WHERE name = ?', [JSON.stringify(next), name]);
    return this.showEndpoint(name);
  }

  async deleteEndpoint(name: string): Promise<void> {
    await this.row(name);
    await this.db.tx(async (t) => {
      await t.run('DELETE FROM batch_deployments WHERE endpoint = ?', [name]);
      await t.run('DELETE FROM batch_endpoints WHERE name = ?', [name]);
    });
  }

  /** The endpoint's keys; an endpoint made before keys existed gets its keys now. */
  async keys(name: string): Promise<EndpointKeys> {
    const row = await this.row(name);
    if (row.keys) return JSON.parse(row.keys) as EndpointKeys;
    const keys = newEndpointKeys();
    await this.db.run('UPDATE batch_endpoints SET keys = ? WHERE name = ? AND keys IS NULL', [JSON.stringify(keys), name]);
    return JSON.parse((await this.row(name)).keys!) as EndpointKeys;
  }

  async regenerateKeys(name: string, keyType: string) {
    const keys = regenerated(await this.keys(name), keyType);
    if (!keys) throw invalid(`Invalid key type '${keyType}': use primary or secondary.`);
    await this.db.run('UPDATE batch_endpoints SET keys = ? WHERE name = ?', [JSON.stringify(keys), name]);
    return keys;
  }

  /**
   * Whether a caller without workspace credentials may start jobs on this endpoint: only with one
   * of its keys, and only when its auth_mode is key. A wrong key and an unknown endpoint answer alike.
   */
  async authorizeKey(name: string, token: string | undefined): Promise<void> {
    const row = await this.db.get<Row>('SELECT * FROM batch_endpoints WHERE name = ?', [name]);
    const spec = row ? (JSON.parse(row.spec) as BatchEndpointSpec) : undefined;
    const ok = !!token && !!spec && spec.auth_mode === 'key' && opensWith(await this.keys(name), token);
    if (!ok) throw new StratusError('UNAUTHENTICATED', INVALID_KEY);
  }

  private async deploymentRow(endpoint: string, name: string): Promise<DeploymentRow> {
    const row = await this.db.get<DeploymentRow>('SELECT * FROM batch_deployments WHERE endpoint = ? AND name = ?', [endpoint, name]);
    if (!row) throw notFound(`Batch deployment '${name}' does not exist on batch endpoint '${endpoint}'.`);
    return row;
  }

  async createDeployment(spec: BatchDeploymentSpec, setDefault = false) {
    await this.row(spec.endpoint_name);
    const now = Date.now();
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM batch_deployments WHERE endpoint = ? AND name = ?', [spec.endpoint_name, spec.name])) {
        throw alreadyExists(`Batch deployment '${spec.name}' already exists on '${spec.endpoint_name}'. Change it with: stratus batch-deployment update`);
      }
      await t.run('INSERT INTO batch_deployments (endpoint, name, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [spec.endpoint_name, spec.name, JSON.stringify(spec), now, now]);
    });
    // The first deployment of an endpoint becomes its default, as Azure does.
    const endpoint = JSON.parse((await this.row(spec.endpoint_name)).spec) as BatchEndpointSpec;
    if (setDefault || !endpoint.defaults.deployment_name) await this.updateEndpoint(spec.endpoint_name, { defaults: { deployment_name: spec.name } });
    return this.showDeployment(spec.endpoint_name, spec.name);
  }

  /** Replaces a deployment's definition (its name and endpoint stay); later invocations use it, running jobs keep theirs. */
  async updateDeployment(spec: BatchDeploymentSpec) {
    await this.deploymentRow(spec.endpoint_name, spec.name);
    await this.db.run('UPDATE batch_deployments SET spec = ?, updated_at = ? WHERE endpoint = ? AND name = ?', [JSON.stringify(spec), Date.now(), spec.endpoint_name, spec.name]);
    return this.showDeployment(spec.endpoint_name, spec.name);
  }

  async showDeployment(endpoint: string, name: string) {
    const row = await this.deploymentRow(endpoint, name);
    return { ...(JSON.parse(row.spec) as BatchDeploymentSpec), provisioning_state: 'Succeeded' };
  }

  async listDeployments(endpoint: string) {
    await this.row(endpoint);
    const rows = await this.db.all<{ name: string }>('SELECT name FROM batch_deployments WHERE endpoint = ? ORDER BY name', [endpoint]);
    return Promise.all(rows.map((r) => this.showDeployment(endpoint, r.name)));
  }

  async deleteDeployment(endpoint: string, name: string): Promise<void> {
    const spec = JSON.parse((await this.row(endpoint)).spec) as BatchEndpointSpec;
    await this.deploymentRow(endpoint, name);
    if (spec.defaults.deployment_name === name) throw invalid(`Batch deployment '${name}' is the default of '${endpoint}': make another the default first (stratus batch-endpoint update --name ${endpoint} --set defaults.deployment_name=<other>).`);
    await this.db.run('DELETE FROM batch_deployments WHERE endpoint = ? AND name = ?', [endpoint, name]);
  }

  /** Starts a batch scoring job: a command job running the batch driver, or the pipeline component's job. */
  async invoke(endpoint: string, opts: Invocation) {
    const ep = JSON.parse((await this.row(endpoint)).spec) as BatchEndpointSpec;
    const name = opts.deployment ?? ep.defaults.deployment_name;
    if (!name) throw invalid(`Batch endpoint '${endpoint}' has no default deployment: name one (--deployment-name) or set defaults.deployment_name.`);
    const stored = JSON.parse((await this.deploymentRow(endpoint, name)).spec) as BatchDeploymentSpec;
    const o = opts.overrides ?? {};
    const d: BatchDeploymentSpec = { ...stored, instance_count: o.instance_count ?? stored.instance_count, settings: { ...stored.settings, ...o.settings } };
    const header = {
      experiment_name: opts.experiment ?? endpoint, display_name: `${endpoint}-${name}`,
      tags: { [ENDPOINT_TAG]: endpoint, [DEPLOYMENT_TAG]: name }, notes: [],
    };
    return this.jobs.submit(d.type === 'pipeline' ? await this.pipelineJob(d, opts, header) : await this.scoringJob(d, opts, header));
  }

  /**
   * Where the scoring runs: the deployment's environment; for a no-code MLflow deployment without
   * one, the environment the model's MLmodel names (as Azure ML does), written as an inline conda file.
   */
  private async scoringEnvironment(d: BatchDeploymentSpec): Promise<Record<string, unknown>> {
    if (d.environment) return d.environment;
    if (d.scoring_script || !d.model) return { kind: 'host' };
    const env = mlflowModelEnvironment(await this.lookups.modelFolder(d.model));
    const conda = { name: 'mlflow-model', dependencies: [...(env.python ? [`python=${env.python}`] : []), 'pip', { pip: env.requirements }] };
    return { kind: 'inline', conda: JSON.stringify(conda) };
  }

  private async scoringJob(d: BatchDeploymentSpec, opts: Invocation, header: Record<string, unknown>): Promise<Record<string, unknown>> {
    const s = d.settings;
    const args = [
      '--input ${{inputs.input_data}}', '--output ${{outputs.score}}',
      ...(d.scoring_script ? [`--scoring-script ${d.scoring_script}`] : []), ...(d.model ? ['--model ${{inputs.model}}'] : []),
      `--mini-batch-size ${s.mini_batch_size}`, `--max-concurrency ${d.instance_count * s.max_concurrency_per_instance}`,
      `--max-retries ${s.retry_settings.max_retries}`, `--timeout ${s.retry_settings.timeout}`, `--error-threshold ${s.error_threshold}`,
      `--output-action ${s.output_action}`, `--output-file-name ${s.output_file_name}`, `--logging-level ${s.logging_level}`,
    ];
    return {
      type: 'command', ...header,
      ...(d.code ? { code: d.code } : {}),
      command: `python -m stratus_batch.driver ${args.join(' ')}`,
      environment: await this.scoringEnvironment(d),
      environment_variables: { ...s.environment_variables, PYTHONPATH: HARNESS },
      inputs: { input_data: oneDataInput(d, opts), ...(d.model ? { model: { type: 'custom_model', path: d.model } } : {}) },
      outputs: { score: { type: 'uri_folder' } },
      compute: d.compute?.replace(/^azureml:/, '') ?? 'cpu-cluster',
    };
  }

  /** A pipeline job of one step, the registered component, its inputs and outputs the job's own. */
  private async pipelineJob(d: BatchDeploymentSpec, opts: Invocation, header: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!d.component) throw invalid(`Batch deployment '${d.name}' names no component.`);
    const component = await this.lookups.component(d.component);
    const inputs: Record<string, InputSpec> = { ...(opts.inputs ?? {}) };
    const unknown = Object.keys(inputs).filter((k) => !(k in component.inputs));
    if (unknown.length) throw invalid(`Component '${component.name}' has no input ${unknown.join(', ')}; its inputs are: ${Object.keys(component.inputs).join(', ') || '(none)'}.`);
    if (opts.input) {
      const data = Object.entries(component.inputs).filter(([, i]) => (ASSET_TYPES as readonly string[]).includes(i.type));
      if (data.length !== 1) {
        throw invalid(`--input binds a component's only data input, but '${component.name}' has ${data.length} (${data.map(([k]) => k).join(', ') || 'none'}): name each with --set inputs.<name>=<path> or an inputs file.`);
      }
      const [key, spec] = data[0];
      inputs[key] = { type: spec.type as (typeof ASSET_TYPES)[number], path: opts.input };
    }
    const step = String(component.name ?? 'component').replace(/[^A-Za-z0-9_]/g, '_');
    return {
      type: 'pipeline', ...header,
      settings: { default_compute: d.pipeline_settings?.default_compute?.replace(/^azureml:/, '') ?? d.compute?.replace(/^azureml:/, ''), continue_on_step_failure: d.pipeline_settings?.continue_on_step_failure ?? false, force_rerun: false },
      inputs,
      outputs: Object.fromEntries(Object.entries(component.outputs).map(([k, o]) => [k, { type: o.type }])),
      jobs: {
        [step]: {
          type: component.type, component: { ref: d.component },
          inputs: Object.fromEntries(Object.keys(inputs).map((k) => [k, { kind: 'parent_input', name: k }])),
          outputs: Object.fromEntries(Object.keys(component.outputs).map((k) => [k, { parent_output: k }])),
        },
      },
    };
  }

  /** The newest 1,000 batch scoring jobs of an endpoint, newest first, each with its progress. */
  async listJobs(endpoint: string) {
    await this.row(endpoint);
    const jobs = await this.jobs.list({ tag: { key: ENDPOINT_TAG, value: endpoint }, maxResults: 1000 });
    return Promise.all(jobs.map(async (j) => ({ ...j, batch_progress: await this.progress(String((j.properties as Record<string, string>)['mlflow.run_id'])) })));
  }

  /** Mini-batches completed, failed and in all, as the driver last reported them (undefined before its first report). */
  private async progress(runId: string): Promise<BatchProgress | undefined> {
    const rows = await this.db.all<{ key: string; value: number }>(
      "SELECT key, value FROM latest_metrics WHERE run_uuid = ? AND key IN ('mini_batches_completed', 'mini_batches_failed', 'mini_batches_total')", [runId]);
    const m = Object.fromEntries(rows.map((r) => [r.key, Number(r.value)]));
    return m.mini_batches_total === undefined ? undefined : { completed: m.mini_batches_completed ?? 0, failed: m.mini_batches_failed ?? 0, total: m.mini_batches_total };
  }
}

/** A model deployment scores one data input: `input`, or the only one of `inputs` (any name, as Azure allows). */
function oneDataInput(d: BatchDeploymentSpec, opts: Invocation): InputSpec {
  if (opts.input) return { type: opts.inputType ?? 'uri_folder', path: opts.input };
  const given = Object.values(opts.inputs ?? {});
  if (given.length !== 1 || given[0].type === 'literal') {
    throw invalid(`Model batch deployment '${d.name}' scores one data input: give --input (or one entry of inputs, a uri_folder or uri_file); got ${given.length}.`);
  }
  return given[0];
}

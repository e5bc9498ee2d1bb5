/**
 * Batch endpoints: a name in front of batch deployments, each a
 * definition of how to score a whole data asset; invoking one submits an ordinary command job that
 * runs python/stratus_batch/driver.py over the input's files, its predictions the job's `score`
 * output. Nothing is provisioned until an invocation: the job builds (or finds) the environment.
 */
import type { Db } from '../store/db.ts';
import type { BatchDeploymentSpec, BatchEndpointSpec } from '../specs/batch-yaml.ts';
import { alreadyExists, invalid, notFound } from '../util/errors.ts';
import { HARNESS } from '../util/python-harness.ts';

interface Row { name: string; spec: string; created_at: number }
interface DeploymentRow { endpoint: string; name: string; spec: string; created_at: number; updated_at: number }

/** What batch endpoints need of the job service: submit a job, list jobs. */
export interface BatchJobs {
  submit(spec: Record<string, unknown>): Promise<Record<string, unknown>>;
  list(opts: { maxResults?: number }): Promise<Record<string, unknown>[]>;
}

/** A batch scoring job names its endpoint in this tag. */
const ENDPOINT_TAG = 'stratus.batch_endpoint';

export class BatchEndpointService {
  constructor(private db: Db, private jobs: BatchJobs, private baseUrl: () => string) {}

  private async row(name: string): Promise<Row> {
    const row = await this.db.get<Row>('SELECT * FROM batch_endpoints WHERE name = ?', [name]);
    if (!row) throw notFound(`Batch endpoint '${name}' does not exist. Create it with: stratus batch-endpoint create --file endpoint.yml`);
    return row;
  }

  async createEndpoint(spec: BatchEndpointSpec) {
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM batch_endpoints WHERE name = ?', [spec.name])) throw alreadyExists(`Batch endpoint '${spec.name}' already exists.`);
      await t.run('INSERT INTO batch_endpoints (name, spec, created_at) VALUES (?, ?, ?)', [spec.name, JSON.stringify(spec), Date.now()]);
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
      creation_context: { created_at: new Date(Number(row.created_at)).toISOString() },
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

  /** Starts a batch scoring job over `input` (a data asset, a datastore path or an upload). */
  async invoke(endpoint: string, opts: { input: string; inputType?: 'uri_folder' | 'uri_file'; deployment?: string; experiment?: string }) {
    const ep = JSON.parse((await this.row(endpoint)).spec) as BatchEndpointSpec;
    const name = opts.deployment ?? ep.defaults.deployment_name;
    if (!name) throw invalid(`Batch endpoint '${endpoint}' has no default deployment: name one (--deployment-name) or set defaults.deployment_name.`);
    const d = JSON.parse((await this.deploymentRow(endpoint, name)).spec) as BatchDeploymentSpec;
    if (d.type !== 'model') throw invalid('Pipeline component batch deployments (type: pipeline) are not available yet: deploy a model with a scoring script or an MLflow model.');
    const s = d.settings;
    const args = [
      '--input ${{inputs.input_data}}', '--output ${{outputs.score}}',
      ...(d.scoring_script ? [`--scoring-script ${d.scoring_script}`] : []), ...(d.model ? ['--model ${{inputs.model}}'] : []),
      `--mini-batch-size ${s.mini_batch_size}`, `--max-concurrency ${d.instance_count * s.max_concurrency_per_instance}`,
      `--max-retries ${s.retry_settings.max_retries}`, `--timeout ${s.retry_settings.timeout}`, `--error-threshold ${s.error_threshold}`,
      `--output-action ${s.output_action}`, `--output-file-name ${s.output_file_name}`,
    ];
    return this.jobs.submit({
      type: 'command', experiment_name: opts.experiment ?? endpoint, display_name: `${endpoint}-${name}`,
      tags: { [ENDPOINT_TAG]: endpoint, 'stratus.batch_deployment': name },
      ...(d.code ? { code: d.code } : {}),
      command: `python -m stratus_batch.driver ${args.join(' ')}`,
      environment: d.environment ?? { kind: 'host' },
      environment_variables: { ...s.environment_variables, PYTHONPATH: HARNESS },
      inputs: { input_data: { type: opts.inputType ?? 'uri_folder', path: opts.input }, ...(d.model ? { model: { type: 'custom_model', path: d.model } } : {}) },
      outputs: { score: { type: 'uri_folder' } },
      compute: d.compute?.replace(/^azureml:/, '') ?? 'cpu-cluster',
      notes: [],
    });
  }

  /** The batch scoring jobs of an endpoint, newest first (among the workspace's newest 10,000 jobs). */
  async listJobs(endpoint: string) {
    await this.row(endpoint);
    return (await this.jobs.list({ maxResults: 10_000 })).filter((j) => (j.tags as Record<string, string> | undefined)?.[ENDPOINT_TAG] === endpoint);
  }
}

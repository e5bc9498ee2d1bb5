/** stratus batch-endpoint … and batch-deployment … — az ml's batch verbs. */
import path from 'node:path';
import type { Command } from 'commander';
import { applySets } from '../specs/command-job.ts';
import { parseBatchDeployment, parseBatchEndpoint } from '../specs/batch-yaml.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import type { StratusClient } from '../client/index.ts';
import type { InputSpec } from '../specs/command-job.ts';
import { registerComponentFile } from './component-file.ts';
import { print, table } from './format.ts';
import { upload } from './transfer.ts';
import { fail, instantNoWait, outputOption, queryOption, withClient } from './runner.ts';
import { streamJob } from './job-commands.ts';

/** A deployment's YAML read and its local files uploaded (a component file registered), ready to send. */
async function readDeployment(client: StratusClient, opts: { file: string; set?: string[]; name?: string; endpointName?: string }) {
  const parsed = parseBatchDeployment(YamlSource.read(opts.file), { sets: opts.set, name: opts.name, endpointName: opts.endpointName });
  for (const w of parsed.warnings) process.stderr.write(`warning: ${w}\n`);
  if (parsed.uploads.code) parsed.spec.code = (await upload(client, parsed.uploads.code, 'snapshots', 'code_configuration.code')).hash;
  if (parsed.uploads.model) parsed.spec.model = (await upload(client, parsed.uploads.model, 'uploads', 'model.path')).ref;
  if (parsed.uploads.component) {
    const c = await registerComponentFile(client, parsed.uploads.component);
    parsed.spec.component = `azureml:${c.name}:${c.version}`;
  }
  return parsed.spec;
}

/** A local path is uploaded; a data asset or datastore path is passed as it is. */
async function dataRef(client: StratusClient, given: string, what: string): Promise<string> {
  if (/^(azureml:|stratus-upload:)/.test(given)) return given;
  return (await upload(client, path.resolve(given), 'uploads', what)).ref;
}

/** `invoke --file`: the job's `inputs:` as Azure writes them — `{type, path}` for data, a value (or `{type, default|value}`) for literals. */
async function inputsFile(client: StratusClient, file: string): Promise<Record<string, InputSpec>> {
  const src = YamlSource.read(file);
  const given = ((src.data as Record<string, unknown>).inputs ?? {}) as Record<string, unknown>;
  const inputs: Record<string, InputSpec> = {};
  for (const [k, v] of Object.entries(given)) {
    if (v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>).path === 'string') {
      const o = v as { type?: string; path: string };
      const base = path.dirname(path.resolve(file));
      const p = /^[a-z][\w+.-]*:/i.test(o.path) ? o.path : path.resolve(base, o.path);
      inputs[k] = { type: (o.type ?? 'uri_folder') as Exclude<InputSpec['type'], 'literal'>, path: await dataRef(client, p, `inputs.${k}`) };
    } else {
      const o = v as Record<string, unknown>;
      const value = v !== null && typeof v === 'object' ? (o.value ?? o.default) : v;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw src.error(['inputs', k], 'expected {type, path} for data, or a value for a literal input.');
      inputs[k] = { type: 'literal', value };
    }
  }
  return inputs;
}

const fields = (o: Record<string, unknown>) => table(Object.entries(o).filter(([, v]) => v !== undefined).map(([field, v]) => ({ field, value: typeof v === 'object' ? JSON.stringify(v) : v })), ['field', 'value']);

export function registerBatchCommands(program: Command): void {
  const ep = program.command('batch-endpoint').description('Batch endpoints: score whole data assets as jobs');
  ep.command('create').description('Create a batch endpoint from its YAML (or --name)').addOption(instantNoWait())
    .option('-f, --file <file>', 'batch endpoint YAML').option('-n, --name <name>').option('--set <key=value...>')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const src = opts.file ? YamlSource.read(opts.file) : new YamlSource('(flags)', `name: ${opts.name ?? ''}\n`);
      const { spec, warnings } = parseBatchEndpoint(src, { sets: opts.set, name: opts.name });
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      const e = await client.batchEndpoints.create(spec);
      print(e, opts.output, opts.query, () => fields(e));
    }));
  ep.command('show').description('Show a batch endpoint').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const e = await client.batchEndpoints.show(opts.name);
      print(e, opts.output, opts.query, () => fields(e));
    }));
  ep.command('list').description('List batch endpoints').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.batchEndpoints.list();
      print(value, opts.output, opts.query, () => table(value.map((e) => ({ name: e.name, default_deployment: (e.defaults as { deployment_name?: string }).deployment_name ?? '', scoring_uri: e.scoring_uri })), ['name', 'default_deployment', 'scoring_uri']));
    }));
  ep.command('update').description('Set the default deployment (--set defaults.deployment_name=<name>) or the description').requiredOption('-n, --name <name>')
    .option('--set <key=value...>').addOption(instantNoWait()).addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const changes: Record<string, any> = {};
      applySets(changes, opts.set ?? []);
      const e = await client.batchEndpoints.update(opts.name, changes);
      print(e, opts.output, opts.query, () => fields(e));
    }));
  ep.command('delete').description('Delete a batch endpoint and its deployments').requiredOption('-n, --name <name>').option('-y, --yes').addOption(instantNoWait())
    .action((opts) => withClient(async (client) => {
      await client.batchEndpoints.delete(opts.name);
      console.log(`Deleted batch endpoint ${opts.name}.`);
    }));
  ep.command('invoke').description('Start a batch scoring job over an input; the predictions are its output `score`').requiredOption('-n, --name <name>')
    .option('-i, --input <input>', 'a data asset (azureml:<name>:<version>), an azureml://datastores/… path, or a local file or folder (uploaded)')
    .option('-f, --file <file>', 'YAML with the job\'s inputs: (a pipeline component\'s, by name)')
    .option('-d, --deployment-name <name>', 'this deployment instead of the default').option('--input-type <type>', 'uri_folder or uri_file')
    .option('-e, --experiment-name <name>').option('-s, --stream', 'follow the job until it ends')
    .option('--mini-batch-size <n>', 'files per mini-batch, for this job only').option('--instance-count <n>', 'instances, for this job only')
    .option('--set <key=value...>', 'a deployment setting for this job only, e.g. settings.error_threshold=0')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      if (!opts.input && !opts.file) fail('Give --input <data> (or --file with the inputs).');
      const sets: Record<string, any> = {};
      applySets(sets, opts.set ?? []);
      const unknown = Object.keys(sets).filter((k) => k !== 'settings' && k !== 'mini_batch_size' && k !== 'instance_count');
      if (unknown.length) fail(`--set ${unknown.join(', ')}: an invocation can set settings.<name>, mini_batch_size or instance_count.`);
      const overrides = {
        ...(sets.settings ? { settings: sets.settings } : {}),
        ...(opts.miniBatchSize ?? sets.mini_batch_size ? { mini_batch_size: Number(opts.miniBatchSize ?? sets.mini_batch_size) } : {}),
        ...(opts.instanceCount ?? sets.instance_count ? { instance_count: Number(opts.instanceCount ?? sets.instance_count) } : {}),
      };
      const input = opts.input ? await dataRef(client, String(opts.input), '--input') : undefined;
      const inputs = opts.file ? await inputsFile(client, opts.file) : undefined;
      const started = await client.batchEndpoints.invoke(opts.name, { input, inputs, input_type: opts.inputType, deployment_name: opts.deploymentName, experiment_name: opts.experimentName, ...overrides });
      const job = opts.stream ? await streamJob(client, String(started.name)) : started;
      print(job, opts.output, opts.query, () => fields({ name: job.name, status: job.status, experiment: job.experiment_name }));
      if (opts.stream && job.status !== 'Completed') process.exit(1);
    }));
  ep.command('list-jobs').description('The batch scoring jobs of an endpoint').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.batchEndpoints.listJobs(opts.name);
      print(value, opts.output, opts.query, () => table(value.map((j) => ({ name: j.name, status: j.status, deployment: (j.tags as Record<string, string>)['stratus.batch_deployment'], progress: progressText(j.batch_progress) })), ['name', 'status', 'deployment', 'progress']));
    }));
  ep.command('get-credentials').description('The endpoint\'s keys (they start jobs at its scoring_uri when auth_mode is key)').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const keys = await client.batchEndpoints.keys(opts.name);
      print(keys, opts.output, opts.query, () => table(Object.entries(keys).map(([key, value]) => ({ key, value })), ['key', 'value']));
    }));
  ep.command('regenerate-keys').description('Regenerate the primary or secondary key').requiredOption('-n, --name <name>').option('--key-type <type>', 'primary or secondary', 'primary')
    .action((opts) => withClient(async (client) => {
      await client.batchEndpoints.regenerateKeys(opts.name, opts.keyType);
      console.log(`Regenerated the ${opts.keyType} key of ${opts.name}.`);
    }));

  const dep = program.command('batch-deployment').description('Batch deployments behind a batch endpoint');
  dep.command('create').description('Create a batch deployment from its YAML').requiredOption('-f, --file <file>')
    .option('-n, --name <name>').option('-e, --endpoint-name <name>').option('--set <key=value...>').option('--set-default', 'make it the endpoint\'s default deployment')
    .addOption(instantNoWait()).addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const spec = await readDeployment(client, opts);
      const d = await client.batchDeployments.create(spec.endpoint_name, spec as unknown as Record<string, unknown>, !!opts.setDefault);
      print(d, opts.output, opts.query, () => fields(d));
    }));
  dep.command('update').description('Change a batch deployment: its YAML again (--file), or --set on what it is now').option('-f, --file <file>')
    .option('-n, --name <name>').option('-e, --endpoint-name <name>').option('--set <key=value...>')
    .addOption(instantNoWait()).addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let spec: Record<string, any>;
      if (opts.file) spec = await readDeployment(client, opts) as unknown as Record<string, any>;
      else {
        if (!opts.name || !opts.endpointName) fail('Give --file, or --name and --endpoint-name with --set.');
        const { provisioning_state: _state, ...current } = await client.batchDeployments.show(opts.endpointName, opts.name);
        spec = current;
        applySets(spec, opts.set ?? []);
      }
      const d = await client.batchDeployments.update(String(spec.endpoint_name), String(spec.name), spec);
      print(d, opts.output, opts.query, () => fields(d));
    }));
  dep.command('show').description('Show a batch deployment').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const d = await client.batchDeployments.show(opts.endpointName, opts.name);
      print(d, opts.output, opts.query, () => fields(d));
    }));
  dep.command('list').description('List a batch endpoint\'s deployments').requiredOption('-e, --endpoint-name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.batchDeployments.list(opts.endpointName);
      print(value, opts.output, opts.query, () => table(value.map((d) => ({ name: d.name, type: d.type, model: d.model ?? '' })), ['name', 'type', 'model']));
    }));
  dep.command('delete').description('Delete a batch deployment (not the default)').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').option('-y, --yes').addOption(instantNoWait())
    .action((opts) => withClient(async (client) => {
      await client.batchDeployments.delete(opts.endpointName, opts.name);
      console.log(`Deleted batch deployment ${opts.name}.`);
    }));
}

function progressText(p: unknown): string {
  const b = p as { completed: number; failed: number; total: number } | undefined;
  return b ? `${b.completed}/${b.total}${b.failed ? ` (${b.failed} failed)` : ''}` : '';
}

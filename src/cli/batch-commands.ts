/** stratus batch-endpoint … and batch-deployment … — az ml's batch verbs. */
import path from 'node:path';
import type { Command } from 'commander';
import { applySets } from '../specs/command-job.ts';
import { parseBatchDeployment, parseBatchEndpoint } from '../specs/batch-yaml.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import { print, table } from './format.ts';
import { upload } from './transfer.ts';
import { instantNoWait, outputOption, queryOption, withClient } from './runner.ts';
import { streamJob } from './job-commands.ts';

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
    .requiredOption('-i, --input <input>', 'a data asset (azureml:<name>:<version>), an azureml://datastores/… path, or a local file or folder (uploaded)')
    .option('-d, --deployment-name <name>', 'this deployment instead of the default').option('--input-type <type>', 'uri_folder or uri_file')
    .option('-e, --experiment-name <name>').option('-s, --stream', 'follow the job until it ends').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let input = String(opts.input);
      if (!/^(azureml:|stratus-upload:)/.test(input)) input = (await upload(client, path.resolve(input), 'uploads', '--input')).ref;
      const started = await client.batchEndpoints.invoke(opts.name, { input, input_type: opts.inputType, deployment_name: opts.deploymentName, experiment_name: opts.experimentName });
      const job = opts.stream ? await streamJob(client, String(started.name)) : started;
      print(job, opts.output, opts.query, () => fields({ name: job.name, status: job.status, experiment: job.experiment_name }));
      if (opts.stream && job.status !== 'Completed') process.exit(1);
    }));
  ep.command('list-jobs').description('The batch scoring jobs of an endpoint').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.batchEndpoints.listJobs(opts.name);
      print(value, opts.output, opts.query, () => table(value.map((j) => ({ name: j.name, status: j.status, deployment: (j.tags as Record<string, string>)['stratus.batch_deployment'] })), ['name', 'status', 'deployment']));
    }));

  const dep = program.command('batch-deployment').description('Batch deployments behind a batch endpoint');
  dep.command('create').description('Create a batch deployment from its YAML').requiredOption('-f, --file <file>')
    .option('-n, --name <name>').option('-e, --endpoint-name <name>').option('--set <key=value...>').option('--set-default', 'make it the endpoint\'s default deployment')
    .addOption(instantNoWait()).addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const parsed = parseBatchDeployment(YamlSource.read(opts.file), { sets: opts.set, name: opts.name, endpointName: opts.endpointName });
      for (const w of parsed.warnings) process.stderr.write(`warning: ${w}\n`);
      if (parsed.uploads.code) parsed.spec.code = (await upload(client, parsed.uploads.code, 'snapshots', 'code_configuration.code')).hash;
      if (parsed.uploads.model) parsed.spec.model = (await upload(client, parsed.uploads.model, 'uploads', 'model.path')).ref;
      const d = await client.batchDeployments.create(parsed.spec.endpoint_name, parsed.spec as unknown as Record<string, unknown>, !!opts.setDefault);
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

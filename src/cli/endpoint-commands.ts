/** stratus online-endpoint … and online-deployment … — Azure ML CLI v2's verbs and flags. */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { StratusClient } from '../client/index.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import { parseDeployment } from '../specs/deployment-yaml.ts';
import { parseTrafficArg } from '../specs/traffic.ts';
import { applySets } from '../specs/command-job.ts';
import { print, table } from './format.ts';
import { upload } from './transfer.ts';
import { followDeployment } from './progress.ts';
import { fail, instantNoWait, outputOption, queryOption, withClient } from './runner.ts';

const endpointRow = (e: Record<string, any>) => ({
  name: e.name, provisioning_state: e.provisioning_state, auth_mode: e.auth_mode,
  traffic: Object.entries(e.traffic ?? {}).map(([k, v]) => `${k}=${v}`).join(' '), scoring_uri: e.scoring_uri,
});
const ENDPOINT_COLUMNS = ['name', 'provisioning_state', 'auth_mode', 'traffic', 'scoring_uri'];
const deploymentRow = (d: Record<string, any>) => ({
  name: d.name, endpoint: d.endpoint_name, provisioning_state: d.provisioning_state, instance_count: d.instance_count,
  requests: d.metrics?.requests_total ?? 0, p50_ms: d.metrics?.latency_ms?.p50 ?? '', p99_ms: d.metrics?.latency_ms?.p99 ?? '',
});
const DEPLOYMENT_COLUMNS = ['name', 'endpoint', 'provisioning_state', 'instance_count', 'requests', 'p50_ms', 'p99_ms'];

async function uploadDeploymentFiles(client: StratusClient, file: string, opts: { set?: string[]; name?: string; endpointName?: string }) {
  const parsed = parseDeployment(YamlSource.read(file), { sets: opts.set, name: opts.name, endpointName: opts.endpointName });
  for (const w of parsed.warnings) process.stderr.write(`warning: ${w}\n`);
  if (parsed.uploads.code) parsed.spec.code = (await upload(client, parsed.uploads.code, 'snapshots', 'code_configuration.code')).hash;
  if (parsed.uploads.model) {
    parsed.spec.model = (await upload(client, parsed.uploads.model, 'uploads', 'model.path')).ref;
  }
  return parsed.spec;
}

export function registerEndpointCommands(program: Command): void {
  const ep = program.command('online-endpoint').description('Online endpoints (real-time scoring)');
  ep.command('create').description('Create an online endpoint (from YAML or flags)').addOption(instantNoWait())
    .option('-f, --file <file>', 'endpoint YAML: name, auth_mode, description')
    .option('-n, --name <name>')
    .option('--auth-mode <mode>', 'key or aml_token')
    .option('--local', 'accepted: everything here is local')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const d = opts.file ? (YamlSource.read(opts.file).data as Record<string, any>) : {};
      const name = opts.name ?? d.name;
      if (!name) fail('give --name or --file endpoint.yml with a name.');
      const e = await client.endpoints.create({ name, auth_mode: opts.authMode ?? d.auth_mode, description: d.description, tags: d.tags });
      print(e, opts.output, opts.query, () => table([endpointRow(e)], ENDPOINT_COLUMNS));
    }));
  ep.command('show').description('Show an endpoint: scoring URI, traffic, metrics').requiredOption('-n, --name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const e = await client.endpoints.show(opts.name);
      print(e, opts.output, opts.query, () => `${table([endpointRow(e)], ENDPOINT_COLUMNS)}\n\n${table(e.deployments.map((d: any) => deploymentRow({ ...d, endpoint_name: e.name })), DEPLOYMENT_COLUMNS)}`);
    }));
  ep.command('list').description('List online endpoints').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.endpoints.list();
      print(value, opts.output, opts.query, () => table(value.map(endpointRow), ENDPOINT_COLUMNS));
    }));
  ep.command('update').description('Change an endpoint\'s traffic, mirror traffic or description').addOption(instantNoWait()).requiredOption('-n, --name <name>')
    .option('-r, --traffic <weights>', 'e.g. "blue=90 green=10" (must add up to 0 or 100)')
    .option('--mirror-traffic <weights>', 'e.g. "green=10"')
    .option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const body: Record<string, unknown> = {};
      if (opts.traffic) body.traffic = parseTrafficArg(opts.traffic);
      if (opts.mirrorTraffic) body.mirror_traffic = parseTrafficArg(opts.mirrorTraffic);
      const e = await client.endpoints.update(opts.name, body);
      print(e, opts.output, opts.query, () => table([endpointRow(e)], ENDPOINT_COLUMNS));
    }));
  ep.command('invoke').description('Score a request file on the endpoint (or one deployment)').requiredOption('-n, --name <name>').requiredOption('-r, --request-file <file>')
    .option('-d, --deployment-name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let body: string;
      try {
        body = fs.readFileSync(opts.requestFile, 'utf8');
      } catch {
        fail(`Cannot read --request-file ${opts.requestFile}.`);
      }
      const e = await client.endpoints.show(opts.name);
      const keys = await client.endpoints.keys(opts.name);
      const res = await client.endpoints.invoke(e.scoring_uri, keys.primaryKey, body, opts.deploymentName);
      if (res.status >= 400) fail(`${res.status} from ${res.deployment ?? opts.name}: ${res.body}`);
      let answer: unknown = res.body;
      try {
        answer = JSON.parse(res.body);
      } catch {
        // A score.py may answer plain text: printed as it is.
      }
      print(answer, opts.output, opts.query, () => res.body);
    }));
  ep.command('get-credentials').description('The endpoint\'s keys').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const keys = await client.endpoints.keys(opts.name);
      print(keys, opts.output, opts.query, () => table(Object.entries(keys).map(([key, value]) => ({ key, value })), ['key', 'value']));
    }));
  ep.command('regenerate-keys').description('Regenerate the primary or secondary key').requiredOption('-n, --name <name>').option('--key-type <type>', 'primary or secondary', 'primary')
    .action((opts) => withClient(async (client) => {
      await client.endpoints.regenerateKeys(opts.name, opts.keyType);
      console.log(`Regenerated the ${opts.keyType} key of ${opts.name}.`);
    }));
  ep.command('delete').description('Delete an endpoint and its deployments').addOption(instantNoWait()).requiredOption('-n, --name <name>').option('-y, --yes').option('--local')
    .action((opts) => withClient(async (client) => {
      await client.endpoints.delete(opts.name);
      console.log(`Deleted endpoint ${opts.name}.`);
    }));

  const dep = program.command('online-deployment').description('Deployments behind an online endpoint');
  dep.command('create').description('Create a deployment from its YAML').requiredOption('-f, --file <file>', 'deployment YAML')
    .option('-n, --name <name>').option('-e, --endpoint-name <name>').option('--all-traffic', 'send 100% of the traffic to it once it is up')
    .option('--set <key=value...>').option('--local').option('--no-wait', 'return at once (Creating); follow it with online-deployment show')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const spec = await uploadDeploymentFiles(client, opts.file, opts);
      const started = await client.deployments.create(spec.endpoint_name, spec as unknown as Record<string, unknown>, !!opts.allTraffic, false);
      // Waiting, the log says what takes the time (the environment build, the workers starting).
      const d = opts.wait ? await followDeployment(client, spec.endpoint_name, started.name) : started;
      print(d, opts.output, opts.query, () => table([deploymentRow(d)], DEPLOYMENT_COLUMNS));
      if (d.provisioning_state === 'Failed') fail(`Deployment ${d.name} failed:\n${d.error}`);
    }));
  dep.command('show').description('Show a deployment').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const d = await client.deployments.show(opts.endpointName, opts.name);
      print(d, opts.output, opts.query, () => table([deploymentRow(d)], DEPLOYMENT_COLUMNS) + (d.error ? `\n\n${d.error}` : ''));
    }));
  dep.command('list').description('List an endpoint\'s deployments').requiredOption('-e, --endpoint-name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.deployments.list(opts.endpointName);
      print(value, opts.output, opts.query, () => table(value.map(deploymentRow), DEPLOYMENT_COLUMNS));
    }));
  dep.command('update').description('Update a deployment (new workers start before the old stop)').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>')
    .option('-f, --file <file>', 'deployment YAML with the new settings').option('--set <key=value...>', 'e.g. instance_count=2')
    .option('--local').option('--no-wait', 'return at once (Updating); follow it with online-deployment show').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let changes: Record<string, unknown>;
      if (opts.file) changes = (await uploadDeploymentFiles(client, opts.file, { ...opts, endpointName: opts.endpointName })) as unknown as Record<string, unknown>;
      else {
        const current = await client.deployments.show(opts.endpointName, opts.name);
        const d: Record<string, any> = {
          instance_count: current.instance_count, request_settings: current.request_settings, environment_variables: current.environment_variables,
          liveness_probe: current.liveness_probe, readiness_probe: current.readiness_probe,
        };
        applySets(d, opts.set ?? []);
        changes = d;
      }
      const updating = await client.deployments.update(opts.endpointName, opts.name, changes, false);
      const d = opts.wait ? await followDeployment(client, opts.endpointName, updating.name) : updating;
      print(d, opts.output, opts.query, () => table([deploymentRow(d)], DEPLOYMENT_COLUMNS));
      if (d.provisioning_state === 'Failed') fail(`Updating deployment ${d.name} failed:\n${d.error}`);
    }));
  dep.command('get-logs').description('The last lines of the deployment\'s logs').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>')
    .option('-l, --lines <n>', 'last lines', '100').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { content } = await client.deployments.logs(opts.endpointName, opts.name, Number(opts.lines));
      print(content, opts.output, opts.query, () => content);
    }));
  dep.command('delete').description('Delete a deployment (it must have no traffic)').addOption(instantNoWait()).requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').option('-y, --yes').option('--local')
    .action((opts) => withClient(async (client) => {
      await client.deployments.delete(opts.endpointName, opts.name);
      console.log(`Deleted deployment ${opts.name}.`);
    }));
}

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
import { fail, outputOption, queryOption, withClient } from './runner.ts';

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
  ep.command('create')
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
  ep.command('show').requiredOption('-n, --name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const e = await client.endpoints.show(opts.name);
      print(e, opts.output, opts.query, () => `${table([endpointRow(e)], ENDPOINT_COLUMNS)}\n\n${table(e.deployments.map((d: any) => deploymentRow({ ...d, endpoint_name: e.name })), DEPLOYMENT_COLUMNS)}`);
    }));
  ep.command('list').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.endpoints.list();
      print(value, opts.output, opts.query, () => table(value.map(endpointRow), ENDPOINT_COLUMNS));
    }));
  ep.command('update').requiredOption('-n, --name <name>')
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
  ep.command('invoke').requiredOption('-n, --name <name>').requiredOption('-r, --request-file <file>')
    .option('-d, --deployment-name <name>').option('--local')
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
      process.stdout.write(`${res.body}\n`);
    }));
  ep.command('get-credentials').requiredOption('-n, --name <name>')
    .action((opts) => withClient(async (client) => {
      process.stdout.write(`${JSON.stringify(await client.endpoints.keys(opts.name), null, 2)}\n`);
    }));
  ep.command('regenerate-keys').requiredOption('-n, --name <name>').option('--key-type <type>', 'primary or secondary', 'primary')
    .action((opts) => withClient(async (client) => {
      await client.endpoints.regenerateKeys(opts.name, opts.keyType);
      console.log(`Regenerated the ${opts.keyType} key of ${opts.name}.`);
    }));
  ep.command('delete').requiredOption('-n, --name <name>').option('-y, --yes').option('--local')
    .action((opts) => withClient(async (client) => {
      await client.endpoints.delete(opts.name);
      console.log(`Deleted endpoint ${opts.name}.`);
    }));

  const dep = program.command('online-deployment').description('Deployments behind an online endpoint');
  dep.command('create').requiredOption('-f, --file <file>', 'deployment YAML')
    .option('-n, --name <name>').option('-e, --endpoint-name <name>').option('--all-traffic', 'send 100% of the traffic to it once it is up')
    .option('--set <key=value...>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const spec = await uploadDeploymentFiles(client, opts.file, opts);
      const d = await client.deployments.create(spec.endpoint_name, spec as unknown as Record<string, unknown>, !!opts.allTraffic);
      print(d, opts.output, opts.query, () => table([deploymentRow(d)], DEPLOYMENT_COLUMNS));
      if (d.provisioning_state === 'Failed') fail(`Deployment ${d.name} failed:\n${d.error}`);
    }));
  dep.command('show').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const d = await client.deployments.show(opts.endpointName, opts.name);
      print(d, opts.output, opts.query, () => table([deploymentRow(d)], DEPLOYMENT_COLUMNS) + (d.error ? `\n\n${d.error}` : ''));
    }));
  dep.command('list').requiredOption('-e, --endpoint-name <name>').option('--local').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.deployments.list(opts.endpointName);
      print(value, opts.output, opts.query, () => table(value.map(deploymentRow), DEPLOYMENT_COLUMNS));
    }));
  dep.command('update').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>')
    .option('-f, --file <file>', 'deployment YAML with the new settings').option('--set <key=value...>', 'e.g. instance_count=2')
    .option('--local').addOption(outputOption()).addOption(queryOption())
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
      const d = await client.deployments.update(opts.endpointName, opts.name, changes);
      print(d, opts.output, opts.query, () => table([deploymentRow(d)], DEPLOYMENT_COLUMNS));
      if (d.provisioning_state === 'Failed') fail(`Updating deployment ${d.name} failed:\n${d.error}`);
    }));
  dep.command('get-logs').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').option('-l, --lines <n>', 'last lines', '100').option('--local')
    .action((opts) => withClient(async (client) => {
      process.stdout.write(`${(await client.deployments.logs(opts.endpointName, opts.name, Number(opts.lines))).content}\n`);
    }));
  dep.command('delete').requiredOption('-n, --name <name>').requiredOption('-e, --endpoint-name <name>').option('-y, --yes').option('--local')
    .action((opts) => withClient(async (client) => {
      await client.deployments.delete(opts.endpointName, opts.name);
      console.log(`Deleted deployment ${opts.name}.`);
    }));
}

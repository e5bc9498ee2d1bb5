/** The `stratus` command. */
import { Command, Option } from 'commander';
import { ApiError, StratusClient } from '../client/index.ts';
import { fail, outputOption, queryOption, withClient as run } from './runner.ts';
import { registerJobCommands } from './job-commands.ts';
import { registerComputeCommands } from './compute-commands.ts';
import { registerAssetCommands } from './asset-commands.ts';
import { registerDatastoreCommands, registerFileCommands } from './file-commands.ts';
import { registerSqlCommands } from './sql-commands.ts';
import { registerEndpointCommands } from './endpoint-commands.ts';
import { registerScheduleCommands } from './schedule-commands.ts';
import os from 'node:os';
import path from 'node:path';
import { STRATUS_VERSION } from '../version.ts';
import { print, table, time, type OutputFormat } from './format.ts';
import type { Experiment, Run } from '../specs/mlflow-entities.ts';

const DEFAULT_PORT = 7700;
const DEFAULT_DATA_DIR = path.join(os.homedir(), '.stratus');

const program = new Command();
program.name('stratus').description('Self-hosted machine-learning workspace').version(STRATUS_VERSION).enablePositionalOptions();


program
  .command('up')
  .description('Start a workspace: MLflow-compatible tracking, registry and artifact API on one port')
  .option('--host <host>', 'address to listen on', process.env.STRATUS_HOST ?? '127.0.0.1')
  .option('--port <port>', 'port to listen on', process.env.STRATUS_PORT ?? String(DEFAULT_PORT))
  .option('--data-dir <dir>', 'folder for the SQLite store and artifacts', process.env.STRATUS_DATA_DIR ?? DEFAULT_DATA_DIR)
  .option('--store <url>', 'metadata store: postgresql://user:pass@host:port/db (default: SQLite in the data dir)', process.env.STRATUS_STORE)
  .option('--log', 'log every request', false)
  .action(async (opts) => {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Invalid --port '${opts.port}': give a number from 0 to 65535.`);
    try {
      // Loaded only here, so client commands start without the server's modules.
      const { serve } = await import('../server/serve.ts');
      const server = await serve({
        host: opts.host,
        port,
        dataDir: opts.dataDir,
        storeUrl: opts.store,
        logger: opts.log,
        auth: {
          token: process.env.STRATUS_AUTH_TOKEN,
          username: process.env.STRATUS_AUTH_USERNAME,
          password: process.env.STRATUS_AUTH_PASSWORD,
        },
      });
      const store = opts.store ? opts.store.replace(/\/\/[^@/]*@/, '//***@') : `SQLite in ${opts.dataDir}`;
      console.log(`Stratus ${STRATUS_VERSION} is up at ${server.url}`);
      console.log(`  metadata: ${store}\n  artifacts: ${server.workspace.artifacts.root}`);
      console.log(`  MLflow clients: mlflow.set_tracking_uri("${server.url}")`);
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (err) {
      fail((err as Error).message);
    }
  });

const experiment = program.command('experiment').description('Experiments');
experiment
  .command('list')
  .description('List experiments')
  .addOption(new Option('--view-type <type>', 'which experiments').choices(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).default('ACTIVE_ONLY'))
  .option('--filter <filter>', "MLflow filter, e.g. \"name LIKE 'iris%'\"")
  .addOption(outputOption())
  .addOption(queryOption())
  .action((opts) => run(async (client) => {
    const experiments: Experiment[] = [];
    let token: string | undefined;
    do {
      const page = await client.experiments.search({ view_type: opts.viewType, filter: opts.filter, page_token: token });
      experiments.push(...(page.experiments ?? []));
      token = page.next_page_token;
    } while (token);
    print(experiments, opts.output as OutputFormat, opts.query, () => table(
      experiments.map((e) => ({ id: e.experiment_id, name: e.name, stage: e.lifecycle_stage, created: time(e.creation_time), artifact_location: e.artifact_location })),
      ['id', 'name', 'stage', 'created', 'artifact_location'],
    ));
  }));
experiment
  .command('show')
  .description('Show one experiment, by id or by name')
  .argument('<id-or-name>')
  .addOption(outputOption())
  .addOption(queryOption())
  .action((idOrName: string, opts) => run(async (client) => {
    const exp = await findExperiment(client, idOrName);
    print(exp, opts.output, opts.query, () => table(
      Object.entries({ ...exp, tags: undefined }).filter(([, v]) => v !== undefined).map(([k, v]) => ({ field: k, value: k.endsWith('_time') ? time(v as number) : v }))
        .concat((exp.tags ?? []).map((t) => ({ field: `tags.${t.key}`, value: t.value }))),
      ['field', 'value'],
    ));
  }));

const runCmd = program.command('run').description('Runs (every job is one)');
runCmd
  .command('list')
  .description('List runs of an experiment')
  .option('--experiment <id-or-name>', 'experiment id or name', '0')
  .option('--filter <filter>', "MLflow filter, e.g. \"metrics.accuracy > 0.9 and params.model = 'rf'\"")
  .option('--order-by <clause...>', "e.g. 'metrics.accuracy DESC'")
  .option('--max-results <n>', 'at most this many runs', '100')
  .addOption(outputOption())
  .addOption(queryOption())
  .action((opts) => run(async (client) => {
    const exp = await findExperiment(client, opts.experiment);
    const page = await client.runs.search({
      experiment_ids: [exp.experiment_id], filter: opts.filter, order_by: opts.orderBy, max_results: Number(opts.maxResults),
    });
    const runs = page.runs ?? [];
    print(runs, opts.output, opts.query, () => table(
      runs.map((r) => ({
        run_id: r.info.run_id, name: r.info.run_name, status: r.info.status, started: time(r.info.start_time),
        duration: r.info.end_time ? `${((r.info.end_time - r.info.start_time) / 1000).toFixed(1)}s` : '',
        metrics: (r.data.metrics ?? []).slice(0, 3).map((m) => `${m.key}=${m.value}`).join(' '),
      })),
      ['run_id', 'name', 'status', 'started', 'duration', 'metrics'],
    ));
  }));
runCmd
  .command('show')
  .description('Show one run with its params, metrics and tags')
  .argument('<run-id>')
  .addOption(outputOption())
  .addOption(queryOption())
  .action((id: string, opts) => run(async (client) => {
    const { run: r } = await client.runs.get(id);
    print(r, opts.output, opts.query, () => describeRun(r));
  }));

function describeRun(r: Run): string {
  const rows: Record<string, unknown>[] = [
    { field: 'run_id', value: r.info.run_id }, { field: 'name', value: r.info.run_name },
    { field: 'experiment_id', value: r.info.experiment_id }, { field: 'status', value: r.info.status },
    { field: 'start_time', value: time(r.info.start_time) }, { field: 'end_time', value: time(r.info.end_time) },
    { field: 'artifact_uri', value: r.info.artifact_uri },
  ];
  for (const p of r.data.params ?? []) rows.push({ field: `params.${p.key}`, value: p.value });
  for (const m of r.data.metrics ?? []) rows.push({ field: `metrics.${m.key}`, value: `${m.value} (step ${m.step})` });
  for (const t of r.data.tags ?? []) if (!t.key.startsWith('mlflow.')) rows.push({ field: `tags.${t.key}`, value: t.value });
  return table(rows, ['field', 'value']);
}

async function findExperiment(client: StratusClient, idOrName: string): Promise<Experiment> {
  if (/^\d+$/.test(idOrName)) {
    try {
      return (await client.experiments.get(idOrName)).experiment;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  return (await client.experiments.getByName(idOrName)).experiment;
}

registerJobCommands(program);
registerComputeCommands(program);
registerAssetCommands(program);
registerFileCommands(program);
registerDatastoreCommands(program);
registerSqlCommands(program);
registerEndpointCommands(program);
  registerScheduleCommands(program);

await program.parseAsync(process.argv);

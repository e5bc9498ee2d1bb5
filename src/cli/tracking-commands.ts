/** Experiments and runs: the MLflow side of the CLI. */
import { Option, type Command } from 'commander';
import { ApiError, type StratusClient } from '../client/index.ts';
import type { Experiment, Run } from '../specs/mlflow-entities.ts';
import { print, table, time, type OutputFormat } from './format.ts';
import { fail, outputOption, queryOption, withClient as run } from './runner.ts';

export function registerTrackingCommands(program: Command): void {
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
    .argument('[id-or-name]', 'the experiment (or give --name)')
    .option('-n, --name <id-or-name>', 'the experiment\'s name or id')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((idOrName: string | undefined, opts) => run(async (client) => {
      const exp = await findExperiment(client, oneName(idOrName, opts.name, 'experiment'));
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
    .argument('[run-id]', 'the run (or give --name/--run-id)')
    .option('-n, --name <run-id>', 'the run\'s id (a job\'s run has the job\'s name as its run name)')
    .option('--run-id <run-id>', 'the run\'s id, as mlflow runs describe takes it')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((id: string | undefined, opts) => run(async (client) => {
      const { run: r } = await client.runs.get(oneName(id, opts.name ?? opts.runId, 'run'));
      print(r, opts.output, opts.query, () => describeRun(r));
    }));
}

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

/** The one thing a show command names, given as an argument or as --name. */
function oneName(positional: string | undefined, named: string | undefined, what: string): string {
  if (positional && named && positional !== named) fail(`give the ${what} once: '${positional}' and --name '${named}' differ.`);
  const name = positional ?? named;
  if (!name) fail(`name the ${what}: --name <${what}> (or as the first argument).`);
  return name;
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


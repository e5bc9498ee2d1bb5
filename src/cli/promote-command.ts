/**
 * `stratus model promote`: the "register only if better" step of an MLOps pipeline. Compares a
 * candidate run's metric with the run behind the model version that holds an alias (production,
 * by default); when the candidate is better it registers the run's model as a new version and
 * moves the alias to it. Prints what it decided (JSON with -o json), so a CI step can read
 * `--query promoted`.
 */
import { Option, type Command } from 'commander';
import { ApiError, type StratusClient } from '../client/index.ts';
import { decidePromotion } from '../specs/promotion.ts';
import { print, table } from './format.ts';
import { fail, outputOption, queryOption, withClient } from './runner.ts';

async function metricOf(client: StratusClient, runId: string, metric: string): Promise<number | undefined> {
  const run = (await client.runs.get(runId)).run;
  const m = run.data.metrics?.find((x) => x.key === metric);
  return m === undefined ? undefined : Number(m.value);
}

async function aliased(client: StratusClient, name: string, alias: string): Promise<Record<string, any> | undefined> {
  try {
    return (await client.registry.versionByAlias(name, alias)).model_version;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

export function registerPromoteCommand(model: Command): void {
  model
    .command('promote')
    .description('Register a run\'s model and move an alias to it only if its metric beats the aliased version\'s (the MLOps "register if better" step)')
    .requiredOption('-n, --name <model>', 'the registered model')
    .requiredOption('--run <run-id>', 'the candidate run (a job\'s run: properties."mlflow.run_id")')
    .requiredOption('--metric <key>', 'the metric both runs logged, e.g. accuracy')
    .addOption(new Option('--goal <goal>', 'which way is better').choices(['maximize', 'minimize']).default('maximize'))
    .option('--alias <alias>', 'the alias production traffic follows', 'production')
    .option('-p, --path <path>', 'the model\'s folder in the run\'s artifacts', 'model')
    .addOption(new Option('-t, --type <type>', 'the model type').choices(['mlflow_model', 'custom_model']).default('mlflow_model'))
    .option('--min-improvement <delta>', 'how much better (in the metric\'s units) the candidate must be', '0')
    .option('--fail-if-not-better', 'exit 1 when nothing is promoted (by default a kept model is not an error)')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const candidate = await metricOf(client, opts.run, opts.metric);
      if (candidate === undefined) fail(`run ${opts.run} logged no metric '${opts.metric}': log it (mlflow.log_metric) or name another with --metric.`, 2);
      const minImprovement = Number(opts.minImprovement);
      if (!Number.isFinite(minImprovement) || minImprovement < 0) fail(`--min-improvement '${opts.minImprovement}': give a number of 0 or more.`, 2);
      const current = await aliased(client, opts.name, opts.alias);
      const production = current ? { version: String(current.version), value: current.run_id ? await metricOf(client, String(current.run_id), opts.metric).catch(() => undefined) : undefined } : undefined;
      const decision = decidePromotion({ metric: opts.metric, goal: opts.goal, candidate: candidate!, production, minImprovement });
      let version: string | undefined;
      if (decision.promote) {
        const created = await client.models.create({ name: opts.name, path: `runs:/${opts.run}/${opts.path}`, type: opts.type, description: `Promoted by stratus model promote: ${decision.reason}` });
        version = String(created.version);
        await client.registry.setAlias(opts.name, opts.alias, version);
      }
      const result = {
        name: opts.name, alias: opts.alias, metric: opts.metric, goal: opts.goal, promoted: decision.promote, reason: decision.reason,
        candidate: { run_id: opts.run, value: candidate }, production: production ?? null, ...(version ? { version } : {}),
      };
      print(result, opts.output, opts.query, () => table([{ promoted: result.promoted, version: version ?? '', reason: result.reason }], ['promoted', 'version', 'reason']));
      if (!decision.promote && opts.failIfNotBetter) process.exit(1);
    }));
}

/** stratus job create|show|list|stream|cancel|download|update — Azure ML CLI v2's job verbs. */
import path from 'node:path';
import type { Command } from 'commander';
import type { JobJson, StratusClient } from '../client/index.ts';
import { applySets, jobType, parseCommandJob } from '../specs/command-job.ts';
import { parsePipelineJob, parseSweepJob } from '../specs/pipeline-yaml.ts';
import { checkGraph } from '../specs/pipeline-graph.ts';
import { inputTypes } from '../specs/pipeline-types.ts';
import { runUploads } from './pending-uploads.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import { notebookJobYaml } from '../specs/notebook-job.ts';
import { parseSparkJob } from '../specs/spark-job.ts';
import { parseAutomlJob } from '../specs/automl-job.ts';
import { isTerminal } from '../specs/job-status.ts';
import { downloadTree, upload } from './transfer.ts';
import { print, table } from './format.ts';
import { fail, openInStudio, outputOption, queryOption, withClient } from './runner.ts';


function jobRow(j: JobJson): Record<string, unknown> {
  return {
    name: j.name, display_name: j.display_name, status: j.status, experiment: j.experiment_name,
    compute: String(j.compute ?? '').replace(/^azureml:/, ''), created: String(j.creation_context?.created_at ?? '').replace('T', ' ').slice(0, 19),
  };
}
const JOB_COLUMNS = ['name', 'display_name', 'status', 'experiment', 'compute', 'created'];

/** A pipeline's steps, one line each: status, whether it was reused and why (not). */
function stepTable(j: JobJson): string {
  const steps = Object.entries((j.jobs ?? {}) as Record<string, Record<string, any>>).map(([step, s]) => ({
    step, status: s.status, job: s.job_name ?? '', depends_on: (s.depends_on ?? []).join(','),
    reuse: s.reused ? `reused from ${s.reused_from}` : s.reuse_reason ? `ran: ${s.reuse_reason}` : '',
  }));
  return table(steps, ['step', 'status', 'job', 'depends_on', 'reuse']);
}

function trialTable(j: JobJson): string {
  const metric = j.objective?.primary_metric ?? 'metric';
  const trials = (j.trials ?? []).map((t) => ({
    trial: t.name, status: t.status, params: JSON.stringify(t.params), [metric]: t[metric] ?? '', early_terminated: t.early_terminated ?? '',
  }));
  return table(trials, ['trial', 'status', 'params', metric, 'early_terminated']);
}

function describeJob(j: JobJson): string {
  const rows: Record<string, unknown>[] = Object.entries(jobRow(j)).map(([field, value]) => ({ field, value }));
  rows.push({ field: 'command', value: j.command }, { field: 'environment', value: j.environment });
  if (j.properties?.['mlflow.run_id']) rows.push({ field: 'mlflow run', value: j.properties['mlflow.run_id'] });
  for (const [k, v] of Object.entries(j.inputs ?? {})) rows.push({ field: `inputs.${k}`, value: (v as any).value ?? (v as any).path });
  for (const [k, v] of Object.entries(j.outputs ?? {})) rows.push({ field: `outputs.${k}`, value: (v as any).path });
  if (j.error) rows.push({ field: 'error', value: j.error.message });
  for (const n of j.notes ?? []) rows.push({ field: 'note', value: n });
  if (j.reuse) rows.push({ field: 'reuse', value: j.reuse.reused ? `reused from ${j.reuse.reused_from}` : `ran: ${j.reuse.reason}` });
  if (j.best_trial) rows.push({ field: 'best trial', value: `${j.best_trial.name} ${JSON.stringify(j.best_trial.params)}` });
  const main = table(rows.filter((r) => r.value !== undefined), ['field', 'value']);
  if (j.type === 'pipeline') return `${main}\n\n${stepTable(j)}`;
  if (j.type === 'sweep') return `${main}\n\n${trialTable(j)}`;
  return main;
}

/** Follows a pipeline or sweep: each child's status as it changes, until the parent ends. */
async function streamComposite(client: StratusClient, name: string): Promise<JobJson> {
  const seen = new Map<string, string>();
  for (;;) {
    const j = await client.jobs.get(name);
    const children: [string, string, string][] = j.type === 'pipeline'
      ? Object.entries((j.jobs ?? {}) as Record<string, any>).map(([step, s]) => [step, s.status, s.reused ? ` (reused from ${s.reused_from})` : ''])
      : ((j.trials ?? []) as any[]).map((t) => [t.name, t.status, t.early_terminated ? ` (${t.early_terminated})` : '']);
    for (const [child, status, note] of children) {
      if (status === 'NotStarted' || seen.get(child) === status) continue;
      seen.set(child, status);
      process.stderr.write(`[stratus] ${name} › ${child}: ${status}${note}\n`);
    }
    if (isTerminal(j.status)) {
      process.stderr.write(`[stratus] ${name}: ${j.status}\n`);
      if (j.error) process.stderr.write(`[stratus] ${name}: ${j.error.message}\n`);
      if (j.best_trial) process.stderr.write(`[stratus] best trial ${j.best_trial.name}: ${JSON.stringify(j.best_trial.params)}\n`);
      return j;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads any job YAML (command, pipeline, sweep), uploads its local files, and returns the spec to send. */
export function prepareJob(client: StratusClient, opts: { file: string; set?: string[]; name?: string }): Promise<Record<string, unknown>> {
  return prepareJobFrom(client, YamlSource.read(opts.file), opts);
}

/** As prepareJob, for a job already read (a schedule's inline create_job). */
export async function prepareJobFrom(client: StratusClient, src: YamlSource, opts: { set?: string[]; name?: string }): Promise<Record<string, unknown>> {
  applySets(src.data, opts.set ?? []);
  const defaultExperiment = path.basename(process.cwd());
  const type = jobType(src.data);
  if (type === 'pipeline' || type === 'sweep') {
    const parsed = type === 'pipeline' ? parsePipelineJob(src, { name: opts.name, defaultExperiment }) : parseSweepJob(src, { name: opts.name, defaultExperiment });
    for (const w of parsed.warnings) process.stderr.write(`warning: ${w}\n`);
    if (parsed.spec.type === 'pipeline') {
      // Graph mistakes are reported against the file's lines before anything is uploaded.
      const problems = checkGraph(parsed.spec.jobs, { parentInputs: inputTypes(parsed.spec.inputs), parentOutputs: Object.keys(parsed.spec.outputs) });
      if (problems.length) fail(problems.map((p) => `${src.file}:${src.lineOf(p.where)}: '${p.where.join('.')}': ${p.message}`).join('\n'));
    }
    await runUploads(client, parsed.uploads);
    return parsed.spec as unknown as Record<string, unknown>;
  }
  const parse = type === 'spark' ? parseSparkJob : type === 'automl' ? parseAutomlJob : parseCommandJob;
  const parsed = parse(src, { name: opts.name, defaultExperiment });
  for (const w of parsed.warnings) process.stderr.write(`warning: ${w}\n`);
  const spec = parsed.spec;
  if (parsed.uploads.code) spec.code = (await upload(client, parsed.uploads.code, 'snapshots', "'code'")).hash;
  for (const [input, local] of Object.entries(parsed.uploads.inputs)) {
    const { ref } = await upload(client, local, 'uploads', `inputs.${input}`);
    const value = spec.inputs[input];
    if (value.type !== 'literal') value.path = ref;
  }
  return spec as unknown as Record<string, unknown>;
}

/** Follows a job's build log, stdout and stderr until it ends; returns its final state. */
export async function streamJob(client: StratusClient, name: string): Promise<JobJson> {
  const offsets = { stdout: 0, stderr: 0, build: 0 };
  let lastStatus = '';
  for (;;) {
    const logs = await client.jobs.logs(name, offsets);
    if (logs.status !== lastStatus) {
      process.stderr.write(`[stratus] ${name}: ${logs.status}\n`);
      lastStatus = logs.status;
    }
    if (logs.build.data) process.stderr.write(logs.build.data);
    if (logs.stdout.data) process.stdout.write(logs.stdout.data);
    if (logs.stderr.data) process.stderr.write(logs.stderr.data);
    const moved = logs.build.offset !== offsets.build || logs.stdout.offset !== offsets.stdout || logs.stderr.offset !== offsets.stderr;
    offsets.build = logs.build.offset;
    offsets.stdout = logs.stdout.offset;
    offsets.stderr = logs.stderr.offset;
    if (isTerminal(logs.status) && !moved) break;
    if (!moved) await new Promise((r) => setTimeout(r, 250));
  }
  const job = await client.jobs.get(name);
  if (job.error) process.stderr.write(`[stratus] ${name}: ${job.error.message}\n`);
  return job;
}

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('Jobs (Azure ML CLI v2 command-job YAML)');

  job
    .command('create')
    .description('Submit a job from YAML, or a notebook (--notebook) run with papermill')
    .option('-f, --file <file>', 'job YAML')
    .option('--notebook <file.ipynb>', 'run a notebook as a command job; its executed copy is the output `notebook`')
    .option('-p, --parameter <name=value...>', 'with --notebook: a papermill parameter (injected after the cell tagged `parameters`)')
    .option('-e, --experiment-name <name>', 'with --notebook: the experiment (default: the current folder\'s name)')
    .option('-c, --compute <name>', 'with --notebook: the compute to run on')
    .option('--set <key=value...>', 'override a field, e.g. --set inputs.lr=0.1 compute=cpu-cluster')
    .option('-n, --name <name>', 'job name (default: generated)')
    .option('-s, --stream', 'follow the logs until the job ends')
    .option('--web', 'open the job in the studio (its address is printed on stderr)')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      if (!opts.file === !opts.notebook) fail('give --file job.yml, or --notebook notebook.ipynb.');
      const spec = opts.notebook
        ? await prepareJobFrom(client, new YamlSource(`${opts.notebook} (as a notebook job)`, notebookJobYaml(opts.notebook, opts.parameter ?? [], { experiment: opts.experimentName, compute: opts.compute })), opts)
        : await prepareJob(client, opts);
      const created = await client.jobs.create(spec);
      if (opts.web) openInStudio(['jobs', created.name]);
      if (!opts.stream) {
        print(created, opts.output, opts.query, () => table([jobRow(created)], JOB_COLUMNS));
        return;
      }
      process.stderr.write(`[stratus] submitted ${created.name}\n`);
      const final = created.type === 'pipeline' || created.type === 'sweep' ? await streamComposite(client, created.name) : await streamJob(client, created.name);
      if (opts.output !== 'table' || opts.query) print(final, opts.output, opts.query, () => '');
      if (final.status !== 'Completed') process.exit(1);
    }));

  job
    .command('validate')
    .description('Check a job YAML (command, pipeline or sweep) without running it')
    .requiredOption('-f, --file <file>', 'job YAML')
    .option('--set <key=value...>', 'override a field')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const result = await client.jobs.validate(await prepareJob(client, opts));
      print(result, opts.output, opts.query, () => {
        const steps = (result.steps ?? []) as { name: string; depends_on: string[] }[];
        return [`${opts.file} is valid (${result.type} job).`, ...steps.map((s) => `  ${s.name}${s.depends_on.length ? ` ← ${s.depends_on.join(', ')}` : ''}`)].join('\n');
      });
    }));

  job
    .command('show')
    .description('Show a job (steps, trials, outputs, notes)')
    .requiredOption('-n, --name <name>')
    .option('--web', 'open the job in the studio (its address is printed on stderr)')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const j = await client.jobs.get(opts.name);
      if (opts.web) openInStudio(['jobs', j.name]);
      print(j, opts.output, opts.query, () => describeJob(j));
    }));

  job
    .command('list')
    .description('List jobs, newest first')
    .option('--status <status>', 'only jobs in this status')
    .option('--max-results <n>', 'at most this many', '50')
    .option('-p, --parent-job-name <name>', 'the steps of a pipeline or the trials of a sweep')
    .option('--created-by <user>', 'only jobs this user submitted')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.jobs.list({ status: opts.status, max_results: opts.maxResults, parent_job_name: opts.parentJobName, created_by: opts.createdBy });
      print(value, opts.output, opts.query, () => table(value.map(jobRow), JOB_COLUMNS));
    }));

  job
    .command('stream')
    .description('Follow a job\'s logs until it ends')
    .requiredOption('-n, --name <name>')
    .action((opts) => withClient(async (client) => {
      const j = await client.jobs.get(opts.name);
      const final = j.type === 'pipeline' || j.type === 'sweep' ? await streamComposite(client, opts.name) : await streamJob(client, opts.name);
      if (final.status !== 'Completed') process.exit(1);
    }));

  job
    .command('cancel')
    .description('Cancel a job (its whole process tree ends)')
    .requiredOption('-n, --name <name>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const j = await client.jobs.cancel(opts.name);
      print(j, opts.output, opts.query, () => table([jobRow(j)], JOB_COLUMNS));
    }));

  job
    .command('update')
    .description('Change a job\'s display name, description or tags')
    .requiredOption('-n, --name <name>')
    .option('--set <key=value...>', 'display_name=…, description=…, tags.<k>=…')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const changes: Record<string, any> = {};
      for (const s of opts.set ?? []) {
        const eq = s.indexOf('=');
        if (eq <= 0) fail(`Invalid --set '${s}': use key=value.`);
        const key = s.slice(0, eq);
        const value = s.slice(eq + 1);
        if (key.startsWith('tags.')) (changes.tags ??= {})[key.slice(5)] = value;
        else if (key === 'display_name' || key === 'description') changes[key] = value;
        else fail(`Cannot update '${key}': only display_name, description and tags.<key> can change after submission.`);
      }
      const j = await client.jobs.update(opts.name, changes);
      print(j, opts.output, opts.query, () => describeJob(j));
    }));

  job
    .command('download')
    .description('Download a job\'s artifacts and named outputs')
    .requiredOption('-n, --name <name>')
    .option('-p, --download-path <dir>', 'where to put them', '.')
    .option('--output-name <name>', 'only this named output')
    .option('--all', 'artifacts and every named output (default)')
    .action((opts) => withClient(async (client) => {
      const j = await client.jobs.get(opts.name);
      const dest = path.resolve(opts.downloadPath, j.name);
      let n = 0;
      if (!opts.outputName) {
        const run = (await client.runs.get(j.properties['mlflow.run_id'])).run;
        const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
        n += await downloadTree(client, root, path.join(dest, 'artifacts'));
      }
      for (const out of Object.keys(j.outputs ?? {})) {
        if (opts.outputName && out !== opts.outputName) continue;
        // The server says where each output's files are; a job that has not produced one yet has none.
        const stored = j.outputs?.[out]?.store_path;
        if (stored) n += await downloadTree(client, stored, path.join(dest, 'named-outputs', out));
      }
      console.log(`Downloaded ${n} files to ${dest}`);
    }));
}

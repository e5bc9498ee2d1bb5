/** stratus schedule create|list|show|enable|disable|delete — Azure ML CLI v2's schedule verbs. */
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { ScheduleJson } from '../client/index.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import { applySets } from '../specs/command-job.ts';
import { print, table } from './format.ts';
import { prepareJob, prepareJobFrom } from './job-commands.ts';
import { fail, outputOption, queryOption, withClient } from './runner.ts';

const row = (s: ScheduleJson) => ({
  name: s.name, enabled: s.is_enabled ? 'yes' : 'no',
  trigger: s.trigger?.type === 'cron' ? `cron ${s.trigger.expression}` : `every ${s.trigger?.interval} ${s.trigger?.frequency}`,
  time_zone: s.trigger?.time_zone, job: s.create_job?.type, next_run: s.next_run_time ?? '',
});
const COLUMNS = ['name', 'enabled', 'trigger', 'time_zone', 'job', 'next_run'];

function describe(s: ScheduleJson): string {
  const main = table([row(s)], COLUMNS);
  if (!s.fires?.length) return main;
  return `${main}\n\n${table(s.fires.map((f: Record<string, string>) => ({ slot: f.slot, outcome: f.outcome, job: f.job_name ?? '' })), ['slot', 'outcome', 'job'])}`;
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('Schedules: cron or recurrence triggers that submit a job');
  schedule
    .command('create')
    .description('Create a schedule from its YAML')
    .requiredOption('-f, --file <file>', 'schedule YAML: name, trigger, create_job')
    .option('-n, --name <name>')
    .option('--set <key=value...>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const src = YamlSource.read(opts.file);
      applySets(src.data, opts.set ?? []);
      const d = src.data as Record<string, any>;
      const name = opts.name ?? d.name;
      if (!name) fail(`${opts.file}: a schedule needs 'name' (or --name).`);
      if (!d.trigger) throw src.error(['trigger'], 'a schedule needs a trigger: {type: cron, expression: "0 2 * * *"} or {type: recurrence, frequency: day, interval: 1}.');
      let createJob: Record<string, unknown> | string;
      const cj = d.create_job;
      if (typeof cj === 'string' && cj.startsWith('azureml:')) createJob = cj;
      else if (typeof cj === 'string') createJob = await prepareJob(client, { file: path.resolve(path.dirname(path.resolve(opts.file)), cj) });
      else if (cj && typeof cj === 'object') createJob = await prepareJobFrom(client, new YamlSource(path.resolve(opts.file), stringify(cj)), {});
      else throw src.error(['create_job'], 'give a job YAML file (./pipeline.yml), an inline job, or azureml:<existing job name>.');
      const s = await client.schedules.create({ name, display_name: d.display_name, description: d.description, tags: d.tags, trigger: d.trigger, create_job: createJob });
      print(s, opts.output, opts.query, () => describe(s));
    }));
  schedule.command('list').description('List schedules').addOption(outputOption()).addOption(queryOption()).action((opts) => withClient(async (client) => {
    const { value } = await client.schedules.list();
    print(value, opts.output, opts.query, () => table(value.map(row), COLUMNS));
  }));
  const verbs = { show: 'Show a schedule: its next run time and recent slots', enable: 'Enable a schedule (it fires from the next slot on)', disable: 'Disable a schedule' };
  for (const verb of ['show', 'enable', 'disable'] as const) {
    schedule.command(verb).description(verbs[verb]).requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption()).action((opts) => withClient(async (client) => {
      const s = await client.schedules[verb](opts.name);
      print(s, opts.output, opts.query, () => describe(s));
    }));
  }
  schedule.command('delete').description('Delete a schedule').requiredOption('-n, --name <name>').option('-y, --yes').action((opts) => withClient(async (client) => {
    await client.schedules.delete(opts.name);
    console.log(`Deleted schedule ${opts.name}.`);
  }));
}

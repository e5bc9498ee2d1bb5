/** stratus compute create|list|show|delete */
import type { Command } from 'commander';
import { YamlSource } from '../specs/yaml-source.ts';
import { print, table } from './format.ts';
import { fail, outputOption, queryOption, withClient } from './runner.ts';

export function registerComputeCommands(program: Command): void {
  const compute = program.command('compute').description('Compute targets (local pools that run jobs)');
  compute
    .command('create')
    .description('Register a local pool running at most --max-instances jobs at once')
    .option('--name <name>')
    .option('--type <type>', 'amlcompute', 'amlcompute')
    .option('--max-instances <n>', 'jobs running at once', '1')
    .option('-f, --file <file>', 'compute YAML (name, type, max_instances)')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let body: { name: string; type?: string; max_instances?: number; description?: string };
      if (opts.file) {
        const d = YamlSource.read(opts.file).data;
        body = { name: String(opts.name ?? d.name ?? ''), type: d.type as string | undefined, max_instances: Number(d.max_instances ?? opts.maxInstances), description: d.description as string | undefined };
      } else {
        if (!opts.name) fail('give --name (or --file compute.yml).');
        body = { name: opts.name, type: opts.type, max_instances: Number(opts.maxInstances) };
      }
      const c = await client.computes.create(body);
      print(c, opts.output, opts.query, () => table([c as unknown as Record<string, unknown>], ['name', 'type', 'max_instances']));
    }));
  compute
    .command('list')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.computes.list();
      print(value, opts.output, opts.query, () => table(value as unknown as Record<string, unknown>[], ['name', 'type', 'max_instances', 'description']));
    }));
  compute
    .command('show')
    .requiredOption('--name <name>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const c = await client.computes.get(opts.name);
      print(c, opts.output, opts.query, () => table([c as unknown as Record<string, unknown>], ['name', 'type', 'max_instances', 'description']));
    }));
  compute
    .command('delete')
    .requiredOption('--name <name>')
    .action((opts) => withClient(async (client) => {
      await client.computes.delete(opts.name);
      console.log(`Deleted compute ${opts.name}.`);
    }));
}

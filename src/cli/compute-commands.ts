/** stratus compute create|list|show|start|stop|restart|delete, in az ml compute's shape. */
import type { Command } from 'commander';
import { readComputeYaml } from '../specs/compute-yaml.ts';
import type { ComputeJson, StratusClient } from '../client/index.ts';
import { print, table } from './format.ts';
import { fail, instantNoWait, outputOption, queryOption, withClient } from './runner.ts';
import { registerJoinWorker } from './spark-worker.ts';

const COLUMNS = ['name', 'type', 'state', 'size', 'max_instances', 'description'];

function describe(c: ComputeJson): string {
  const rows: Record<string, unknown>[] = [
    { field: 'name', value: c.name }, { field: 'type', value: c.type }, { field: 'state', value: c.state },
    { field: 'state reason', value: c.state_reason }, { field: 'size', value: c.size }, { field: 'max_instances', value: c.type === 'computeinstance' ? undefined : c.max_instances },
    { field: 'idle shutdown', value: c.idle_time_before_shutdown_minutes ? `after ${c.idle_time_before_shutdown_minutes} min idle` : undefined },
    { field: 'workers', value: c.type === 'spark' && !c.attached_master ? `${c.alive_workers ?? 0} alive of ${c.workers} (${c.worker_cores} cores, ${c.worker_memory} each)` : undefined },
    { field: 'master', value: c.master_url ?? c.attached_master },
    { field: 'join a worker', value: c.join_worker_command },
    ...(c.services ?? []).map((s) => ({ field: s.display_name, value: s.endpoint_uri })),
    { field: 'description', value: c.description },
  ];
  return table(rows.filter((r) => r.value !== undefined && r.value !== ''), ['field', 'value']);
}

/** start, stop and restart: the same shape, one verb each. */
function lifecycleVerb(compute: Command, verb: 'start' | 'stop' | 'restart', what: string, call: (c: StratusClient, name: string) => Promise<ComputeJson>): void {
  compute
    .command(verb)
    .description(what)
    .requiredOption('-n, --name <name>')
    .option('--no-wait', 'return at once instead of waiting for the operation to finish')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let c = await call(client, opts.name);
      const settled = verb === 'stop' ? ['Stopped', 'Failed'] : ['Running', 'Failed'];
      while (opts.wait && !settled.includes(String(c.state))) {
        await new Promise((r) => setTimeout(r, 500));
        c = await client.computes.get(opts.name);
      }
      if (opts.wait && c.state === 'Failed') fail(`compute instance ${opts.name} failed: ${c.state_reason ?? ''}`);
      print(c, opts.output, opts.query, () => describe(c));
    }));
}

export function registerComputeCommands(program: Command): void {
  const compute = program.command('compute').description('Compute targets: local pools that run jobs, and compute instances (Jupyter)');
  compute
    .command('create')
    .description('Create a compute from Azure ML compute YAML (amlcompute or computeinstance) or flags')
    .option('-n, --name <name>')
    .option('--type <type>', 'amlcompute (a local pool), computeinstance (Jupyter) or spark (a Spark cluster)', 'amlcompute')
    .option('--workers <n>', 'spark: worker processes')
    .option('--worker-cores <n>', 'spark: cores per worker')
    .option('--worker-memory <size>', 'spark: memory per worker, e.g. 2g')
    .option('--master-host <address>', 'spark: the address the master binds to (default 127.0.0.1; one other hosts reach lets their workers join)')
    .option('--master-url <url>', 'spark: attach an existing master (spark://host:port) instead of starting one')
    .option('--max-instances <n>', 'amlcompute: jobs running at once', '1')
    .option('--size <size>', 'VM size, shown as given (compute runs on this host)')
    .option('--idle-time-before-shutdown-minutes <n>', 'computeinstance: stop after this many minutes without kernel activity')
    .option('-f, --file <file>', 'compute YAML')
    .option('--no-wait', 'return once the compute is accepted, without waiting for an instance to start')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      let body;
      if (opts.file) {
        const read = readComputeYaml(opts.file);
        for (const w of read.warnings) process.stderr.write(`warning: ${w}\n`);
        body = { ...read.body, ...(opts.name ? { name: opts.name } : {}) };
      } else {
        if (!opts.name) fail('give --name (or --file compute.yml).');
        body = {
          name: opts.name, type: opts.type, size: opts.size,
          ...(opts.type === 'amlcompute' ? { max_instances: Number(opts.maxInstances) } : {}),
          ...(opts.workers !== undefined ? { workers: Number(opts.workers) } : {}),
          ...(opts.workerCores !== undefined ? { worker_cores: Number(opts.workerCores) } : {}),
          ...(opts.workerMemory !== undefined ? { worker_memory: opts.workerMemory } : {}),
          ...(opts.masterHost !== undefined ? { master_host: opts.masterHost } : {}),
          ...(opts.masterUrl !== undefined ? { master_url: opts.masterUrl } : {}),
          ...(opts.idleTimeBeforeShutdownMinutes !== undefined ? { idle_time_before_shutdown_minutes: Number(opts.idleTimeBeforeShutdownMinutes) } : {}),
        };
      }
      let c = await client.computes.create(body);
      if ((c.type === 'computeinstance' || c.type === 'spark') && opts.wait) {
        process.stderr.write(`[stratus] ${c.name}: ${c.state} (the first one of its kind builds its environment; later ones start in seconds)\n`);
        while (!['Running', 'Failed'].includes(String(c.state))) {
          await new Promise((r) => setTimeout(r, 1000));
          c = await client.computes.get(c.name);
        }
        if (c.state === 'Failed') fail(`compute instance ${c.name} failed: ${c.state_reason ?? ''}`);
      }
      print(c, opts.output, opts.query, () => describe(c));
    }));
  compute
    .command('list')
    .description('List computes')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.computes.list();
      print(value, opts.output, opts.query, () => table(value, COLUMNS));
    }));
  compute
    .command('show')
    .description('Show a compute')
    .requiredOption('-n, --name <name>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const c = await client.computes.get(opts.name);
      print(c, opts.output, opts.query, () => describe(c));
    }));
  lifecycleVerb(compute, 'start', 'Start a stopped compute instance or Spark cluster', (c, n) => c.computes.start(n));
  lifecycleVerb(compute, 'stop', 'Stop a compute instance (its kernels end; files stay) or a Spark cluster', (c, n) => c.computes.stop(n));
  lifecycleVerb(compute, 'restart', 'Restart a compute instance or Spark cluster', (c, n) => c.computes.restart(n));
  compute
    .command('resize')
    .description('Change a Spark cluster\'s number of workers (applied at once when it runs)')
    .requiredOption('-n, --name <name>')
    .requiredOption('--workers <n>', 'the number of workers')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const c = await client.computes.resize(opts.name, Number(opts.workers));
      print(c, opts.output, opts.query, () => describe(c));
    }));
  registerJoinWorker(compute);
  compute
    .command('delete')
    .description('Delete a compute')
    .requiredOption('-n, --name <name>')
    .option('-y, --yes', 'do not ask for confirmation (accepted for az ml scripts)')
    .addOption(instantNoWait())
    .action((opts) => withClient(async (client) => {
      await client.computes.delete(opts.name);
      console.log(`Deleted compute ${opts.name}.`);
    }));
}

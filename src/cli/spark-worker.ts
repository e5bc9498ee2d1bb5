/**
 * `stratus compute join-worker`: runs Spark's own Worker on this host, in the foreground, offering
 * its cores and memory to a Stratus Spark cluster's master — how a second machine joins a cluster.
 * The master URL comes from the workspace (`--name`) or is given (`--master-url`, for a host that
 * reaches the master but not the workspace). Spark comes from `--spark-home`, SPARK_HOME, or the
 * `pyspark` package of the Python on PATH.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { parseMasterUrl, workerArgs } from '../specs/spark-cluster.ts';
import { fail, withClient } from './runner.ts';

/** Spark's home: where bin/spark-class is. */
function sparkHome(given: string | undefined): string {
  const candidates = [given, process.env.SPARK_HOME];
  for (const python of ['python3', 'python']) {
    try {
      candidates.push(execFileSync(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      break;
    } catch { /* no pyspark in this Python */ }
  }
  const home = candidates.find((c) => c && fs.existsSync(path.join(c, 'bin', 'spark-class')));
  if (!home) fail('Spark was not found on this host: install PySpark 4.3 (pip install pyspark==4.3.0) or pass --spark-home <folder with bin/spark-class>.');
  return home;
}

/** The address of this host that reaches the master (what the master will call back). */
function localAddressTowards(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: 5000 }, () => {
      const address = socket.localAddress!;
      socket.destroy();
      resolve(address.replace(/^::ffff:/, ''));
    });
    socket.on('timeout', () => { socket.destroy(); reject(new Error(`the Spark master at ${host}:${port} did not answer within 5 s`)); });
    socket.on('error', (err) => reject(new Error(`the Spark master at ${host}:${port} cannot be reached from this host: ${err.message}`)));
  });
}

async function masterFromWorkspace(name: string): Promise<string> {
  let url = '';
  await withClient(async (client) => {
    const c = await client.computes.get(name);
    if (c.type !== 'spark') fail(`Compute '${name}' is a ${c.type} compute, not a Spark cluster.`);
    if (c.state !== 'Running' || !c.master_url) fail(`Spark cluster '${name}' is ${c.state}: start it first (stratus compute start --name ${name}).`);
    url = c.master_url;
  });
  return url;
}

export function registerJoinWorker(compute: Command): void {
  compute
    .command('join-worker')
    .description('Run a Spark worker on this host that joins a Spark cluster (in the foreground; Ctrl-C leaves the cluster)')
    .option('-n, --name <name>', 'the Spark cluster (its master URL is read from the workspace)')
    .option('--master-url <url>', 'the master to join, spark://host:port (compute show gives join_worker_command)')
    .option('--cores <n>', 'cores to offer', String(os.cpus().length))
    .option('--memory <size>', 'memory to offer, e.g. 2g', '1g')
    .option('--host <address>', 'this host\'s address as the master reaches it (default: the one that reaches the master)')
    .option('--spark-home <dir>', 'Spark installation (default: SPARK_HOME, else pyspark of the Python on PATH)')
    .option('--work-dir <dir>', 'where executors run', path.join(os.tmpdir(), 'stratus-spark-worker'))
    .action(async (opts) => {
      if (!opts.name === !opts.masterUrl) fail('give either --name <cluster> or --master-url spark://host:port.');
      const master = opts.masterUrl ?? await masterFromWorkspace(opts.name);
      const { host, port } = parseMasterUrl(master);
      const me = opts.host ?? await localAddressTowards(host.replace(/^\[|\]$/g, ''), port).catch((err: Error) => fail(err.message));
      if (!/^\d+$/.test(opts.cores) || Number(opts.cores) < 1) fail(`--cores must be a whole number of at least 1, got '${opts.cores}'.`);
      if (!/^\d+[kmgt]?$/i.test(opts.memory)) fail(`--memory must be a size such as 512m or 2g, got '${opts.memory}'.`);
      const home = sparkHome(opts.sparkHome);
      fs.mkdirSync(opts.workDir, { recursive: true });
      process.stderr.write(`[stratus] joining ${master} as ${me} with ${opts.cores} cores and ${opts.memory} (Spark at ${home}); Ctrl-C to leave\n`);
      const child = spawn(path.join(home, 'bin', 'spark-class'), workerArgs(master, me, Number(opts.cores), opts.memory, opts.workDir), {
        stdio: 'inherit', env: { ...process.env, SPARK_HOME: home, SPARK_LOCAL_IP: me, SPARK_NO_DAEMONIZE: '1' },
      });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
      child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
    });
}

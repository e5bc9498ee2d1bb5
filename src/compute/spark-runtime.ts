/**
 * Spark standalone clusters (`type: spark` computes): Spark's own Master and Workers, started
 * with `spark-class` from PySpark in the stratus-spark environment, on this host's loopback
 * address. The master's JSON status page tells when the cluster is up, which workers are alive,
 * and whether applications are running (for idle shutdown). Resizing starts or stops workers
 * while the cluster runs. Spark jobs submitted to the cluster run their driver on the workspace
 * host against the master (spark-provider.ts). While it runs, notebooks can attach to it: a
 * Jupyter kernel spec "PySpark (<cluster>)" in the workspace's shared kernel folder starts a
 * Python kernel with `spark` and `sc` connected to the master.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentBuilder, BuiltEnvironment } from '../environments/builder.ts';
import { CURATED } from '../environments/curated.ts';
import { HARNESS } from '../util/python-harness.ts';
import { childEnv } from '../util/child-env.ts';
import { invalid } from '../util/errors.ts';
import { parseMasterUrl, workerArgs } from '../specs/spark-cluster.ts';
import { freePort, logTail, markedProcesses, MARKER_VAR, stopMarked } from './marked-processes.ts';
import type { Boot, Booted, ComputeRuntime, ManagedContext, ManagedRow, ManagedSettings } from './managed.ts';

export interface SparkSettings extends ManagedSettings {
  workers?: number;
  worker_cores?: number;
  worker_memory?: string;
  spark_conf?: Record<string, string>;
  /** The address the master and this host's workers bind to: loopback by default; a LAN address lets workers on other hosts join. */
  master_host?: string;
  /** An existing master to attach instead of starting one (`spark://host:7077`), and its web UI for status. */
  master_url?: string;
  master_web_ui?: string;
}

interface MasterStatus {
  status: string;
  workers: { id: string; host: string; port: number; cores: number; memory: number; state: string }[];
  activeapps: { id: string; name: string; starttime: number }[];
  completedapps: { id: string; starttime: number; duration: number }[];
}

/** What a running cluster's row records: where its master and web UI are. */
interface SparkInfo { master_url: string; web_ui?: string; attached?: boolean }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function masterUrl(row: Pick<ManagedRow, 'port' | 'info'>): string {
  const info = row.info ? JSON.parse(row.info) as Partial<SparkInfo> : {};
  return info.master_url ?? `spark://127.0.0.1:${row.port}`;
}

/** Where the workspace serves a cluster's master web UI (server/spark-ui-proxy.ts). */
export function sparkUiPrefix(cluster: string): string {
  return `/computes/${cluster}/spark-ui`;
}

/** A running cluster's master web UI, if Stratus knows it. */
export function sparkWebUi(row: Pick<ManagedRow, 'info'>): string | undefined {
  return sparkInfo(row)?.web_ui;
}

/** The host addresses a master can bind to: loopback or one of this machine's interfaces. */
export function checkMasterHost(host: string): void {
  const mine = Object.values(os.networkInterfaces()).flat().map((a) => a?.address);
  if (!mine.includes(host)) {
    throw invalid(`master_host '${host}' is not an address of this machine (it has ${mine.filter(Boolean).join(', ')}): give one of them, so workers on other hosts can reach the master there.`);
  }
}

export class SparkRuntime implements ComputeRuntime {
  readonly activityWord = 'Spark application running';

  /** `kernelsRoot` is a Jupyter data folder (JUPYTER_PATH) every compute instance's Jupyter reads kernel specs from. */
  constructor(private builder: EnvironmentBuilder, private kernelsRoot: string) {}

  async boot(b: Boot): Promise<Booted> {
    const settings = b.settings as SparkSettings;
    const built = await this.builder.ensure(CURATED['stratus-spark'], b.log);
    // Every application on the cluster starts with its spark_conf (the driver reads SPARK_CONF_DIR).
    fs.mkdirSync(path.join(b.dir, 'conf'), { recursive: true });
    // Applications' UIs are reached through the master's (and so through the workspace): Spark's reverse-proxy mode.
    const conf = { ...(settings.master_url ? {} : reverseProxy(b.name)), ...settings.spark_conf };
    fs.writeFileSync(path.join(b.dir, 'conf', 'spark-defaults.conf'), Object.entries(conf).map(([k, v]) => `${k} ${v}\n`).join(''));
    if (settings.master_url) return this.attach(b, built, settings);
    const host = settings.master_host ?? '127.0.0.1';
    const port = await freePort(host);
    const webPort = await freePort(host);
    const info: SparkInfo = { master_url: `spark://${host}:${port}`, web_ui: `http://${host}:${webPort}` };
    const master = this.daemon(built, b.dir, `${b.marker}/master`, 'master.log', host, b.name,
      ['org.apache.spark.deploy.master.Master', '--host', host, '--port', String(port), '--webui-port', String(webPort)]);
    await this.waitFor(info.web_ui!, (s) => s.status === 'ALIVE', path.join(b.dir, 'master.log'), 'the Spark master');
    const want = settings.workers ?? 1;
    for (let i = 0; i < want; i++) this.startWorker(built, b.name, b.dir, b.marker, i, info.master_url, host, settings);
    await this.waitFor(info.web_ui!, (s) => alive(s) >= want, path.join(b.dir, 'worker-0.log'), `${want} Spark worker${want === 1 ? '' : 's'}`);
    this.writeKernelSpec(b.name, built, info.master_url, path.join(b.dir, 'conf'));
    return { pid: master, port, info: { ...info } };
  }

  /** An existing master: nothing is started; it must answer (its web UI's status, else its port). */
  private async attach(b: Boot, built: BuiltEnvironment, settings: SparkSettings): Promise<Booted> {
    const { host, port } = parseMasterUrl(settings.master_url!);
    const info: SparkInfo = { master_url: settings.master_url!, web_ui: settings.master_web_ui, attached: true };
    if (info.web_ui) await this.waitFor(info.web_ui, (s) => s.status === 'ALIVE', path.join(b.dir, 'compute.log'), `the Spark master at ${info.web_ui}`, 20_000);
    else await reachable(host, port);
    b.log(`attached to the Spark master ${info.master_url}\n`);
    this.writeKernelSpec(b.name, built, info.master_url, path.join(b.dir, 'conf'));
    // No process of ours: pid 0 (a restarted server attaches again).
    return { pid: 0, port, info: { ...info } };
  }

  answers(row: ManagedRow): Promise<boolean> {
    const info = sparkInfo(row);
    if (info?.attached && !info.web_ui) return reachable(parseMasterUrl(info.master_url).host, Number(row.port)).then(() => true, () => false);
    return this.status(row).then((s) => s?.status === 'ALIVE', () => false);
  }

  /** Any application running means now; otherwise when the last one ended. */
  async lastUsed(row: ManagedRow): Promise<number> {
    const s = await this.status(row);
    if (!s) return 0;
    if (s.activeapps.length) return Date.now();
    return Math.max(0, ...s.completedapps.map((a) => a.starttime + a.duration));
  }

  async describe(row: ManagedRow, s: ManagedSettings, ctx: ManagedContext | undefined): Promise<Record<string, unknown>> {
    const settings = s as SparkSettings;
    const status = row.state === 'Running' ? await this.status(row).catch(() => undefined) : undefined;
    const info = sparkInfo(row);
    return {
      ...(settings.master_url ? { attached_master: settings.master_url } : { workers: settings.workers ?? 1 }),
      ...(settings.master_host ? { master_host: settings.master_host } : {}),
      worker_cores: settings.worker_cores ?? 1,
      worker_memory: settings.worker_memory ?? '1g',
      spark_conf: settings.spark_conf ?? {},
      environment: 'stratus-spark (PySpark 4.3, MLflow)',
      ...(row.state === 'Running' && row.port ? { master_url: masterUrl(row), master_web_ui: info?.web_ui } : {}),
      // The master's web UI (and through it the workers' and applications') on the workspace's port.
      ...(row.state === 'Running' && info?.web_ui ? { services: [{ display_name: 'Spark master UI', endpoint_uri: `${ctx?.publicUrl ?? ''}${sparkUiPrefix(row.name)}/` }] } : {}),
      // How a worker on another host joins (the master must be bound to an address that host can reach: master_host).
      ...(row.state === 'Running' && row.port && !info?.attached ? { join_worker_command: `stratus compute join-worker --master-url ${masterUrl(row)}` } : {}),
      ...(status ? {
        nodes: status.workers.map((w) => ({ id: w.id, host: w.host, cores: w.cores, memory_mb: w.memory, state: w.state })),
        alive_workers: alive(status),
        running_applications: status.activeapps.map((a) => ({ id: a.id, name: a.name })),
      } : {}),
    };
  }

  halted(name: string): void {
    fs.rmSync(this.kernelDir(name), { recursive: true, force: true });
  }

  /** The kernel name notebooks use to attach to a cluster. */
  static kernelName(cluster: string): string {
    return `spark-${cluster.toLowerCase()}`;
  }

  private kernelDir(cluster: string): string {
    return path.join(this.kernelsRoot, 'kernels', SparkRuntime.kernelName(cluster));
  }

  /** A Jupyter kernel spec whose kernel has `spark` connected to this cluster (python/stratus_spark/kernel.py). */
  private writeKernelSpec(cluster: string, built: BuiltEnvironment, master: string, confDir: string): void {
    const dir = this.kernelDir(cluster);
    fs.mkdirSync(dir, { recursive: true });
    const bin = built.prefix ? path.join(built.prefix, 'bin') : '';
    const spec = {
      display_name: `PySpark (${cluster})`,
      language: 'python',
      argv: [built.python, '-m', 'stratus_spark.kernel', '-f', '{connection_file}'],
      env: {
        PYTHONPATH: HARNESS,
        STRATUS_SPARK_MASTER: master, STRATUS_SPARK_CLUSTER: cluster, SPARK_CONF_DIR: confDir, PYSPARK_PYTHON: built.python, SPARK_LOCAL_IP: '127.0.0.1',
        ...(bin ? { PATH: `${bin}:${process.env.PATH ?? ''}` } : {}),
      },
      metadata: { stratus: { compute: cluster } },
    };
    fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2));
  }

  /** Starts or stops workers until `settings.workers` are running (the highest-numbered go first). */
  async resize(row: ManagedRow, settings: SparkSettings, dir: string): Promise<void> {
    const info = sparkInfo(row)!;
    if (info.attached) throw invalid(`This cluster is an attached master (${info.master_url}): its workers are not Stratus's to resize.`);
    const want = settings.workers ?? 1;
    const prefix = `${row.marker}/worker-`;
    const running = [...new Set(markedProcesses((m) => m.startsWith(prefix)).map((p) => Number(p.marker.slice(prefix.length).split('/')[0])))].sort((a, b) => a - b);
    const host = settings.master_host ?? '127.0.0.1';
    // Workers that joined from other hosts count as well; only this host's are started or stopped.
    const joined = ((await this.status(row).catch(() => undefined))?.workers ?? []).filter((w) => w.state === 'ALIVE' && w.host !== host).length;
    if (running.length < want) {
      const built = await this.builder.ensure(CURATED['stratus-spark'], () => undefined);
      for (let i = 0, next = 0; i < want - running.length; i++) {
        while (running.includes(next)) next++;
        this.startWorker(built, row.name, dir, row.marker!, next, info.master_url, host, settings);
        running.push(next);
      }
    } else {
      for (const i of running.slice(want).reverse()) await stopMarked(undefined, `${prefix}${i}`, 8000);
    }
    await this.waitFor(info.web_ui!, (s) => alive(s) === want + joined, path.join(dir, 'master.log'), `${want} Spark worker${want === 1 ? '' : 's'}`);
  }

  private startWorker(built: BuiltEnvironment, cluster: string, dir: string, marker: string, i: number, master: string, host: string, settings: SparkSettings): number {
    fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
    return this.daemon(built, dir, `${marker}/worker-${i}`, `worker-${i}.log`, host, cluster, workerArgs(master, host, settings.worker_cores ?? 1, settings.worker_memory ?? '1g', path.join(dir, 'work')));
  }

  /** One Spark daemon (`spark-class <main class> …`) in a process group of its own, logging to `dir/<log>`. */
  private daemon(built: BuiltEnvironment, dir: string, marker: string, log: string, host: string, cluster: string, args: string[]): number {
    const proxyOpts = Object.entries(reverseProxy(cluster)).map(([k, v]) => `-D${k}=${v}`).join(' ');
    const out = fs.openSync(path.join(dir, log), 'a');
    const bin = built.prefix ? path.join(built.prefix, 'bin') : '';
    const child = spawn(bin ? path.join(bin, 'spark-class') : 'spark-class', args, {
      cwd: dir, detached: true, stdio: ['ignore', out, out],
      env: childEnv({
        PATH: bin ? `${bin}:${process.env.PATH ?? ''}` : process.env.PATH, SPARK_LOCAL_IP: host, PYSPARK_PYTHON: built.python,
        SPARK_NO_DAEMONIZE: '1', [MARKER_VAR]: marker,
        // The master's REST submission server (port 6066) is not used here; off, it cannot collide with another cluster's.
        SPARK_MASTER_OPTS: `-Dspark.master.rest.enabled=false ${proxyOpts}`,
        SPARK_WORKER_OPTS: proxyOpts,
      }),
    });
    fs.closeSync(out);
    child.unref();
    child.on('error', () => undefined);
    if (!child.pid) throw new Error(`could not start spark-class ${args[0]}`);
    return child.pid;
  }

  private async status(row: Pick<ManagedRow, 'info'>): Promise<MasterStatus | undefined> {
    const info = sparkInfo(row);
    return info?.web_ui ? fetchStatus(info.web_ui) : undefined;
  }

  private async waitFor(webUi: string, ready: (s: MasterStatus) => boolean, logFile: string, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await fetchStatus(webUi).catch(() => undefined);
      if (s && ready(s)) return;
      await sleep(300);
    }
    throw new Error(`${what} did not come up within ${timeoutMs / 1000} s: ${logTail(logFile, 6)}`);
  }
}

function alive(s: MasterStatus): number {
  return s.workers.filter((w) => w.state === 'ALIVE').length;
}

/** Spark's reverse-proxy mode, its URL where the workspace serves the master's UI. */
function reverseProxy(cluster: string): Record<string, string> {
  return { 'spark.ui.reverseProxy': 'true', 'spark.ui.reverseProxyUrl': sparkUiPrefix(cluster) };
}

function sparkInfo(row: Pick<ManagedRow, 'info'>): SparkInfo | undefined {
  return row.info ? JSON.parse(row.info) as SparkInfo : undefined;
}

function reachable(host: string, port: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: timeoutMs }, () => { socket.destroy(); resolve(); });
    const fail = (why: string) => { socket.destroy(); reject(new Error(`the Spark master at ${host}:${port} does not answer (${why})`)); };
    socket.on('timeout', () => fail('timed out'));
    socket.on('error', (err) => fail(err.message));
  });
}

async function fetchStatus(webUi: string): Promise<MasterStatus | undefined> {
  const res = await fetch(`${webUi}/json/`);
  return res.ok ? (await res.json() as MasterStatus) : undefined;
}

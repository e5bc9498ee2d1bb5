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
import path from 'node:path';
import type { EnvironmentBuilder, BuiltEnvironment } from '../environments/builder.ts';
import { CURATED } from '../environments/curated.ts';
import { HARNESS } from '../serving/worker-pool.ts';
import { childEnv } from '../util/child-env.ts';
import { freePort, logTail, markedProcesses, MARKER_VAR, stopMarked } from './marked-processes.ts';
import type { Boot, Booted, ComputeRuntime, ManagedContext, ManagedRow, ManagedSettings } from './managed.ts';

export interface SparkSettings extends ManagedSettings {
  workers?: number;
  worker_cores?: number;
  worker_memory?: string;
  spark_conf?: Record<string, string>;
}

interface MasterStatus {
  status: string;
  workers: { id: string; host: string; port: number; cores: number; memory: number; state: string }[];
  activeapps: { id: string; name: string; starttime: number }[];
  completedapps: { id: string; starttime: number; duration: number }[];
}

interface SparkInfo { web_ui_port: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function masterUrl(row: Pick<ManagedRow, 'port'>): string {
  return `spark://127.0.0.1:${row.port}`;
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
    fs.writeFileSync(path.join(b.dir, 'conf', 'spark-defaults.conf'), Object.entries(settings.spark_conf ?? {}).map(([k, v]) => `${k} ${v}\n`).join(''));
    const port = await freePort();
    const webPort = await freePort();
    const master = this.daemon(built, b.dir, `${b.marker}/master`, 'master.log',
      ['org.apache.spark.deploy.master.Master', '--host', '127.0.0.1', '--port', String(port), '--webui-port', String(webPort)]);
    await this.waitFor(webPort, (s) => s.status === 'ALIVE', path.join(b.dir, 'master.log'), 'the Spark master');
    const want = settings.workers ?? 1;
    for (let i = 0; i < want; i++) this.startWorker(built, b.dir, b.marker, i, port, settings);
    await this.waitFor(webPort, (s) => alive(s) >= want, path.join(b.dir, 'worker-0.log'), `${want} Spark worker${want === 1 ? '' : 's'}`);
    this.writeKernelSpec(b.name, built, `spark://127.0.0.1:${port}`, path.join(b.dir, 'conf'));
    return { pid: master, port, info: { web_ui_port: webPort } satisfies SparkInfo };
  }

  answers(row: ManagedRow): Promise<boolean> {
    return this.status(row).then((s) => s?.status === 'ALIVE', () => false);
  }

  /** Any application running means now; otherwise when the last one ended. */
  async lastUsed(row: ManagedRow): Promise<number> {
    const s = await this.status(row);
    if (!s) return 0;
    if (s.activeapps.length) return Date.now();
    return Math.max(0, ...s.completedapps.map((a) => a.starttime + a.duration));
  }

  async describe(row: ManagedRow, s: ManagedSettings, _ctx: ManagedContext | undefined): Promise<Record<string, unknown>> {
    const settings = s as SparkSettings;
    const status = row.state === 'Running' ? await this.status(row).catch(() => undefined) : undefined;
    const info = row.info ? JSON.parse(row.info) as SparkInfo : undefined;
    return {
      workers: settings.workers ?? 1,
      worker_cores: settings.worker_cores ?? 1,
      worker_memory: settings.worker_memory ?? '1g',
      spark_conf: settings.spark_conf ?? {},
      environment: 'stratus-spark (PySpark 4.3, MLflow)',
      ...(row.state === 'Running' && row.port ? { master_url: masterUrl(row), master_web_ui: info ? `http://127.0.0.1:${info.web_ui_port}` : undefined } : {}),
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
    const want = settings.workers ?? 1;
    const prefix = `${row.marker}/worker-`;
    const running = [...new Set(markedProcesses((m) => m.startsWith(prefix)).map((p) => Number(p.marker.slice(prefix.length).split('/')[0])))].sort((a, b) => a - b);
    const info = JSON.parse(row.info ?? '{}') as SparkInfo;
    if (running.length < want) {
      const built = await this.builder.ensure(CURATED['stratus-spark'], () => undefined);
      for (let i = 0, next = 0; i < want - running.length; i++) {
        while (running.includes(next)) next++;
        this.startWorker(built, dir, row.marker!, next, Number(row.port), settings);
        running.push(next);
      }
    } else {
      for (const i of running.slice(want).reverse()) await stopMarked(undefined, `${prefix}${i}`, 8000);
    }
    await this.waitFor(info.web_ui_port, (s) => alive(s) === want, path.join(dir, 'master.log'), `${want} Spark worker${want === 1 ? '' : 's'}`);
  }

  private startWorker(built: BuiltEnvironment, dir: string, marker: string, i: number, masterPort: number, settings: SparkSettings): number {
    fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
    return this.daemon(built, dir, `${marker}/worker-${i}`, `worker-${i}.log`, [
      'org.apache.spark.deploy.worker.Worker', '--host', '127.0.0.1', '--cores', String(settings.worker_cores ?? 1), '--memory', settings.worker_memory ?? '1g',
      '--webui-port', '0', '--work-dir', path.join(dir, 'work'), `spark://127.0.0.1:${masterPort}`,
    ]);
  }

  /** One Spark daemon (`spark-class <main class> …`) in a process group of its own, logging to `dir/<log>`. */
  private daemon(built: BuiltEnvironment, dir: string, marker: string, log: string, args: string[]): number {
    const out = fs.openSync(path.join(dir, log), 'a');
    const bin = built.prefix ? path.join(built.prefix, 'bin') : '';
    const child = spawn(bin ? path.join(bin, 'spark-class') : 'spark-class', args, {
      cwd: dir, detached: true, stdio: ['ignore', out, out],
      env: childEnv({
        PATH: bin ? `${bin}:${process.env.PATH ?? ''}` : process.env.PATH, SPARK_LOCAL_IP: '127.0.0.1', PYSPARK_PYTHON: built.python,
        SPARK_NO_DAEMONIZE: '1', [MARKER_VAR]: marker,
        // The master's REST submission server (port 6066) is not used here; off, it cannot collide with another cluster's.
        SPARK_MASTER_OPTS: '-Dspark.master.rest.enabled=false',
      }),
    });
    fs.closeSync(out);
    child.unref();
    child.on('error', () => undefined);
    if (!child.pid) throw new Error(`could not start spark-class ${args[0]}`);
    return child.pid;
  }

  private async status(row: Pick<ManagedRow, 'info'>): Promise<MasterStatus | undefined> {
    const info = row.info ? JSON.parse(row.info) as SparkInfo : undefined;
    if (!info) return undefined;
    return fetchStatus(info.web_ui_port);
  }

  private async waitFor(webPort: number, ready: (s: MasterStatus) => boolean, logFile: string, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await fetchStatus(webPort).catch(() => undefined);
      if (s && ready(s)) return;
      await sleep(300);
    }
    throw new Error(`${what} did not come up within ${timeoutMs / 1000} s: ${logTail(logFile, 6)}`);
  }
}

function alive(s: MasterStatus): number {
  return s.workers.filter((w) => w.state === 'ALIVE').length;
}

async function fetchStatus(webPort: number): Promise<MasterStatus | undefined> {
  const res = await fetch(`http://127.0.0.1:${webPort}/json/`);
  return res.ok ? (await res.json() as MasterStatus) : undefined;
}

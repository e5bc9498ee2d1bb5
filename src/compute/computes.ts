/** Compute targets: local process pools, each running at most `max_instances` jobs at once. */
import os from 'node:os';
import type { z } from 'zod';
import { currentActor } from '../util/actor.ts';
import type { Db } from '../store/db.ts';
import type { CreateCompute } from '../specs/assets.ts';
import { alreadyExists, invalid, notFound } from '../util/errors.ts';
import type { ManagedComputes } from './managed.ts';
import { checkMasterHost, type SparkRuntime } from './spark-runtime.ts';
import { parseMasterUrl } from '../specs/spark-cluster.ts';
import type { Compute } from './compute.ts';

export type { Compute };


interface ComputeRow { name: string; type: string; max_instances: number; description: string | null; tags: string | null; size: string | null; created_at: number; created_by: string | null }

/** `local` plus the cluster names Azure ML samples use, so those samples run unmodified. */
export const DEFAULT_COMPUTES: Omit<Compute, 'created_at'>[] = [
  { name: 'local', type: 'local', max_instances: Math.max(2, os.cpus().length), description: 'processes on this host' },
  { name: 'cpu-cluster', type: 'amlcompute', max_instances: 4, description: 'local pool standing in for the Azure ML samples\' cpu-cluster' },
  { name: 'batch-cluster', type: 'amlcompute', max_instances: 4, description: 'local pool standing in for the Azure ML samples\' batch-cluster' },
];

/** Computes whose processes Stratus starts and stops (the managed-compute engine's). */
export const MANAGED_TYPES = ['computeinstance', 'spark'];

const SPARK_ONLY = ['workers', 'worker_cores', 'worker_memory', 'spark_conf', 'master_host', 'master_url', 'master_web_ui'];

/** A cluster binds to an address of this machine, or attaches a master by its URL (then it starts no workers of its own). */
function checkSparkSettings(c: { master_host?: string; master_url?: string; master_web_ui?: string; workers?: number; worker_cores?: number; worker_memory?: string }): void {
  if (c.master_host) checkMasterHost(c.master_host);
  if (c.master_url) {
    parseMasterUrl(c.master_url);
    const own = (['master_host', 'workers', 'worker_cores', 'worker_memory'] as const).filter((k) => c[k] !== undefined);
    if (own.length) throw invalid(`${own.join(', ')} ${own.length === 1 ? 'does' : 'do'} not apply with master_url: an attached master's workers are its own.`);
  } else if (c.master_web_ui) {
    throw invalid('master_web_ui goes with master_url (an attached master); a cluster Stratus starts has a web UI of its own.');
  }
}

export class ComputeService {
  /** `managed` runs the computes Stratus starts processes for (compute instances, Spark clusters). */
  constructor(private db: Db, readonly managed: ManagedComputes, private sparkRuntime: SparkRuntime) {}

  async ensureDefaults(): Promise<void> {
    for (const c of DEFAULT_COMPUTES) {
      await this.db.run(
        'INSERT INTO computes (name, type, max_instances, description, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
        [c.name, c.type, c.max_instances, c.description ?? null, Date.now()],
      );
    }
  }

  /** The computes as rows (what the job queue needs: no instance is asked anything). */
  async list(): Promise<Compute[]> {
    return (await this.db.all<ComputeRow>('SELECT * FROM computes ORDER BY name')).map(norm);
  }

  async get(name: string): Promise<Compute> {
    const row = await this.db.get<ComputeRow>('SELECT * FROM computes WHERE name = ?', [name]);
    if (!row) {
      const names = (await this.list()).map((c) => c.name).join(', ');
      throw notFound(`Compute '${name}' does not exist. Available: ${names}. Create one with: stratus compute create --name ${name} --type amlcompute --max-instances 2`);
    }
    return norm(row);
  }

  /** A compute as `az ml compute show` prints it: an instance with its state, services and settings. */
  async show(name: string): Promise<Record<string, unknown>> {
    return this.withState(await this.get(name));
  }

  async showAll(): Promise<Record<string, unknown>[]> {
    return Promise.all((await this.list()).map((c) => this.withState(c)));
  }

  private async withState(c: Compute): Promise<Record<string, unknown>> {
    if (!MANAGED_TYPES.includes(c.type)) return { ...c, provisioning_state: 'Succeeded' };
    const instance = await this.managed.describe(c.name).catch(() => ({ state: 'Failed', state_reason: 'No record of its processes: delete it and create it again.' }));
    return { ...c, provisioning_state: 'Succeeded', ...instance };
  }

  /**
   * `assignee`: the user a compute instance is assigned to (its creator, or create_on_behalf_of's
   * user, resolved by the caller; none on a server without accounts). Only that user opens its
   * Jupyter, and its kernels run as them.
   */
  async create(c: z.infer<typeof CreateCompute>, assignee?: string): Promise<Record<string, unknown>> {
    if (!/^[A-Za-z][\w-]{1,31}$/.test(c.name ?? '')) throw invalid(`Invalid compute name '${c.name}': 2-32 letters, digits, '-' or '_', starting with a letter.`);
    const type = c.type ?? 'amlcompute';
    const instance = type === 'computeinstance';
    // A Spark cluster runs as many drivers at once as max_instances says (default 2).
    const max = instance ? 1 : c.max_instances ?? (type === 'spark' ? 2 : 1);
    if (!Number.isInteger(max) || max < 1 || max > 64) throw invalid(`Invalid max_instances ${max}: give a whole number from 1 to 64.`);
    const fits: Record<string, string[]> = {
      computeinstance: ['idle_time_before_shutdown_minutes', 'kernel_idle_timeout_minutes', 'schedules', 'setup_scripts', 'environment', 'create_on_behalf_of'],
      spark: ['idle_time_before_shutdown_minutes', 'schedules', ...SPARK_ONLY],
    };
    const misplaced = ['idle_time_before_shutdown_minutes', 'kernel_idle_timeout_minutes', 'schedules', 'setup_scripts', 'environment', 'create_on_behalf_of', ...SPARK_ONLY]
      .filter((k) => c[k as keyof typeof c] !== undefined && !(fits[type] ?? []).includes(k));
    if (misplaced.length) throw invalid(`${misplaced.join(', ')} ${misplaced.length === 1 ? 'does' : 'do'} not apply to a ${type} compute.`);
    if (type === 'spark') checkSparkSettings(c);
    if (instance && c.max_instances !== undefined && c.max_instances !== 1) {
      throw invalid('A compute instance is one Jupyter server: max_instances does not apply to it (it runs one job at a time).');
    }
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM computes WHERE name = ?', [c.name])) throw alreadyExists(`Compute '${c.name}' already exists.`);
      await t.run('INSERT INTO computes (name, type, max_instances, description, tags, size, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [c.name, type, max, c.description ?? null, c.tags ? JSON.stringify(c.tags) : null, c.size ?? null, Date.now(), currentActor() ?? null]);
    });
    if (MANAGED_TYPES.includes(type)) {
      try {
        const { name: _n, type: _t, max_instances: _m, description: _d, tags: _g, create_on_behalf_of: _o, ...settings } = c;
        await this.managed.create(c.name, type, instance && assignee ? { ...settings, assigned_user: assignee } : settings);
      } catch (err) {
        await this.db.run('DELETE FROM computes WHERE name = ?', [c.name]);
        throw err;
      }
    }
    return this.show(c.name);
  }

  /** Deleting (or stopping) a compute under running jobs would fail them unseen: refused unless `force` (the caller has canceled them). */
  async delete(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (name === 'local') throw invalid("The 'local' compute cannot be deleted.");
    const c = await this.get(name);
    if (!opts.force) await this.refuseUnderJobs(name, 'delete');
    if (MANAGED_TYPES.includes(c.type)) await this.managed.delete(name).catch((err) => {
      if ((err as { code?: string }).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
    });
    await this.db.run('DELETE FROM computes WHERE name = ?', [name]);
  }

  /** A Spark cluster's number of workers: stored, and applied at once when it runs. */
  async resize(name: string, workers: number): Promise<Record<string, unknown>> {
    const c = await this.get(name);
    if (c.type !== 'spark') throw invalid(`Compute '${name}' is a ${c.type} compute; only Spark clusters are resized (--workers).`);
    const attached = (await this.managed.describe(name)).attached_master;
    if (attached) throw invalid(`Compute '${name}' is an attached master (${attached}): its workers are not Stratus's to resize.`);
    await this.managed.update(name, (s) => ({ ...s, workers }), (row, settings) => this.sparkRuntime.resize(row, settings, this.managed.computeDir(name)));
    return this.show(name);
  }

  /** Jobs may be submitted to a compute that runs or is starting, not to a stopped one. */
  async assertUsable(name: string): Promise<void> {
    const c = await this.get(name);
    if (MANAGED_TYPES.includes(c.type)) await this.managed.assertUsable(name);
  }

  /** start, stop and restart apply to compute instances and Spark clusters. */
  async lifecycle(name: string, action: 'start' | 'stop' | 'restart', opts: { force?: boolean } = {}): Promise<Record<string, unknown>> {
    const c = await this.get(name);
    if (!MANAGED_TYPES.includes(c.type)) throw invalid(`Compute '${name}' is a ${c.type} pool, which is always ready; start, stop and restart apply to compute instances and Spark clusters.`);
    if (action !== 'start' && !opts.force) await this.refuseUnderJobs(name, action);
    if (action === 'start') await this.managed.startCompute(name);
    else if (action === 'stop') await this.managed.stopCompute(name);
    else await this.managed.restartCompute(name);
    return this.show(name);
  }

  /** Jobs on a compute that have not ended (newest first, at most 20). */
  async activeJobs(name: string): Promise<string[]> {
    const rows = await this.db.all<{ name: string }>(
      `SELECT name FROM jobs WHERE compute IN (?, ?) AND status NOT IN ('Completed', 'Failed', 'Canceled') ORDER BY created_at DESC LIMIT 20`, [name, `azureml:${name}`]);
    return rows.map((r) => r.name);
  }

  private async refuseUnderJobs(name: string, verb: string): Promise<void> {
    const active = await this.activeJobs(name);
    if (active.length) {
      throw invalid(`Compute '${name}' has ${active.length === 20 ? 'at least 20' : active.length} job${active.length === 1 ? '' : 's'} running (${active.slice(0, 5).join(', ')}${active.length > 5 ? ', …' : ''}): ` +
        `cancel ${active.length === 1 ? 'it' : 'them'} first (stratus job cancel --name ${active[0]}), then ${verb} the compute.`);
    }
  }
}

function norm(c: ComputeRow): Compute {
  return {
    name: c.name, type: c.type, max_instances: Number(c.max_instances), created_at: Number(c.created_at),
    ...(c.description ? { description: c.description } : {}),
    ...(c.tags ? { tags: JSON.parse(c.tags) as Record<string, string> } : {}),
    ...(c.size ? { size: c.size } : {}),
    ...(c.created_by ? { created_by: c.created_by } : {}),
  };
}

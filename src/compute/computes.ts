/** Compute targets: local process pools, each running at most `max_instances` jobs at once. */
import os from 'node:os';
import type { Db } from '../store/db.ts';
import { alreadyExists, invalid, notFound } from '../util/errors.ts';

export interface Compute {
  name: string;
  type: string;
  max_instances: number;
  description?: string;
  created_at: number;
}

/** `local` plus the cluster names Azure ML samples use, so those samples run unmodified. */
export const DEFAULT_COMPUTES: Omit<Compute, 'created_at'>[] = [
  { name: 'local', type: 'local', max_instances: Math.max(2, os.cpus().length), description: 'processes on this host' },
  { name: 'cpu-cluster', type: 'amlcompute', max_instances: 4, description: 'local pool standing in for the Azure ML samples\' cpu-cluster' },
  { name: 'batch-cluster', type: 'amlcompute', max_instances: 4, description: 'local pool standing in for the Azure ML samples\' batch-cluster' },
];

export class ComputeService {
  constructor(private db: Db) {}

  async ensureDefaults(): Promise<void> {
    for (const c of DEFAULT_COMPUTES) {
      await this.db.run(
        'INSERT INTO computes (name, type, max_instances, description, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
        [c.name, c.type, c.max_instances, c.description ?? null, Date.now()],
      );
    }
  }

  async list(): Promise<Compute[]> {
    return (await this.db.all<Compute>('SELECT * FROM computes ORDER BY name')).map(norm);
  }

  async get(name: string): Promise<Compute> {
    const row = await this.db.get<Compute>('SELECT * FROM computes WHERE name = ?', [name]);
    if (!row) {
      const names = (await this.list()).map((c) => c.name).join(', ');
      throw notFound(`Compute '${name}' does not exist. Available: ${names}. Create one with: stratus compute create --name ${name} --type amlcompute --max-instances 2`);
    }
    return norm(row);
  }

  async create(c: { name: string; type?: string; max_instances?: number; description?: string }): Promise<Compute> {
    if (!/^[A-Za-z][\w-]{1,31}$/.test(c.name ?? '')) throw invalid(`Invalid compute name '${c.name}': 2-32 letters, digits, '-' or '_', starting with a letter.`);
    const max = c.max_instances ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 64) throw invalid(`Invalid max_instances ${max}: give a whole number from 1 to 64.`);
    const type = c.type ?? 'amlcompute';
    if (!['amlcompute', 'local', 'computeinstance'].includes(type)) throw invalid(`Unsupported compute type '${type}': use amlcompute (a local pool).`);
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM computes WHERE name = ?', [c.name])) throw alreadyExists(`Compute '${c.name}' already exists.`);
      await t.run('INSERT INTO computes (name, type, max_instances, description, created_at) VALUES (?, ?, ?, ?, ?)', [c.name, type, max, c.description ?? null, Date.now()]);
    });
    return this.get(c.name);
  }

  async delete(name: string): Promise<void> {
    if (name === 'local') throw invalid("The 'local' compute cannot be deleted.");
    await this.get(name);
    await this.db.run('DELETE FROM computes WHERE name = ?', [name]);
  }
}

function norm(c: Compute): Compute {
  return { ...c, max_instances: Number(c.max_instances), created_at: Number(c.created_at), description: c.description ?? undefined };
}

/**
 * MLflow's permission model for experiments and registered models: per-user READ, USE, EDIT,
 * MANAGE or NO_PERMISSIONS, else the default permission. The creator of an experiment or a
 * registered model gets MANAGE (as MLflow's auth app grants). Admins bypass it. It applies on top
 * of the workspace role: a Reader stays read-only whatever MLflow permission it holds.
 */
import type { Db } from '../store/db.ts';
import type { RowFilter } from '../store/row-filter.ts';
import { invalid } from '../util/errors.ts';

export const PERMISSIONS = ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'] as const;
export type PermissionName = (typeof PERMISSIONS)[number];
export type Need = 'read' | 'update' | 'delete' | 'manage';

const CAN: Record<PermissionName, Record<Need, boolean>> = {
  READ: { read: true, update: false, delete: false, manage: false },
  USE: { read: true, update: false, delete: false, manage: false },
  EDIT: { read: true, update: true, delete: false, manage: false },
  MANAGE: { read: true, update: true, delete: true, manage: true },
  NO_PERMISSIONS: { read: false, update: false, delete: false, manage: false },
};

export const allows = (p: PermissionName, need: Need) => CAN[p][need];

export function checkPermission(p: string): PermissionName {
  if (!(PERMISSIONS as readonly string[]).includes(p)) throw invalid(`Invalid permission '${p}': use one of ${PERMISSIONS.join(', ')}.`);
  return p as PermissionName;
}

export type ResourceType = 'experiment' | 'registered_model';
const TABLE: Record<ResourceType, { table: string; key: string }> = {
  experiment: { table: 'experiment_permissions', key: 'experiment_id' },
  registered_model: { table: 'registered_model_permissions', key: 'name' },
};

export function checkResourceType(t: string): ResourceType {
  if (t !== 'experiment' && t !== 'registered_model') throw invalid(`Unsupported resource_type '${t}': use experiment or registered_model.`);
  return t;
}

/** How long an effective permission is reused for the same user and resource (any change empties the cache). */
const CACHE_MS = 10_000;

export class MlflowPermissions {
  private cache = new Map<string, { permission: PermissionName; until: number }>();
  constructor(private db: Db, readonly defaultPermission: PermissionName) {}

  async explicit(type: ResourceType, id: string, username: string): Promise<PermissionName | undefined> {
    const { table, key } = TABLE[type];
    return (await this.db.get<{ permission: PermissionName }>(`SELECT permission FROM ${table} WHERE ${key} = ? AND username = ?`, [id, username]))?.permission;
  }

  /** The permission in force: explicit, else the default (cached briefly: hot routes such as log-metric ask on every call). */
  async effective(type: ResourceType, id: string, username: string): Promise<PermissionName> {
    const k = `${type}\u0000${id}\u0000${username}`;
    const hit = this.cache.get(k);
    if (hit && hit.until > Date.now()) return hit.permission;
    const permission = (await this.explicit(type, id, username)) ?? this.defaultPermission;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(k, { permission, until: Date.now() + CACHE_MS });
    return permission;
  }

  /**
   * What a user may read of `type`, as a condition on the column holding the resource's id:
   * searches drop the rest, as MLflow's auth app filters its search answers.
   */
  readable(type: ResourceType, username: string): RowFilter {
    const { table, key } = TABLE[type];
    // Under a readable default only explicit NO_PERMISSIONS hides a resource; else only an explicit grant shows one.
    const [membership, test] = allows(this.defaultPermission, 'read') ? ['NOT IN', '='] : ['IN', '<>'];
    return (column) => ({
      sql: `CAST(${column} AS TEXT) ${membership} (SELECT ${key} FROM ${table} WHERE username = ? AND permission ${test} 'NO_PERMISSIONS')`,
      params: [username],
    });
  }

  async set(type: ResourceType, id: string, username: string, permission: string): Promise<void> {
    const p = checkPermission(permission);
    const { table, key } = TABLE[type];
    await this.db.tx(async (t) => {
      await t.run(`DELETE FROM ${table} WHERE ${key} = ? AND username = ?`, [id, username]);
      await t.run(`INSERT INTO ${table} (${key}, username, permission) VALUES (?, ?, ?)`, [id, username, p]);
    });
    this.cache.clear();
  }

  async remove(type: ResourceType, id: string, username: string): Promise<boolean> {
    const { table, key } = TABLE[type];
    this.cache.clear();
    return (await this.db.run(`DELETE FROM ${table} WHERE ${key} = ? AND username = ?`, [id, username])) > 0;
  }

  /** Forget cached answers (a user was deleted: their rows went with them). */
  forget(): void { this.cache.clear(); }

  async ofUser(username: string) {
    const experiments = await this.db.all<{ experiment_id: string; permission: string }>('SELECT experiment_id, permission FROM experiment_permissions WHERE username = ? ORDER BY experiment_id', [username]);
    const models = await this.db.all<{ name: string; permission: string }>('SELECT name, permission FROM registered_model_permissions WHERE username = ? ORDER BY name', [username]);
    return { experiments, models };
  }

  /** A registered model's permissions follow its rename. */
  async renameModel(from: string, to: string): Promise<void> {
    await this.db.run('UPDATE registered_model_permissions SET name = ? WHERE name = ?', [to, from]);
    this.cache.clear();
  }
}

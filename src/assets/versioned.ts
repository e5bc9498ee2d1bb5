/**
 * What environment and data assets share: `name:version` rows that never change once created,
 * `@latest` (the newest created, not archived), and the next integer version when none is given.
 */
import type { Db } from '../store/db.ts';
import { invalid, notFound } from '../util/errors.ts';

export const ASSET_NAME = /^[A-Za-z0-9][\w.-]{0,254}$/;

export function validateNameVersion(kind: string, name: string, version?: string): void {
  if (typeof name !== 'string') throw invalid(`Invalid ${kind} name ${JSON.stringify(name)?.slice(0, 60)}: a string is required.`);
  if (version !== undefined && version !== null && typeof version !== 'string') throw invalid(`Invalid ${kind} version ${JSON.stringify(version)?.slice(0, 60)}: give it as a string, e.g. "1".`);
  if (!ASSET_NAME.test(name ?? '')) throw invalid(`Invalid ${kind} name '${name}': letters, digits, '-', '_' and '.', starting with a letter or digit.`);
  if (version !== undefined && !/^[\w.-]{1,64}$/.test(version)) throw invalid(`Invalid ${kind} version '${version}': letters, digits, '-', '_' and '.'.`);
}

export class VersionedTable<Row extends { name: string; version: string; created_at: number; archived: number }> {
  /** `cliNoun`: the stratus command that lists this kind (environment, data, component). */
  constructor(private db: Db, private table: string, private kind: string, private cliNoun: string) {}

  async nextVersion(t: Db, name: string): Promise<string> {
    const rows = await t.all<{ version: string }>(`SELECT version FROM ${this.table} WHERE name = ?`, [name]);
    const numbers = rows.map((r) => Number(r.version)).filter((n) => Number.isInteger(n));
    return String(numbers.length ? Math.max(...numbers) + 1 : 1);
  }

  /** `version` or `label` ('latest'); archived versions are only found by explicit version. */
  async resolve(name: string, version?: string, label?: string): Promise<Row> {
    let row: Row | undefined;
    if (version) {
      row = await this.db.get<Row>(`SELECT * FROM ${this.table} WHERE name = ? AND version = ?`, [name, version]);
    } else {
      if (label && label !== 'latest') throw invalid(`Unknown label '@${label}' for ${this.kind} '${name}': only @latest is supported.`);
      row = await this.db.get<Row>(`SELECT * FROM ${this.table} WHERE name = ? AND archived = 0 ORDER BY created_at DESC LIMIT 1`, [name]);
    }
    if (!row) {
      const ref = version ? `${name}:${version}` : `${name}@${label ?? 'latest'}`;
      throw notFound(`${this.kind[0].toUpperCase()}${this.kind.slice(1)} '${ref}' does not exist in this workspace. List them with: stratus ${this.cliNoun} list`);
    }
    return row;
  }

  async list(name?: string, includeArchived = false): Promise<Row[]> {
    const where = [includeArchived ? '1 = 1' : 'archived = 0', ...(name ? ['name = ?'] : [])];
    return this.db.all<Row>(`SELECT * FROM ${this.table} WHERE ${where.join(' AND ')} ORDER BY name, created_at DESC`, name ? [name] : []);
  }

  async archive(name: string, version: string): Promise<void> {
    await this.resolve(name, version);
    await this.db.run(`UPDATE ${this.table} SET archived = 1 WHERE name = ? AND version = ?`, [name, version]);
  }
}

/**
 * Who created and last changed each file of a file area through the workspace's API (the studio,
 * `stratus file …`, Jupyter's contents API through the workspace): kept beside the files, by path,
 * following renames and deletes. Files that kernels write straight to disk have no entry.
 */
import type { Db } from '../store/db.ts';

export interface Authorship { created_by?: string; modified_by?: string }

/** LIKE's wildcards in a path, escaped (paths may hold '%' and '_'). */
const likePrefix = (p: string) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;

export class FileAuthors {
  constructor(private db: Db, private area: string) {}

  async wrote(file: string, by: string | undefined): Promise<void> {
    if (!by) return;
    const now = Date.now();
    await this.db.run(
      `INSERT INTO file_authors (area, path, created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (area, path) DO UPDATE SET modified_by = excluded.modified_by, modified_at = excluded.modified_at`,
      [this.area, file, by, now, by, now]);
  }

  async renamed(from: string, to: string): Promise<void> {
    await this.db.tx(async (t) => {
      await t.run('UPDATE file_authors SET path = ? WHERE area = ? AND path = ?', [to, this.area, from]);
      const inside = await t.all<{ path: string }>("SELECT path FROM file_authors WHERE area = ? AND path LIKE ? ESCAPE '\\'", [this.area, likePrefix(from)]);
      for (const r of inside) await t.run('UPDATE file_authors SET path = ? WHERE area = ? AND path = ?', [to + r.path.slice(from.length), this.area, r.path]);
    });
  }

  async deleted(file: string): Promise<void> {
    await this.db.run("DELETE FROM file_authors WHERE area = ? AND (path = ? OR path LIKE ? ESCAPE '\\')", [this.area, file, likePrefix(file)]);
  }

  /** Authorship of the entries of one folder, by path. */
  async of(paths: string[]): Promise<Map<string, Authorship>> {
    const out = new Map<string, Authorship>();
    for (let i = 0; i < paths.length; i += 500) {
      const chunk = paths.slice(i, i + 500);
      const rows = await this.db.all<{ path: string; created_by: string | null; modified_by: string | null }>(
        `SELECT path, created_by, modified_by FROM file_authors WHERE area = ? AND path IN (${chunk.map(() => '?').join(', ')})`, [this.area, ...chunk]);
      for (const r of rows) out.set(r.path, { created_by: r.created_by ?? undefined, modified_by: r.modified_by ?? undefined });
    }
    return out;
  }
}

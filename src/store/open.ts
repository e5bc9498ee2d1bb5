import path from 'node:path';
import { PostgresDb, SqliteDb, type Db } from './db.ts';
import { migrate } from './migrations.ts';

/**
 * Opens the metadata store named by `storeUrl` (`sqlite:///abs/path.db`, `postgresql://…`),
 * or the default SQLite file inside the data dir, and applies pending migrations.
 */
export async function openStore(dataDir: string, storeUrl?: string): Promise<Db> {
  let db: Db;
  if (!storeUrl) {
    db = new SqliteDb(path.join(dataDir, 'stratus.db'));
  } else if (/^postgres(ql)?:\/\//.test(storeUrl)) {
    db = new PostgresDb(storeUrl);
  } else if (storeUrl.startsWith('sqlite:')) {
    const file = storeUrl.replace(/^sqlite:(\/\/)?/, '');
    db = new SqliteDb(path.resolve(file));
  } else {
    throw new Error(
      `Unsupported --store URL '${storeUrl}'. Use postgresql://user:pass@host:port/db or sqlite:///path/to/file.db.`,
    );
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

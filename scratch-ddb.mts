import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await db.connect();
await c.run(`CREATE VIEW t AS SELECT * FROM read_csv_auto('/tmp/scratch/ddb/allowed/t.csv')`);
await c.run(`SET allowed_directories = ['/tmp/scratch/ddb/allowed/']`);
await c.run(`SET enable_external_access = false`);
await c.run(`SET autoinstall_known_extensions = false`).catch((e) => console.log('ai', e.message));
await c.run(`SET lock_configuration = true`);
for (const q of [`SELECT * FROM t`, `SELECT * FROM read_csv_auto('/tmp/scratch/ddb/secret.csv')`, `SELECT * FROM read_csv_auto('/tmp/scratch/ddb/allowed/../secret.csv')`, `ATTACH '/tmp/scratch/ddb/x.db'`, `SET enable_external_access = true`, `COPY (SELECT 1) TO '/tmp/scratch/ddb/allowed/out.csv'`, `INSTALL httpfs`, `SELECT * FROM read_csv_auto('/etc/passwd')`]) {
  try { const r = await c.runAndReadAll(q); console.log('OK', q, JSON.stringify(r.getRowObjectsJson()).slice(0, 100)); } catch (e) { console.log('ERR', q, (e as Error).message.split('\n')[0]); }
}
console.log(c.getTableNames(`SELECT * FROM t JOIN "my-data" d ON true, ml.models WHERE x IN (SELECT 1 FROM "iris:2")`, false));
console.log(c.getTableNames(`SELECT * FROM t JOIN "my-data" d ON true, ml.models`, true));

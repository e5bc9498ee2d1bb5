/**
 * The same workspace on a real PostgreSQL server (STRATUS_TEST_PG_URL, an admin URL such as
 * postgresql://postgres@127.0.0.1:55432/postgres; scripts/test.sh starts one). Each run gets a
 * fresh database, dropped at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openWorkspace, type Workspace } from '../src/workspace.ts';
import { searchRuns } from '../src/tracking/run-search.ts';
import { SCHEMA_VERSION } from '../src/store/migrations.ts';
import path from 'node:path';
import { runCli, startServer, tempDir } from './helpers.ts';

const ADMIN = process.env.STRATUS_TEST_PG_URL;
const DB = `stratus_node_${process.pid}`;

describe('PostgreSQL store', { skip: ADMIN ? false : 'STRATUS_TEST_PG_URL is not set' }, () => {
  let ws: Workspace;
  let url: string;
  before(async () => {
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.end();
    const u = new URL(ADMIN!);
    u.pathname = `/${DB}`;
    url = u.toString();
    ws = await openWorkspace({ dataDir: tempDir(), storeUrl: url });
  });
  after(async () => {
    await ws?.close();
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  });

  test('migrations are recorded and not re-applied', async () => {
    const again = await openWorkspace({ dataDir: tempDir(), storeUrl: url });
    const rows = await again.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => Number(r.version)), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    assert.equal((await again.experiments.get('0')).name, 'Default');
    await again.close();
  });

  test('concurrent experiment creation gives distinct ids and one winner per name', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `pg-concurrent-${i}`);
    const ids = await Promise.all(names.map((n) => ws.experiments.create(n)));
    assert.equal(new Set(ids).size, 20);
    const dup = await Promise.allSettled([ws.experiments.create('pg-same'), ws.experiments.create('pg-same')]);
    assert.equal(dup.filter((r) => r.status === 'fulfilled').length, 1);
    const rejected = dup.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal(rejected.reason.code, 'RESOURCE_ALREADY_EXISTS');
  });

  test('batches, latest metrics and search behave as on SQLite', async () => {
    const exp = await ws.experiments.create('pg-search');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const run = await ws.runs.create({ experimentId: exp, startTime: 1000 + i });
      await ws.runs.logBatch(run.info.run_id,
        [{ key: 'acc', value: i / 10, timestamp: 1, step: 0 }, { key: 'acc', value: -1, timestamp: 1, step: -1 }],
        [{ key: 'model', value: i % 2 ? 'rf' : 'svm' }], [{ key: 'team', value: 'x' }]);
      ids.push(run.info.run_id);
    }
    const res = await searchRuns(ws.db, ws.runs, { experimentIds: [exp], filter: "params.model = 'rf' and metrics.acc >= 0.3", orderBy: ['metrics.acc DESC'] });
    assert.deepEqual(res.runs.map((r) => r.info.run_id), [ids[5], ids[3]]);
    assert.equal(res.runs[0].data.metrics?.[0].value, 0.5);
    await assert.rejects(ws.runs.logBatch(ids[0], [{ key: 'z', value: 1, timestamp: 1, step: 0 }], [{ key: 'model', value: 'other' }], []), /Changing param values/);
    assert.equal((await ws.runs.metricHistory(ids[0], 'z')).metrics.length, 0, 'a rejected batch stores nothing');
  });

  test('pipelines reuse their steps and schedules claim each slot once on PostgreSQL too', async () => {
    const server = await startServer({ storeUrl: url });
    try {
      const cwd = path.resolve(import.meta.dirname, 'fixtures/pipeline');
      const run = async () => {
        const res = await runCli(['job', 'create', '--file', 'pipeline.yml', '--stream', '--output', 'json'], { url: server.url, cwd });
        assert.equal(res.code, 0, res.stderr);
        return JSON.parse(res.stdout);
      };
      const first = await run();
      assert.equal(first.status, 'Completed');
      const again = await run();
      assert.deepEqual(Object.values<any>(again.jobs).map((s) => s.reused), [true, true, true]);
      const start = new Date(Date.now() + 1000).toISOString();
      await server.workspace.schedules.create({
        name: 'pg-schedule', trigger: { type: 'recurrence', frequency: 'minute', interval: 1, start_time: start, time_zone: 'UTC' },
        create_job: { type: 'command', command: 'echo scheduled', experiment_name: 'pg-schedules', environment: { kind: 'host' }, environment_variables: {}, inputs: {}, outputs: {}, compute: 'local', tags: {}, notes: [] },
      });
      let fires: any[] = [];
      for (let i = 0; i < 50 && !fires[0]?.job_name; i++) {
        await new Promise((r) => setTimeout(r, 200));
        fires = (await server.workspace.schedules.show('pg-schedule')).fires ?? [];
      }
      assert.equal(fires.length, 1);
      assert.equal(fires[0].outcome, 'submitted');
      assert.equal(fires[0].slot, start);
    } finally {
      await server.close();
    }
  });
});

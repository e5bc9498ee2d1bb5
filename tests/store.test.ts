/** The metadata store: migrations, reopening, and the search filter grammar. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../src/store/open.ts';
import { SCHEMA_VERSION } from '../src/store/migrations.ts';
import { openWorkspace } from '../src/workspace.ts';
import { parseFilter, parseOrderBy } from '../src/tracking/filter.ts';
import { tempDir } from './helpers.ts';

describe('migrations', () => {
  test('apply once, survive reopening, keep data', async () => {
    const dir = tempDir();
    const ws = await openWorkspace({ dataDir: dir });
    const id = await ws.experiments.create('kept');
    await ws.close();
    const db = await openStore(dir);
    const rows = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => Number(r.version)), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode');
    assert.equal(mode?.journal_mode, 'wal');
    await db.close();
    const again = await openWorkspace({ dataDir: dir });
    assert.equal((await again.experiments.get(id)).name, 'kept');
    assert.equal((await again.experiments.get('0')).name, 'Default');
    await again.close();
  });

  test('an unknown store URL is a clear error', async () => {
    await assert.rejects(openStore(tempDir(), 'mysql://x'), /Unsupported --store URL/);
  });

  test('a failed batch leaves nothing behind', async () => {
    const ws = await openWorkspace({ dataDir: tempDir() });
    const run = await ws.runs.create({ experimentId: '0' });
    const id = run.info.run_id;
    await ws.runs.logBatch(id, [], [{ key: 'p', value: '1' }], []);
    await assert.rejects(
      ws.runs.logBatch(id, [{ key: 'm', value: 1, timestamp: 1, step: 0 }], [{ key: 'p', value: '2' }], [{ key: 't', value: 'x' }]),
      /Changing param values is not allowed/,
    );
    const after = await ws.runs.get(id);
    assert.equal(after.data.metrics, undefined);
    assert.deepEqual(after.data.tags?.map((t) => t.key), ['mlflow.runName']);
    await ws.close();
  });
});

describe('group commit', () => {
  test('concurrent writers share commits; a failing one rolls back only its own writes', async () => {
    const ws = await openWorkspace({ dataDir: tempDir() });
    const runs = await Promise.all(Array.from({ length: 30 }, () => ws.runs.create({ experimentId: '0' })));
    const results = await Promise.allSettled(runs.map((r, i) =>
      ws.runs.logBatch(r.info.run_id, [{ key: 'm', value: i, timestamp: 1, step: 0 }],
        // Every third batch repeats a param key: the whole batch must be refused.
        i % 3 === 0 ? [{ key: 'p', value: 'a' }, { key: 'p', value: 'b' }] : [{ key: 'p', value: String(i) }], [])));
    for (let i = 0; i < runs.length; i++) {
      const run = await ws.runs.get(runs[i].info.run_id);
      if (i % 3 === 0) {
        assert.equal(results[i].status, 'rejected');
        assert.equal(run.data.metrics, undefined);
      } else {
        assert.equal(results[i].status, 'fulfilled');
        assert.equal(run.data.metrics?.[0].value, i);
        assert.equal(run.data.params?.[0].value, String(i));
      }
    }
    // A database error inside one writer's transaction (not a validation error) is contained too.
    const outcome = await Promise.allSettled([
      ws.db.tx((t) => t.run("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (0, 'g1', 'x')")),
      ws.db.tx(async (t) => {
        await t.run("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (0, 'g2', 'x')");
        await t.run('INSERT INTO no_such_table VALUES (1)');
      }),
      ws.db.tx((t) => t.run("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (0, 'g3', 'x')")),
    ]);
    assert.deepEqual(outcome.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    const keys = (await ws.db.all<{ key: string }>("SELECT key FROM experiment_tags WHERE key LIKE 'g%' ORDER BY key")).map((r) => r.key);
    assert.deepEqual(keys, ['g1', 'g3']);
    await ws.close();
  });
});

describe('filter grammar', () => {
  test('parses MLflow filters', () => {
    assert.deepEqual(parseFilter("metrics.acc >= 0.9 and params.`my param` = 'a b' AND tags.\"mlflow.user\" LIKE 'ad%'"), [
      { entity: 'metric', key: 'acc', op: '>=', value: 0.9 },
      { entity: 'param', key: 'my param', op: '=', value: 'a b' },
      { entity: 'tag', key: 'mlflow.user', op: 'LIKE', value: 'ad%' },
    ]);
    assert.deepEqual(parseFilter("attributes.run_id IN ('a', 'b') and status != 'FAILED'"), [
      { entity: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { entity: 'attribute', key: 'status', op: '!=', value: 'FAILED' },
    ]);
    assert.deepEqual(parseFilter('tags.x IS NOT NULL'), [{ entity: 'tag', key: 'x', op: 'IS NOT NULL', value: null }]);
    assert.deepEqual(parseOrderBy('metrics.`val loss` DESC'), { entity: 'metric', key: 'val loss', ascending: false });
  });

  test('rejects malformed filters with the reason', () => {
    assert.throws(() => parseFilter('metrics.acc > '), /expected a value/);
    assert.throws(() => parseFilter("params.a = 'x' OR params.b = 'y'"), /OR is not supported/);
    assert.throws(() => parseFilter("params.a = 'unterminated"), /unterminated/);
    assert.throws(() => parseFilter('metrics.acc ~ 3'), /unexpected character/);
  });
});


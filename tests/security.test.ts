/**
 * Regression tests for the security review (issue 10), each on SQLite and, when
 * STRATUS_TEST_PG_URL is set, on PostgreSQL: the auth gate on the matched route, artifact
 * writes and deletes confined, linear JSON parsing, values the store cannot hold, bounded
 * requests, confined locations and sources, endpoint key checks, secrets kept from children.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, freshPgDatabase, raw, runCli, startServer, tempDir } from './helpers.ts';
import { advertisedHost, checkExposure } from '../src/server/serve.ts';
import { childEnv } from '../src/util/child-env.ts';
import { EnvironmentBuilder, specHash, choosePython } from '../src/environments/builder.ts';
import { PostgresDb } from '../src/store/db.ts';
import { processAlive } from '../src/util/processes.ts';

const TOKEN = 'security-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

type Server = Awaited<ReturnType<typeof startServer>>;

function securitySuite(store: 'SQLite' | 'PostgreSQL') {
  describe(`security on ${store}`, { skip: store === 'PostgreSQL' && !process.env.STRATUS_TEST_PG_URL ? 'STRATUS_TEST_PG_URL is not set' : false }, () => {
    let server: Server;
    let pgDb: Awaited<ReturnType<typeof freshPgDatabase>>;
    let exp: string;
    let runId: string;
    let runRoot: string; // store path of the run's artifacts

    const call = (route: string, body: unknown) => api(server.url, 'POST', route, body, AUTH);
    const artifactUrl = (rel: string) => `/api/2.0/mlflow-artifacts/artifacts/${rel}`;
    const secretStillThere = async () => {
      const res = await raw(server.url, 'GET', artifactUrl(`${runRoot}/secret.txt`), undefined, AUTH);
      assert.equal(res.status, 200, 'the canary artifact must survive');
      assert.equal(res.body, 'top secret');
    };

    before(async () => {
      pgDb = store === 'PostgreSQL' ? await freshPgDatabase('security') : undefined;
      server = await startServer({ auth: { token: TOKEN }, storeUrl: pgDb?.url });
      exp = (await call('/experiments/create', { name: 'secure' })).json.experiment_id;
      const run = (await call('/runs/create', { experiment_id: exp })).json.run;
      runId = run.info.run_id;
      runRoot = run.info.artifact_uri.replace('mlflow-artifacts:/', '');
      const put = await raw(server.url, 'PUT', artifactUrl(`${runRoot}/secret.txt`), 'top secret', AUTH);
      assert.equal(put.status, 200, put.body);
    });
    after(async () => {
      await server?.close();
      await pgDb?.drop();
    });

    test('a proxied web UI (the Spark master\'s): ?token= becomes a cookie kept to that UI\'s path; nothing else takes it', async () => {
      assert.equal((await raw(server.url, 'GET', '/computes/c1/spark-ui/')).status, 401);
      assert.equal((await raw(server.url, 'GET', '/computes/c1/spark-ui/?token=wrong')).status, 401);
      const first = await raw(server.url, 'GET', `/computes/c1/spark-ui/jobs/?token=${TOKEN}&id=3`);
      assert.equal(first.status, 303);
      assert.equal(first.headers.location, '/computes/c1/spark-ui/jobs/?id=3', 'the token leaves the address bar');
      const cookie = String(first.headers['set-cookie']);
      assert.match(cookie, /^stratus_ui_token=[^;]+; Path=\/computes\/c1\/spark-ui\/; HttpOnly; SameSite=Strict$/);
      const jar = { cookie: cookie.split(';')[0] };
      const next = await raw(server.url, 'GET', '/computes/c1/spark-ui/jobs/', undefined, jar);
      assert.equal(next.status, 404, 'the cookie passes the gate (and there is no such cluster)');
      assert.match(next.json.message, /Compute 'c1' does not exist/);
      assert.equal((await raw(server.url, 'GET', '/api/v1/jobs', undefined, jar)).status, 401, 'the UI cookie opens nothing else');
      assert.equal((await raw(server.url, 'GET', '/compute-instances/c1/jupyter/api/status', undefined, jar)).status, 401);
    });

    test('authentication is decided on the route the router matched', async () => {
      const attempts = [
        artifactUrl(`${runRoot}/secret.txt`),
        `/%61pi/2.0/mlflow-artifacts/artifacts/${runRoot}/secret.txt`,
        `/api/2.0/mlflow-%61rtifacts/artifacts/${runRoot}/secret.txt`,
        `http://x/api/2.0/mlflow-artifacts/artifacts/${runRoot}/secret.txt`,
        `/api/2.0/mlflow/runs/get?run_id=${runId}`,
        `/%61pi/2.0/mlflow/runs/get?run_id=${runId}`,
        `http://x/api/2.0/mlflow/runs/get?run_id=${runId}`,
        `/ajax-api/2.0/mlflow/runs/get?run_id=${runId}`,
        `/api/v1/jobs`,
        `/%61pi/v1/jobs`,
        `/api/v1/openapi.json`,
        `/version`,
      ];
      for (const target of attempts) {
        const res = await raw(server.url, 'GET', target);
        assert.equal(res.status, 401, `${target}: ${res.status} ${res.body.slice(0, 200)}`);
        assert.ok(!res.body.includes('top secret') && !res.body.includes(runId), `${target} leaked data`);
      }
      const write = await raw(server.url, 'PUT', `/%61pi/2.0/mlflow-artifacts/artifacts/${runRoot}/planted.txt`, 'x');
      assert.equal(write.status, 401);
      // Public by design: the studio's files (no data) and the health check.
      assert.equal((await raw(server.url, 'GET', '/')).status, 200);
      assert.equal((await raw(server.url, 'GET', '/health')).body, 'OK');
    });

    test('a delete must name something inside an experiment folder', async () => {
      for (const target of ['%2e', '.', './', '%2e/', exp, `${exp}/`, `./${exp}`, 'snapshots', 'uploads', 'jobs', '%2E%2E', '']) {
        const res = await raw(server.url, 'DELETE', artifactUrl(target), undefined, AUTH);
        assert.ok(res.status >= 400 && res.status < 500, `DELETE ${target}: ${res.status} ${res.body}`);
        await secretStillThere();
      }
      const res = await raw(server.url, 'DELETE', artifactUrl('.'), undefined, AUTH);
      assert.equal(res.json.error_code, 'PERMISSION_DENIED');
      await raw(server.url, 'PUT', artifactUrl(`${runRoot}/scratch.txt`), 'scratch', AUTH);
      assert.equal((await raw(server.url, 'DELETE', artifactUrl(`${runRoot}/scratch.txt`), undefined, AUTH)).status, 200);
      assert.equal((await raw(server.url, 'GET', artifactUrl(`${runRoot}/scratch.txt`), undefined, AUTH)).status, 404);
    });

    test('writes land only in experiment folders and unfinished uploads', async () => {
      const denied = await raw(server.url, 'PUT', artifactUrl('jobs/some_job/named-outputs/model/model.pkl'), 'forged', AUTH);
      assert.equal(denied.status, 403, denied.body);
      assert.equal((await raw(server.url, 'PUT', artifactUrl('planted.txt'), 'x', AUTH)).status, 403);
      assert.equal((await raw(server.url, 'PUT', artifactUrl('snapshots/not-a-hash/a.py'), 'x', AUTH)).status, 403);
      const hash = 'a'.repeat(32);
      assert.equal((await raw(server.url, 'PUT', artifactUrl(`snapshots/${hash}/main.py`), 'print(1)', AUTH)).status, 200);
      assert.equal((await raw(server.url, 'PUT', artifactUrl(`snapshots/${hash}/.stratus-complete`), 'now', AUTH)).status, 200);
      const rewrite = await raw(server.url, 'PUT', artifactUrl(`snapshots/${hash}/main.py`), 'import os', AUTH);
      assert.equal(rewrite.status, 403, 'a complete snapshot is immutable');
      assert.equal((await raw(server.url, 'GET', artifactUrl(`snapshots/${hash}/main.py`), undefined, AUTH)).body, 'print(1)');
      const hidden = await raw(server.url, 'PUT', artifactUrl(`${runRoot}/.model.pkl.0123456789ab.part`), 'x', AUTH);
      assert.equal(hidden.status, 400, 'names of in-progress uploads are refused');
    });

    test('JSON bodies are parsed in linear time, and NaN tokens only outside strings', async () => {
      const res = await raw(server.url, 'POST', '/api/2.0/mlflow/runs/log-metric', `[${' '.repeat(200_000)}x`, JSON_AUTH);
      assert.equal(res.status, 400);
      assert.equal(res.json.error_code, 'BAD_REQUEST');
      assert.ok(res.body.length < 1000, 'the error does not echo the body');
      const metric = await raw(server.url, 'POST', '/api/2.0/mlflow/runs/log-metric',
        `{"run_id": "${runId}", "key": "loss", "value": NaN, "timestamp": 1, "step": 0}`, JSON_AUTH);
      assert.equal(metric.status, 200, metric.body);
      const param = await raw(server.url, 'POST', '/api/2.0/mlflow/runs/log-parameter',
        `{"run_id": "${runId}", "key": "words", "value": "NaN, -Infinity and \\"Infinity\\""}`, JSON_AUTH);
      assert.equal(param.status, 200, param.body);
      const got = (await api(server.url, 'GET', `/runs/get?run_id=${runId}`, undefined, AUTH)).json.run.data;
      assert.equal(got.params.find((p: { key: string }) => p.key === 'words').value, 'NaN, -Infinity and "Infinity"');
      assert.equal(got.metrics.find((m: { key: string }) => m.key === 'loss').value, 'NaN');
      const deep = await raw(server.url, 'POST', '/api/2.0/mlflow/runs/log-batch', '['.repeat(10_000) + ']'.repeat(10_000), JSON_AUTH);
      assert.equal(deep.status, 400);
      assert.ok(deep.body.length < 1000);
    });

    test('values the store cannot hold are a 400 on every store', async () => {
      const bad: [string, unknown][] = [
        ['/runs/log-parameter', { run_id: runId, key: 'p', value: 'a\u0000b' }],
        ['/runs/set-tag', { run_id: runId, key: 't\u0000', value: 'v' }],
        ['/experiments/create', { name: 'nul\u0000name' }],
        ['/runs/search', { experiment_ids: [exp], filter: "params.p = 'a\u0000'" }],
        ['/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1, step: 1e20 }],
        ['/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1, step: -1e20 }],
        ['/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1e300, step: 0 }],
        ['/runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 2 ** 63 }] }],
        ['/registered-models/create', { name: 'm\u0000' }],
      ];
      for (const [route, body] of bad) {
        const res = await call(route, body);
        assert.equal(res.status, 400, `${route} ${JSON.stringify(body)}: ${res.status} ${res.body}`);
        assert.equal(res.json.error_code, 'INVALID_PARAMETER_VALUE');
      }
      const nulQuery = await raw(server.url, 'GET', `/api/2.0/mlflow/runs/get?run_id=${runId}%00`, undefined, AUTH);
      assert.equal(nulQuery.status, 400);
      const bigId = await api(server.url, 'GET', '/experiments/get?experiment_id=123456789012345678901234', undefined, AUTH);
      assert.equal(bigId.status, 404, bigId.body);
      await call('/registered-models/create', { name: 'big-version' });
      const bigVersion = await api(server.url, 'GET', '/model-versions/get?name=big-version&version=123456789012345678901', undefined, AUTH);
      assert.equal(bigVersion.status, 400, bigVersion.body);
      const searchBig = await call('/runs/search', { experiment_ids: ['123456789012345678901234'] });
      assert.equal(searchBig.status, 400, searchBig.body);
    });

    test('requests a client can grow are bounded', async () => {
      const clauses = Array.from({ length: 300 }, (_, i) => `params.p${i} = 'x'`).join(' AND ');
      const many = await call('/runs/search', { experiment_ids: [exp], filter: clauses });
      assert.equal(many.status, 400);
      assert.match(many.json.message, /at most 50 clauses/);
      const inList = `params.p IN (${Array.from({ length: 70_000 }, (_, i) => `'v${i}'`).join(', ')})`;
      const longIn = await call('/runs/search', { experiment_ids: [exp], filter: inList });
      assert.equal(longIn.status, 400);
      assert.ok(longIn.body.length < 1000, 'the error does not echo the filter');
      const ids = await call('/runs/search', { experiment_ids: Array.from({ length: 70_000 }, (_, i) => String(i)) });
      assert.equal(ids.status, 400);
      assert.match(ids.json.message, /at most 10000/);
      const history = await api(server.url, 'GET', `/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=-1`, undefined, AUTH);
      assert.equal(history.status, 400);
      const token = await api(server.url, 'GET', `/metrics/get-history?run_id=${runId}&metric_key=loss&page_token=garbage`, undefined, AUTH);
      assert.equal(token.status, 400);
      assert.equal(token.json.error_code, 'INVALID_PARAMETER_VALUE');
    });

    test('artifact locations and model sources stay inside what their owner logged', async () => {
      for (const location of ['mlflow-artifacts:/', 'mlflow-artifacts:///', 'mlflow-artifacts:/snapshots', 'mlflow-artifacts:/jobs/x', `mlflow-artifacts:/${exp}`, `mlflow-artifacts:/${exp}/x`, 'mlflow-artifacts:/0']) {
        const res = await call('/experiments/create', { name: `loc-${location}`, artifact_location: location });
        assert.equal(res.status, 400, `${location}: ${res.body}`);
      }
      const own = await call('/experiments/create', { name: 'team-folder', artifact_location: 'mlflow-artifacts:/team/a' });
      assert.equal(own.status, 200, own.body);
      const overlap = await call('/experiments/create', { name: 'team-parent', artifact_location: 'mlflow-artifacts:/team' });
      assert.equal(overlap.status, 400, 'a folder that contains another experiment is refused');

      await call('/registered-models/create', { name: 'confined' });
      const sources = ['mlflow-artifacts:/', 'mlflow-artifacts:/snapshots', 'mlflow-artifacts:/snapshots/x', 'mlflow-artifacts:////etc/passwd',
        `mlflow-artifacts:/${exp}`, `mlflow-artifacts:/${exp}/not-a-run/artifacts/model`, `mlflow-artifacts:/jobs/j/named-outputs/m`];
      for (const source of sources) {
        const res = await call('/model-versions/create', { name: 'confined', source });
        assert.equal(res.status, 400, `${source}: ${res.body}`);
      }
      const ok = await call('/model-versions/create', { name: 'confined', source: `mlflow-artifacts:/${runRoot}/model` });
      assert.equal(ok.status, 200, ok.body);
    });

    test('a scoring caller cannot tell unknown endpoints from wrong keys', async () => {
      const created = await raw(server.url, 'POST', '/api/v1/online-endpoints', JSON.stringify({ name: 'known-ep', auth_mode: 'key' }), JSON_AUTH);
      assert.equal(created.status, 200, created.body);
      const headers = { 'content-type': 'application/json', authorization: 'Bearer wrong-key' };
      const known = await raw(server.url, 'POST', '/endpoints/known-ep/score', '{}', headers);
      const unknown = await raw(server.url, 'POST', '/endpoints/no-such-ep/score', '{}', headers);
      assert.equal(known.status, 401);
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body, known.body);
      const noKey = await raw(server.url, 'POST', '/endpoints/no-such-ep/score', '{}', { 'content-type': 'application/json' });
      assert.equal(noKey.status, 401);
      // A workspace user may learn that it does not exist.
      const asUser = await raw(server.url, 'POST', '/endpoints/no-such-ep/score', '{}', JSON_AUTH);
      assert.equal(asUser.status, 404);
    });

    test('/health reports the store', async () => {
      const res = await raw(server.url, 'GET', '/health');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'OK');
    });
  });
}

securitySuite('SQLite');
securitySuite('PostgreSQL');

describe('PostgreSQL work is bounded', { skip: process.env.STRATUS_TEST_PG_URL ? false : 'STRATUS_TEST_PG_URL is not set' }, () => {
  test('statements have a timeout and a read is cancelled when its client goes away', async () => {
    const fresh = (await freshPgDatabase('cancel'))!;
    const db = new PostgresDb(fresh.url);
    try {
      assert.equal((await db.get<{ statement_timeout: string }>('SHOW statement_timeout'))!.statement_timeout, '30s');
      const gone = new AbortController();
      setTimeout(() => gone.abort(), 300);
      const started = Date.now();
      await assert.rejects(db.all('SELECT pg_sleep(20)', [], { signal: gone.signal }), (err: { code?: string }) => err.code === '57014');
      assert.ok(Date.now() - started < 15_000, 'the query was cancelled, not left to run for 20 s');
      const active = await db.all("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'");
      assert.equal(active.length, 0);
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

describe('secrets', () => {
  test('blank secrets are refused, and short ones on the network', () => {
    assert.throws(() => checkExposure('127.0.0.1', { token: '   ' }), /blank/);
    assert.throws(() => checkExposure('0.0.0.0', { token: ' ' }), /blank/);
    assert.throws(() => checkExposure('0.0.0.0', { token: 'short' }), /at least 16/);
    assert.throws(() => checkExposure('0.0.0.0', { username: 'u', password: 'pw' }), /at least 16/);
    assert.doesNotThrow(() => checkExposure('0.0.0.0', { token: 'x'.repeat(24) }));
    assert.doesNotThrow(() => checkExposure('127.0.0.1', { token: 'short' }));
  });

  test('child processes never inherit the workspace secrets', () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      STRATUS_AUTH_TOKEN: 'tok', STRATUS_AUTH_PASSWORD: 'pw', STRATUS_STORE: 'postgresql://u:pw@h/db', MLFLOW_TRACKING_TOKEN: 'tok2', KEEP_ME: '1',
    });
    try {
      const env = childEnv({ EXTRA: 'yes' });
      for (const k of ['STRATUS_AUTH_TOKEN', 'STRATUS_AUTH_PASSWORD', 'STRATUS_STORE', 'MLFLOW_TRACKING_TOKEN']) assert.equal(env[k], undefined, k);
      assert.equal(env.KEEP_ME, '1');
      assert.equal(env.EXTRA, 'yes');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test('scoring URIs of a server on every interface name this machine', () => {
    assert.equal(advertisedHost('0.0.0.0'), os.hostname());
    assert.equal(advertisedHost('127.0.0.1'), '127.0.0.1');
    assert.equal(advertisedHost('::1'), '[::1]');
  });
});

describe('CLI YAML', () => {
  test('a billion-laughs file is a clear error, not a crash', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lol.yml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
      const prev = String.fromCharCode('a'.charCodeAt(0) + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    fs.writeFileSync(file, [...levels, 'command: echo hi', 'environment: azureml:AzureML-sklearn-1.5@latest'].join('\n'));
    const res = await runCli(['job', 'validate', '--file', file], { url: 'http://127.0.0.1:9' });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /alias/i);
    assert.doesNotMatch(res.stderr, /ReferenceError|\n\s+at /);
  });

  test('duplicate keys are reported with their line', async () => {
    const file = path.join(tempDir(), 'dup.yml');
    fs.writeFileSync(file, 'command: echo a\nenvironment: azureml:x:1\ncommand: echo b\n');
    const res = await runCli(['job', 'validate', '--file', file], { url: 'http://127.0.0.1:9' });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /dup\.yml:3: .*'command' appears twice/);
  });
});

describe('environment builds are owned', () => {
  test('a build left running by a dead server is ended before the folder is built again', async () => {
    const cache = tempDir();
    const builder = new EnvironmentBuilder(cache);
    const spec = { requirements: [], warnings: [] };
    const prefix = path.join(cache, specHash(spec, choosePython(undefined, [])));
    // An orphaned builder: its own process group, its command line naming the folder.
    const orphan = spawn('bash', ['-c', `sleep 300; echo ${prefix}`], { detached: true, stdio: 'ignore' });
    const deadServer = spawnSync('true').pid!;
    fs.writeFileSync(`${prefix}.build.lock`, JSON.stringify({ server: deadServer, group: orphan.pid }));
    const built = await builder.ensure(spec, () => undefined);
    assert.ok(fs.existsSync(path.join(built.prefix!, '.stratus-env-complete')));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(processAlive(orphan.pid!), false, 'the orphaned builder was killed');
    assert.equal(fs.existsSync(`${prefix}.build.lock`), false, 'the lock is released');
  });
});

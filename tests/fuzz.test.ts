/**
 * Property-based fuzz of every route the server registers, on SQLite and (with
 * STRATUS_TEST_PG_URL) on PostgreSQL. Paths, query strings and bodies are drawn from hostile
 * values (percent-encodings, absolute-form targets, NULs, huge numbers, deep nesting, long
 * strings, wrong types) by a seeded generator, so a failure replays with FUZZ_SEED. Properties:
 * - no request answers 5xx (501 for what is not implemented and 503 for an endpoint with no
 *   running deployment are answers, not crashes);
 * - no request takes longer than a bound proportional to its size (a quadratic parser or an
 *   unbounded query shows up as seconds, not milliseconds — the bound is generous);
 * - with auth on, no route but the public ones answers without credentials;
 * - nothing outside the request's own resource changes: a canary experiment, run, artifact,
 *   registered model and snapshot are identical afterwards, and the artifact store holds no
 *   new top-level folder that is not an experiment's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, freshPgDatabase, raw, startServer } from './helpers.ts';
import { listRoutes } from '../src/server/app.ts';
import { WORKSPACE_FOLDERS } from '../src/artifacts/layout.ts';

const TOKEN = 'fuzz-test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const PER_ROUTE = Number(process.env.FUZZ_PER_ROUTE ?? 12);

/** mulberry32: small, seeded, good enough to pick test inputs. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  return { next, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

/** Path segments as they go on the wire (already percent-encoded where meant to be). */
const SEGMENTS = [
  'x', 'fuzz-name', '%00', 'a%00b', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%2F..%2F', '%252e%252e%252f', '.', '%2e', '%2E%2E',
  '123456789012345678901234', '-1', '1e309', 'NaN', '%F0%9F%92%A9', '%C0%AE%C0%AE', '%', '%zz', 'snapshots', 'jobs', 'uploads',
  '0', '1', 'a'.repeat(3000), '%5c..%5c..', '~root', 'C:', '%23frag', '%3Fq%3D1', 'm-0123456789abcdef0123456789abcdef',
];
const WILDCARD_TAILS = ['.', '%2e', '', '0', '0/x/artifacts/f.txt', 'snapshots', `snapshots/${'b'.repeat(32)}/f.py`, 'jobs/j/named-outputs/o/f',
  '..%2f..%2fetc%2fpasswd', '%2e%2e/%2e%2e/x', 'a/%00/b', '/etc/passwd', '%2Fetc%2Fpasswd', '0/.x.0123456789ab.part', 'a'.repeat(4000)];
const FIELDS = [
  'run_id', 'run_uuid', 'experiment_id', 'experiment_ids', 'name', 'new_name', 'version', 'key', 'value', 'metric_key', 'max_results',
  'page_token', 'filter', 'order_by', 'path', 'tags', 'metrics', 'params', 'timestamp', 'step', 'artifact_location', 'source',
  'stage', 'alias', 'description', 'view_type', 'start_step', 'end_step', 'run_ids', 'status', 'end_time', 'start_time', 'model_id',
  'lines', 'rows', 'label', 'spec', 'traffic', 'key_type', 'all_traffic', 'trigger', 'create_job', 'datasets', 'models',
  'stdout', 'stderr', 'build', 'parent_job_name', 'compute', 'type', 'auth_mode', 'endpoint_name', 'instance_count',
];

function hostileString(r: Rng): string {
  return r.pick([
    '', ' ', 'x', 'a\u0000b', '\u0000', 'NaN', 'Infinity', '-Infinity', '1e400', '123456789012345678901234567890', '-9223372036854775809',
    '../../etc/passwd', 'mlflow-artifacts:/', 'mlflow-artifacts:////etc/passwd', 'file:///etc/passwd', 'http://169.254.169.254/', 'runs:/x/y',
    "params.a = 'x' AND metrics.m > 1", "tags.t IN ('a', 'b')", "attributes.run_name LIKE '%'", "metrics.x > 1 AND".repeat(20),
    'x'.repeat(70_000), '\ud800', '𝒳', '${{parent.inputs.x}}', 'azureml:x:1', "'; DROP TABLE runs; --", 'eyJvZmZzZXQiOi0xfQ==',
  ]);
}

function hostileValue(r: Rng, depth = 0): unknown {
  const roll = r.next();
  if (roll < 0.35) return hostileString(r);
  if (roll < 0.55) return r.pick([0, -1, 1, 0.5, 1e20, -1e20, 1e300, 2 ** 63, -(2 ** 63), 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
  if (roll < 0.62) return r.pick([true, false, null]);
  if (roll < 0.66) return Array.from({ length: r.pick([200, 20_000]) }, (_, i) => (i % 2 ? `v${i}` : i));
  if (roll < 0.8 && depth < 8) return Array.from({ length: r.pick([0, 1, 3]) }, () => hostileValue(r, depth + 1));
  if (depth < 8) return hostileObject(r, depth + 1);
  return 'leaf';
}

function hostileObject(r: Rng, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = r.pick([0, 1, 2, 4, 6]);
  for (let i = 0; i < n; i++) out[r.chance(0.9) ? r.pick(FIELDS) : hostileString(r).slice(0, 50)] = hostileValue(r, depth);
  return out;
}

function hostileBody(r: Rng): string {
  const roll = r.next();
  if (roll < 0.08) return `${'['.repeat(5000)}${']'.repeat(5000)}`;
  if (roll < 0.14) return `[${' '.repeat(100_000)}x`;
  if (roll < 0.2) return r.pick(['{', '{"a": NaN, "b": -Infinity}', 'null', '[]', '"str"', '12', '{"a":"\\u0000"}', '{"a": 1e999}']);
  return JSON.stringify(hostileObject(r));
}

/** Percent-encoding; a lone surrogate goes as the (invalid) UTF-8 bytes a client could send. */
function wireEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

function hostileQuery(r: Rng): string {
  const n = r.pick([0, 1, 2, 3]);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.chance(0.9) ? r.pick(FIELDS) : r.pick(['%00', 'a[]', '__proto__', 'constructor']);
    const value = r.chance(0.5) ? r.pick(SEGMENTS) : wireEncode(hostileString(r).slice(0, 5000));
    parts.push(`${key}=${value}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function hostilePath(r: Rng, pattern: string): string {
  const filled = pattern
    .replace(/:\w+/g, () => r.pick(SEGMENTS))
    .replace(/\*$/, () => r.pick(WILDCARD_TAILS));
  return r.chance(0.1) ? `http://fuzz.example${filled}` : filled;
}


/**
 * Bodies drawn from the operation's own JSON Schema (the OpenAPI document's requestBody): mostly
 * values of the declared types, so they get past the schema into the services, sometimes with
 * one field broken (a wrong type, a hostile string, a field the schema does not know).
 */
type JsonSchema = Record<string, any>;
function fromSchema(schema: JsonSchema, root: JsonSchema, r: Rng, depth = 0): unknown {
  if (depth > 6) return r.pick(['x', 1, true]);
  if (r.chance(0.04)) return hostileValue(r, 6);
  if (schema.$ref) {
    const target = schema.$ref === '#' ? root : root.$defs?.[String(schema.$ref).replace('#/$defs/', '')];
    return target ? fromSchema(target, root, r, depth + 1) : null;
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fromSchema(r.pick(alternatives), root, r, depth + 1);
  if (schema.allOf) return fromSchema(schema.allOf[0], root, r, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return r.pick(schema.enum);
  const type = Array.isArray(schema.type) ? r.pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [key, sub] of Object.entries<JsonSchema>(schema.properties ?? {})) {
        if (required.has(key) ? r.chance(0.97) : r.chance(0.5)) out[key] = fromSchema(sub, root, r, depth + 1);
      }
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        for (let i = r.pick([0, 1, 2]); i > 0; i--) out[r.pick(['a', 'lr', 'epochs', 'blue', 'x.y', '__proto__'])] = fromSchema(schema.additionalProperties, root, r, depth + 1);
      }
      if (r.chance(0.03)) out[r.pick(FIELDS)] = hostileValue(r, 6);
      return out;
    }
    case 'array':
      return Array.from({ length: r.pick([0, 1, 2, 3]) }, () => fromSchema(schema.items ?? {}, root, r, depth + 1));
    case 'string':
      return r.chance(0.7)
        ? r.pick(['x', 'fuzz-name', '1', 'local', 'python main.py', 'azureml:fuzz-name:1', 'azureml:AzureML-sklearn-1.5@latest', 'uri_folder', 'mlflow_model', '0 * * * *', 'Minute', 'UTC', '${{inputs.x}}', 'stratus-upload:0123456789abcdef0123456789abcdef/x'])
        : hostileString(r).slice(0, 2000);
    case 'integer':
      return r.pick([0, 1, 2, 5, -1, 100, 2 ** 31, Number.MAX_SAFE_INTEGER]);
    case 'number':
      return r.pick([0, 0.5, 1, -1, 1e9, 1e-9, 1e300]);
    case 'boolean':
      return r.chance(0.5);
    case 'null':
      return null;
    default:
      return hostileValue(r, 6);
  }
}

/** Allowed 5xx answers: a deliberate "not implemented", and an endpoint with nothing running. */
function acceptable(status: number, body: string): boolean {
  if (status < 500) return true;
  return (status === 501 && body.includes('NOT_IMPLEMENTED')) || (status === 503 && body.includes('TEMPORARILY_UNAVAILABLE'));
}

function fuzzSuite(store: 'SQLite' | 'PostgreSQL') {
  describe(`route fuzz on ${store}`, { skip: store === 'PostgreSQL' && !process.env.STRATUS_TEST_PG_URL ? 'STRATUS_TEST_PG_URL is not set' : false }, () => {
    let server: Awaited<ReturnType<typeof startServer>>;
    let pgDb: Awaited<ReturnType<typeof freshPgDatabase>>;
    const canary: Record<string, string> = {};
    const snapshotOfCanary = async () => {
      const run = await api(server.url, 'GET', `/runs/get?run_id=${canary.run}`, undefined, AUTH);
      const exp = await api(server.url, 'GET', `/experiments/get?experiment_id=${canary.exp}`, undefined, AUTH);
      const model = await api(server.url, 'GET', '/registered-models/get?name=fuzz-canary-model', undefined, AUTH);
      const file = await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${canary.root}/canary.txt`, undefined, AUTH);
      const snap = await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/snapshots/${'c'.repeat(32)}/main.py`, undefined, AUTH);
      return JSON.stringify([run.json, exp.json, model.json, file.status, file.body, snap.status, snap.body]);
    };
    let before_: string;

    before(async () => {
      // Computes the fuzz creates build their environments where the other suites look for them.
      process.env.STRATUS_ENV_CACHE ??= path.resolve(import.meta.dirname, '../.cache/envs');
      pgDb = store === 'PostgreSQL' ? await freshPgDatabase('fuzz') : undefined;
      server = await startServer({ auth: { token: TOKEN }, storeUrl: pgDb?.url });
      // The canary's ids are ones the generator never names (it does name 0, 1 and -1).
      for (const n of [1, 2, 3, 4]) await api(server.url, 'POST', '/experiments/create', { name: `fuzz-target-${n}` }, AUTH);
      canary.exp = (await api(server.url, 'POST', '/experiments/create', { name: 'fuzz-canary-experiment' }, AUTH)).json.experiment_id;
      const run = (await api(server.url, 'POST', '/runs/create', { experiment_id: canary.exp, run_name: 'canary' }, AUTH)).json.run;
      canary.run = run.info.run_id;
      canary.root = run.info.artifact_uri.replace('mlflow-artifacts:/', '');
      await api(server.url, 'POST', '/runs/log-batch', {
        run_id: canary.run, params: [{ key: 'p', value: 'v' }], tags: [{ key: 't', value: 'v' }], metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
      }, AUTH);
      await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${canary.root}/canary.txt`, 'canary', AUTH);
      await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/snapshots/${'c'.repeat(32)}/main.py`, 'print(1)', AUTH);
      await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/snapshots/${'c'.repeat(32)}/.stratus-complete`, 'x', AUTH);
      await api(server.url, 'POST', '/registered-models/create', { name: 'fuzz-canary-model' }, AUTH);
      await api(server.url, 'POST', '/model-versions/create', { name: 'fuzz-canary-model', source: `runs:/${canary.run}/model`, run_id: canary.run }, AUTH);
      before_ = await snapshotOfCanary();
    });
    after(async () => {
      await server?.close();
      await pgDb?.drop();
    });

    test('no route answers without credentials unless it is public', async () => {
      const routes = listRoutes(server.app);
      assert.ok(routes.length > 100, `expected the whole route table, got ${routes.length}`);
      for (const route of routes) {
        const target = route.url.replace(/:\w+/g, 'x').replace(/\*$/, `${canary.root}/canary.txt`);
        for (const form of [target, `http://fuzz.example${target}`, target.replace(/^\/api\//, '/%61pi/')]) {
          const res = await raw(server.url, route.method, form, route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}',
            { 'content-type': 'application/json' });
          if (route.public) {
            // Sign-in is public by design: a body without credentials in it is a 400. Only /health and
            // /api/v1/auth/config (whether auth is on, and the sign-on provider) answer 200: neither holds data.
            const allowed = route.url === '/api/v1/auth/login' ? [400] : [401, 404];
            assert.ok(res.status === 200 ? ['/health', '/api/v1/auth/config'].includes(route.url) : allowed.includes(res.status), `${route.method} ${form}: ${res.status}`);
          } else {
            assert.equal(res.status, 401, `${route.method} ${form} answered ${res.status} without credentials: ${res.body.slice(0, 200)}`);
          }
          assert.ok(!res.body.includes('canary'), `${route.method} ${form} leaked canary data`);
        }
      }
    });

    test('hostile paths, queries and bodies: no 5xx, time proportional to size, nothing else changes', async () => {
      const r = rng(SEED);
      const failures: string[] = [];
      for (const route of listRoutes(server.app)) {
        for (let i = 0; i < PER_ROUTE; i++) {
          const target = hostilePath(r, route.url) + hostileQuery(r);
          const body = route.method === 'GET' ? undefined : hostileBody(r);
          const size = target.length + (body?.length ?? 0);
          const started = performance.now();
          const contentType = r.pick(['application/json', 'text/plain', 'application/octet-stream']);
          const replay = `${route.method} ${target.slice(0, 300)} (${contentType}, ${body?.length ?? 0} bytes) body=${(body ?? '').slice(0, 200)}`;
          // One connection per request: a reply sent before a large body is read closes its connection.
          const res = await raw(server.url, route.method, target, body, { ...AUTH, connection: 'close', 'content-type': contentType })
            .catch((err: Error) => ({ status: 599, body: `connection failed: ${err.message}` }));
          const elapsed = performance.now() - started;
          const bound = 3000 + size / 10; // 3 s plus 0.1 ms per byte: linear work fits easily, quadratic does not
          if (!acceptable(res.status, res.body)) failures.push(`${res.status} ${res.body.slice(0, 300)} <- ${replay}`);
          if (elapsed > bound) failures.push(`${Math.round(elapsed)} ms (bound ${Math.round(bound)} ms) <- ${replay}`);
          if (failures.length > 20) break;
        }
      }
      assert.deepEqual(failures, [], `seed ${SEED}:\n${failures.join('\n')}`);
      assert.equal(await snapshotOfCanary(), before_, 'the canary experiment, run, artifact, model or snapshot changed');
      const top = fs.readdirSync(path.join(server.dataDir, 'artifacts'));
      // Only the workspace's own folders (the default datastore's files are uploaded by clients).
      const strays = top.filter((name) => !/^\d+$/.test(name) && !WORKSPACE_FOLDERS.has(name));
      assert.deepEqual(strays, [], 'new top-level folders in the artifact store');
    });
    test('bodies and queries drawn from the OpenAPI schemas: no 5xx, and every reply fits its own schema', async () => {
      // The server checks its replies against their schemas in the suites (STRATUS_CHECK_REPLIES),
      // so a 2xx reply that drifts from the document would surface here as a 500.
      const doc = (await raw(server.url, 'GET', '/api/v1/openapi.json', undefined, AUTH)).json;
      assert.equal(doc.openapi, '3.1.0');
      const r = rng(SEED + 1);
      const failures: string[] = [];
      let withBody = 0;
      for (const [pattern, methods] of Object.entries<Record<string, any>>(doc.paths)) {
        for (const [method, operation] of Object.entries<any>(methods)) {
          assert.ok(operation.responses?.[200]?.content?.['application/json']?.schema?.type, `${method} ${pattern} has no reply schema`);
          const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
          if (bodySchema) withBody++;
          for (let i = 0; i < PER_ROUTE * 2; i++) {
            const target = pattern.replace(/\{\w+\}/g, () => encodeURIComponent(r.pick(['fuzz-name', 'x', '1', 'local', 'blue', r.pick(SEGMENTS)])));
            const query = (operation.parameters ?? []).filter((p: any) => p.in === 'query' && r.chance(0.5))
              .map((p: any) => `${p.name}=${wireEncode(String(r.pick(['1', '0', '-1', '20', 'Completed', 'x', 'latest', '99999999999999999999', hostileString(r).slice(0, 200)])))}`);
            const body = bodySchema ? JSON.stringify(fromSchema(bodySchema, bodySchema, r)) : method === 'get' ? undefined : '{}';
            const url = target + (query.length ? `?${query.join('&')}` : '');
            const res = await raw(server.url, method.toUpperCase(), url, body, { ...AUTH, connection: 'close', 'content-type': 'application/json' })
              .catch((err: Error) => ({ status: 599, body: `connection failed: ${err.message}` }));
            if (!acceptable(res.status, res.body)) failures.push(`${res.status} ${res.body.slice(0, 400)} <- ${method.toUpperCase()} ${url.slice(0, 200)} body=${(body ?? '').slice(0, 300)}`);
            if (failures.length > 20) break;
          }
        }
      }
      assert.ok(withBody >= 14, `expected request schemas on the write operations, found ${withBody}`);
      assert.deepEqual(failures, [], `seed ${SEED + 1}:\n${failures.join('\n')}`);
      assert.equal(await snapshotOfCanary(), before_, 'the canary experiment, run, artifact, model or snapshot changed');
    });
  });
}

fuzzSuite('SQLite');
fuzzSuite('PostgreSQL');

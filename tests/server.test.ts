/** The HTTP surface: errors in MLflow's shape, auth, exposure guard, atomic uploads, GET forms. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { api, raw, startServer } from './helpers.ts';
import { checkExposure } from '../src/server/serve.ts';

describe('MLflow error shapes and request forms', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => { server = await startServer(); });
  after(async () => { await server.close(); });

  test('health and version', async () => {
    assert.equal((await raw(server.url, 'GET', '/health')).body, 'OK');
    assert.match((await raw(server.url, 'GET', '/version')).body, /^\d+\.\d+\.\d+$/);
  });

  test('unknown endpoint is ENDPOINT_NOT_FOUND 404', async () => {
    const res = await api(server.url, 'GET', '/no/such/thing');
    assert.equal(res.status, 404);
    assert.equal(res.json.error_code, 'ENDPOINT_NOT_FOUND');
  });

  test('missing required parameter is INVALID_PARAMETER_VALUE 400', async () => {
    const res = await api(server.url, 'POST', '/experiments/create', {});
    assert.equal(res.status, 400);
    assert.equal(res.json.error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(res.json.message, /'name'/);
  });

  test('malformed JSON is a 400, never a 500', async () => {
    const res = await raw(server.url, 'POST', '/api/2.0/mlflow/runs/create', '{"experiment_id": ', { 'content-type': 'application/json' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error_code, 'BAD_REQUEST');
  });

  test('wrong types are 400', async () => {
    const run = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info.run_id;
    for (const body of [
      { run_id: run, key: 'm', value: 'abc', timestamp: 1 },
      { run_id: run, key: 'm', value: 1, timestamp: 'yesterday' },
      { run_id: run, key: 'm', value: 1, timestamp: 1, step: 1.5 },
    ]) {
      const res = await api(server.url, 'POST', '/runs/log-metric', body);
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error_code, 'INVALID_PARAMETER_VALUE');
    }
    const bad = await api(server.url, 'POST', '/experiments/search', { max_results: 'many' });
    assert.equal(bad.status, 400);
    const tooMany = await api(server.url, 'POST', '/experiments/search', { max_results: 50001 });
    assert.equal(tooMany.status, 400);
  });

  test('duplicate and missing objects use MLflow codes', async () => {
    await api(server.url, 'POST', '/experiments/create', { name: 'dup' });
    const dup = await api(server.url, 'POST', '/experiments/create', { name: 'dup' });
    assert.equal(dup.status, 400);
    assert.equal(dup.json.error_code, 'RESOURCE_ALREADY_EXISTS');
    const missing = await api(server.url, 'GET', '/runs/get?run_id=deadbeef');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error_code, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('GET accepts repeated keys and the key[] form; ajax-api mirrors api', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const id = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info.run_id;
      await api(server.url, 'POST', '/runs/log-batch', { run_id: id, metrics: [0, 1, 2].map((s) => ({ key: 'loss', value: s, timestamp: 1, step: s })) });
      runs.push(id);
    }
    const repeated = await raw(server.url, 'GET', `/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${runs[0]}&run_ids=${runs[1]}&metric_key=loss&max_results=10`);
    assert.equal(repeated.status, 200, repeated.body);
    assert.equal(repeated.json.metrics.length, 6);
    const brackets = await raw(server.url, 'GET', `/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids[]=${runs[0]}&metric_key=loss`);
    assert.equal(brackets.json.metrics.length, 3);
    assert.deepEqual(brackets.json.metrics.map((m: any) => m.step), [0, 1, 2]);
  });

  test('non-finite metric values travel as proto-JSON strings', async () => {
    const id = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info.run_id;
    await api(server.url, 'POST', '/runs/log-metric', { run_id: id, key: 'n', value: 'NaN', timestamp: 1 });
    await api(server.url, 'POST', '/runs/log-metric', { run_id: id, key: 'i', value: 'Infinity', timestamp: 1 });
    const run = (await api(server.url, 'GET', `/runs/get?run_id=${id}`)).json.run;
    const byKey = Object.fromEntries(run.data.metrics.map((m: any) => [m.key, m.value]));
    assert.deepEqual(byKey, { n: 'NaN', i: 'Infinity' });
  });

  test('an interrupted upload leaves no file behind', async () => {
    const target = '0/interrupted/artifacts/big.bin';
    await new Promise<void>((resolve) => {
      const u = new URL(server.url);
      const req = http.request({ host: u.hostname, port: u.port, method: 'PUT', path: `/api/2.0/mlflow-artifacts/artifacts/${target}`,
        headers: { 'content-length': '1000000', 'content-type': 'application/octet-stream' } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1000));
      setTimeout(() => { req.destroy(); resolve(); }, 200);
    });
    await new Promise((r) => setTimeout(r, 300));
    const dir = path.join(server.workspace.artifacts.root, '0/interrupted/artifacts');
    const left = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    assert.deepEqual(left, [], `partial files left: ${left.join(', ')}`);
    const get = await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${target}`);
    assert.equal(get.status, 404);
  });

  test('multipart upload answers NOT_IMPLEMENTED so clients fall back to one PUT', async () => {
    const res = await raw(server.url, 'POST', '/api/2.0/mlflow-artifacts/mpu/create/0/x/artifacts/f.bin', '{}', { 'content-type': 'application/json' });
    assert.equal(res.status, 501);
    assert.equal(res.json.error_code, 'NOT_IMPLEMENTED');
  });

  test('a JSON artifact is stored as bytes, not parsed', async () => {
    const body = '{"not": "parsed", "n": NaN}';
    const put = await raw(server.url, 'PUT', '/api/2.0/mlflow-artifacts/artifacts/0/j/artifacts/x.json', body, { 'content-type': 'application/json' });
    assert.equal(put.status, 200);
    assert.equal((await raw(server.url, 'GET', '/api/2.0/mlflow-artifacts/artifacts/0/j/artifacts/x.json')).body, body);
  });
});

describe('authentication', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => { server = await startServer({ auth: { token: 's3cret', username: 'ada', password: 'pw' } }); });
  after(async () => { await server.close(); });

  test('requests without credentials are refused with UNAUTHENTICATED', async () => {
    const res = await api(server.url, 'POST', '/experiments/search', {});
    assert.equal(res.status, 401);
    assert.equal(res.json.error_code, 'UNAUTHENTICATED');
    const wrong = await api(server.url, 'POST', '/experiments/search', {}, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    const art = await raw(server.url, 'GET', '/api/2.0/mlflow-artifacts/artifacts?path=0');
    assert.equal(art.status, 401);
  });

  test('bearer token and HTTP Basic are accepted', async () => {
    const bearer = await api(server.url, 'POST', '/experiments/search', {}, { authorization: 'Bearer s3cret' });
    assert.equal(bearer.status, 200);
    const basic = await api(server.url, 'POST', '/experiments/search', {}, { authorization: `Basic ${Buffer.from('ada:pw').toString('base64')}` });
    assert.equal(basic.status, 200);
    const badBasic = await api(server.url, 'POST', '/experiments/search', {}, { authorization: `Basic ${Buffer.from('ada:wrong').toString('base64')}` });
    assert.equal(badBasic.status, 401);
  });

  test('health stays open for probes', async () => {
    assert.equal((await raw(server.url, 'GET', '/health')).status, 200);
  });
});

describe('exposure guard', () => {
  test('a non-loopback host without auth is refused with instructions', () => {
    assert.throws(() => checkExposure('0.0.0.0', undefined), /STRATUS_AUTH_TOKEN/);
    assert.throws(() => checkExposure('192.168.1.5', {}), /Refusing/);
  });
  test('loopback, or any host with auth, is allowed', () => {
    checkExposure('127.0.0.1', undefined);
    checkExposure('localhost', undefined);
    checkExposure('0.0.0.0', { token: 't'.repeat(16) });
    checkExposure('0.0.0.0', { username: 'u', password: 'p'.repeat(16) });
  });
});

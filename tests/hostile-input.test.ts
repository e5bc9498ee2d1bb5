/**
 * One test per class of MLflow's published path-traversal, local-file-inclusion and SSRF
 * advisories: every artifact path stays inside the artifact root, and no experiment
 * artifact location or model-version source can point the server at local files or hosts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, raw, startServer } from './helpers.ts';

let server: Awaited<ReturnType<typeof startServer>>;
let runArtifactRoot: string;
const SECRET = '/tmp/stratus-secret-outside.txt';

before(async () => {
  server = await startServer();
  fs.writeFileSync(SECRET, 'top secret');
  const run = await api(server.url, 'POST', '/runs/create', { experiment_id: '0' });
  runArtifactRoot = run.json.run.info.artifact_uri.replace('mlflow-artifacts:/', '');
});
after(async () => {
  await server.close();
  fs.rmSync(SECRET, { force: true });
});

function assertRejected(res: { status: number; json: any; body: string }, what: string) {
  assert.ok(res.status === 400 || res.status === 404, `${what}: expected 400/404, got ${res.status} ${res.body}`);
  assert.ok(res.status < 500, what);
  if (res.json) assert.ok(['INVALID_PARAMETER_VALUE', 'RESOURCE_DOES_NOT_EXIST', 'BAD_REQUEST', 'ENDPOINT_NOT_FOUND'].includes(res.json.error_code), what);
  assert.ok(!res.body.includes('top secret') && !res.body.includes('root:'), `${what} leaked file content`);
}

const TRAVERSALS = [
  '../../../../tmp/stratus-secret-outside.txt',
  '..%2F..%2F..%2F..%2Ftmp%2Fstratus-secret-outside.txt',
  '%2e%2e/%2e%2e/%2e%2e/%2e%2e/tmp/stratus-secret-outside.txt',
  '%252e%252e%252f%252e%252e%252f%252e%252e%252ftmp%252fstratus-secret-outside.txt',
  '..%5c..%5c..%5ctmp%5cstratus-secret-outside.txt',
  '%2Ftmp%2Fstratus-secret-outside.txt',
  'a/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
];

describe('artifact proxy path traversal (arbitrary read, write and delete)', () => {
  for (const p of TRAVERSALS) {
    test(`download refuses ${p}`, async () => {
      assertRejected(await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${p}`), p);
    });
    test(`upload refuses ${p}`, async () => {
      const res = await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}`, 'pwned', { 'content-type': 'application/octet-stream' });
      assertRejected(res, p);
      assert.equal(fs.readFileSync(SECRET, 'utf8'), 'top secret');
    });
    test(`delete refuses ${p}`, async () => {
      assertRejected(await raw(server.url, 'DELETE', `/api/2.0/mlflow-artifacts/artifacts/${p}`), p);
      assert.ok(fs.existsSync(SECRET));
    });
    test(`list refuses ?path=${p}`, async () => {
      assertRejected(await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${p}`), p);
    });
  }

  test('absolute and home paths are refused in list', async () => {
    for (const p of ['/etc', '%2Fetc', '~/', 'C:%5CWindows']) {
      assertRejected(await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${p}`), p);
    }
  });

  test('run artifact listing refuses traversal in path', async () => {
    const run = await api(server.url, 'POST', '/runs/create', { experiment_id: '0' });
    const id = run.json.run.info.run_id;
    for (const p of ['../../..', '..%2F..%2F..', '%252e%252e%252f', '/etc', 'a#/../../..', 'a?x=/../..']) {
      assertRejected(await raw(server.url, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=${id}&path=${encodeURIComponent(p)}`), p);
    }
  });

  test('a symlink planted in the artifact root does not lead out of it', async () => {
    const linkDir = path.join(server.workspace.artifacts.root, runArtifactRoot);
    fs.mkdirSync(linkDir, { recursive: true });
    fs.symlinkSync('/tmp', path.join(linkDir, 'escape'));
    assertRejected(await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${runArtifactRoot}/escape/stratus-secret-outside.txt`), 'symlink read');
    const put = await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${runArtifactRoot}/escape/planted.txt`, 'x');
    assertRejected(put, 'symlink write');
    assert.ok(!fs.existsSync('/tmp/planted.txt'));
    const listing = await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${runArtifactRoot}`);
    assert.equal(listing.status, 200);
    assert.ok(!listing.json.files?.some((f: any) => f.path === 'escape'), 'symlinks are not listed');
  });

  test('a file standing where a folder of the path would be is a 400 that names it, for artifacts and the file share', async () => {
    const p = `${runArtifactRoot}/blocker`;
    assert.equal((await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}`, 'a file', { 'content-type': 'application/octet-stream' })).status, 200);
    const under = await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}/deeper/x.txt`, 'x', { 'content-type': 'application/octet-stream' });
    assert.equal(under.status, 400);
    assert.match(JSON.stringify(under.json), /'[^']*blocker' is a file, not a folder/);
    assert.equal((await raw(server.url, 'PUT', '/api/v1/files/content/Users/a/snapshots', 'a file', { 'content-type': 'application/octet-stream' })).status, 200);
    const share = await raw(server.url, 'PUT', '/api/v1/files/content/Users/a/snapshots/f.py', 'print(1)', { 'content-type': 'application/octet-stream' });
    assert.equal(share.status, 400);
    assert.match(JSON.stringify(share.json), /'Users\/a\/snapshots' is a file, not a folder/);
  });

  test('uploaded HTML is served as a download, never rendered', async () => {
    const p = `${runArtifactRoot}/page.html`;
    assert.equal((await raw(server.url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}`, '<script>alert(1)</script>', { 'content-type': 'text/html' })).status, 200);
    const res = await raw(server.url, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${p}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.match(String(res.headers['content-disposition']), /attachment/);
  });
});

describe('experiment artifact locations (LFI via file:, fragment and query tricks, SSRF)', () => {
  const BAD_LOCATIONS = [
    'file:///etc',
    '/etc',
    'file:///proc/self',
    'relative/path',
    'mlflow-artifacts:/x#/../../../../etc',
    'mlflow-artifacts:/x?/../../../../etc',
    'mlflow-artifacts:/../../etc',
    'mlflow-artifacts:/%2e%2e/%2e%2e/etc',
    'mlflow-artifacts://evil.example/x',
    'http://169.254.169.254/latest/meta-data',
    'https://attacker.example/?/../../',
    'ftp://attacker.example/x',
    's3://bucket/path#/../../etc',
  ];
  for (const loc of BAD_LOCATIONS) {
    test(`refuses ${loc}`, async () => {
      const res = await api(server.url, 'POST', '/experiments/create', { name: `bad-${Math.random()}`, artifact_location: loc });
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error_code, 'INVALID_PARAMETER_VALUE');
    });
  }
  test('accepts the workspace store and object stores', async () => {
    for (const loc of ['mlflow-artifacts:/team-a', 's3://bucket/prefix']) {
      const res = await api(server.url, 'POST', '/experiments/create', { name: `ok-${Math.random()}`, artifact_location: loc });
      assert.equal(res.status, 200, res.body);
    }
  });
});

describe('model version sources (local file inclusion and SSRF)', () => {
  let runId: string;
  before(async () => {
    await api(server.url, 'POST', '/registered-models/create', { name: 'hostile' });
    runId = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info.run_id;
  });
  const BAD_SOURCES = [
    'file:///etc/passwd',
    'file:/etc',
    'file://localhost/etc/passwd',
    '/proc/self/environ',
    '/etc',
    '../../../../etc',
    'file:///tmp#/../../etc',
    'runs:/RUN/../../../../etc',
    'runs://other-workspace/RUN/model',
    'models://evil/m-123',
    'mlflow-artifacts:/0/%2e%2e/%2e%2e/etc',
    'http://127.0.0.1:22/',
    'https://169.254.169.254/latest/meta-data?',
  ];
  for (const src of BAD_SOURCES) {
    test(`refuses ${src}`, async () => {
      const res = await api(server.url, 'POST', '/model-versions/create', { name: 'hostile', source: src.replace('RUN', runId ?? 'x'), run_id: runId });
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error_code, 'INVALID_PARAMETER_VALUE');
    });
  }
  test('a source outside the named run is refused', async () => {
    const other = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info;
    const res = await api(server.url, 'POST', '/model-versions/create', { name: 'hostile', source: `${other.artifact_uri}/model`, run_id: runId });
    assert.equal(res.status, 400, res.body);
  });
  test('a source inside the named run is accepted', async () => {
    const info = (await api(server.url, 'GET', `/runs/get?run_id=${runId}`)).json.run.info;
    const res = await api(server.url, 'POST', '/model-versions/create', { name: 'hostile', source: `${info.artifact_uri}/model`, run_id: runId });
    assert.equal(res.status, 200, res.body);
  });
});

describe('metric, param and tag names that would act as paths', () => {
  for (const key of ['../escape', '/abs', 'a/../../b', 'a/./b', 'bad\\name', 'semi;colon']) {
    test(`refuses ${key}`, async () => {
      const run = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info.run_id;
      const res = await api(server.url, 'POST', '/runs/log-parameter', { run_id: run, key, value: 'v' });
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error_code, 'INVALID_PARAMETER_VALUE');
    });
  }
});

/**
 * Online endpoints with real score.py worker processes: deploy, invoke, key auth, blue/green
 * traffic, mirroring, init failures, overload, timeouts, a killed worker and a rolling update.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServer } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const FIX = path.resolve(import.meta.dirname, 'fixtures/endpoint');

describe('online endpoints', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  let scoringUri: string;
  let key: string;
  const cli = (args: string[]) => runCli(args, { url: server.url, cwd: FIX });
  const score = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(scoringUri, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, deployment: r.headers.get('azureml-model-deployment'), json: await r.json().catch(() => undefined) }));

  before(async () => {
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
  });
  after(async () => { await server.close(); });

  test('create, deploy with all traffic, invoke from the CLI', async () => {
    assert.equal((await cli(['online-endpoint', 'create', '--file', 'endpoint.yml'])).code, 0);
    const dep = await cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--all-traffic', '--output', 'json']);
    assert.equal(dep.code, 0, dep.stderr);
    assert.equal(JSON.parse(dep.stdout).provisioning_state, 'Succeeded');
    const invoked = await cli(['online-endpoint', 'invoke', '--name', 'linear', '--request-file', 'request.json']);
    assert.equal(invoked.code, 0, invoked.stderr);
    assert.deepEqual(JSON.parse(invoked.stdout).predictions, [5.5, 11.5]);
    const shown = JSON.parse((await cli(['online-endpoint', 'show', '--name', 'linear', '--output', 'json'])).stdout);
    assert.equal(shown.provisioning_state, 'Succeeded');
    assert.deepEqual(shown.traffic, { blue: 100 });
    // A healthy deployment's log has its workers' start-up lines, as azmlinfsrv prints them.
    const started = await cli(['online-deployment', 'get-logs', '-n', 'blue', '-e', 'linear', '-o', 'tsv']);
    assert.match(started.stdout, /Stratus scoring worker \d+: Python 3\.\d+[^\n]*entry script [^\n]*score\.py/);
    assert.match(started.stdout, /init\(\) done in [\d.]+ s; worker \d+ serving run\(\)/);
    scoringUri = shown.scoring_uri;
    key = (await client.endpoints.keys('linear')).primaryKey;
  });

  test('key auth: missing, wrong and regenerated keys are refused', async () => {
    const none = await fetch(scoringUri, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data": [[1, 1]]}' });
    assert.equal(none.status, 401);
    assert.match((await none.json()).message, /Authorization/);
    assert.equal((await score({ data: [[1, 1]] }, { authorization: 'Bearer wrong' })).status, 401);
    const old = key;
    assert.equal((await cli(['online-endpoint', 'regenerate-keys', '--name', 'linear', '--key-type', 'primary'])).code, 0);
    assert.equal((await score({ data: [[1, 1]] }, { authorization: `Bearer ${old}` })).status, 401);
    key = (await client.endpoints.keys('linear')).primaryKey;
    assert.equal((await score({ data: [[1, 1]] })).status, 200);
    const secondary = (await client.endpoints.keys('linear')).secondaryKey;
    assert.equal((await score({ data: [[1, 1]] }, { authorization: `Bearer ${secondary}` })).status, 200);
  });

  test('malformed JSON is a 400 before it reaches score.py', async () => {
    const res = await score('{"data": [[1, 2]');
    assert.equal(res.status, 400);
    assert.match(res.json.message, /not valid JSON/);
  });

  test('blue/green: weights are honoured, the header pins, mirroring copies', async () => {
    const green = await cli(['online-deployment', 'create', '--file', 'deploy-v2.yml']);
    assert.equal(green.code, 0, green.stderr);
    const bad = await cli(['online-endpoint', 'update', '--name', 'linear', '--traffic', 'blue=60 green=30']);
    assert.match(bad.stderr, /must add up to 0 or 100, got 90/);
    assert.equal((await cli(['online-endpoint', 'update', '--name', 'linear', '--traffic', 'blue=70 green=30'])).code, 0);
    const counts: Record<string, number> = { blue: 0, green: 0 };
    for (let i = 0; i < 400; i++) {
      const r = await score({ data: [[1, 1]] });
      assert.equal(r.status, 200);
      counts[r.deployment!]++;
      assert.equal(r.json.model_version, r.deployment === 'blue' ? 1 : 2);
    }
    assert.ok(counts.green > 80 && counts.green < 160, `green got ${counts.green} of 400 at 30%`);
    const pinned = await score({ data: [[1, 1]] }, { 'azureml-model-deployment': 'green' });
    assert.equal(pinned.deployment, 'green');
    assert.equal(pinned.json.model_version, 2);

    assert.equal((await cli(['online-endpoint', 'update', '--name', 'linear', '--traffic', 'blue=100 green=0', '--mirror-traffic', 'green=50'])).code, 0);
    const before = (await client.deployments.show('linear', 'green')).metrics!.requests_total;
    for (let i = 0; i < 100; i++) assert.equal((await score({ data: [[1, 1]] })).deployment, 'blue');
    await new Promise((r) => setTimeout(r, 300));
    const mirrored = (await client.deployments.show('linear', 'green')).metrics!.requests_total - before;
    assert.ok(mirrored > 20 && mirrored < 80, `green saw ${mirrored} mirrored copies of 100 at 50%`);
    assert.equal((await cli(['online-endpoint', 'update', '--name', 'linear', '--mirror-traffic', 'green=0'])).code, 0);
  });

  test('an init() failure is reported in provisioning_state and get-logs with the traceback', async () => {
    const res = await cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--name', 'broken', '--set', 'model.path=./broken-model/linear-model']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /init\(\) failed/);
    const shown = await client.deployments.show('linear', 'broken');
    assert.equal(shown.provisioning_state, 'Failed');
    const logs = await cli(['online-deployment', 'get-logs', '--name', 'broken', '--endpoint-name', 'linear', '--lines', '50']);
    assert.match(logs.stdout, /Traceback/);
    assert.match(logs.stdout, /weights.json is marked corrupt/);
    // While it was created, its log went by on stderr; it ended Failed, so no traffic may go to it.
    assert.match(res.stderr, /\[stratus\] deployment broken: Failed after \d+ s/);
    const traffic = await cli(['online-endpoint', 'update', '--name', 'linear', '--traffic', 'blue=50 broken=50']);
    assert.notEqual(traffic.code, 0);
    assert.match(traffic.stderr, /Deployment 'broken' is Failed and serves nothing, so it cannot take traffic\. Its logs say why: stratus online-deployment get-logs -n broken -e linear/);
    assert.equal((await cli(['online-deployment', 'delete', '--name', 'broken', '--endpoint-name', 'linear'])).code, 0);
    // An error at the top of score.py is said as that, not as init().
    const code = fs.mkdtempSync(path.join(os.tmpdir(), 'stratus-import-error-'));
    fs.writeFileSync(path.join(code, 'score.py'), 'import module_that_is_not_installed\n\ndef init():\n    pass\n\ndef run(raw):\n    return raw\n');
    const bad = await cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--name', 'unimportable', '--set', `code_configuration.code=${code}`, '--no-wait', '-o', 'json']);
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(JSON.parse(bad.stdout).provisioning_state, 'Creating', '--no-wait returns at once');
    let shown2 = await client.deployments.show('linear', 'unimportable');
    for (let i = 0; i < 600 && shown2.provisioning_state === 'Creating'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      shown2 = await client.deployments.show('linear', 'unimportable');
    }
    assert.equal(shown2.provisioning_state, 'Failed');
    assert.match(String(shown2.error), /score\.py could not be imported \(an error at its top level, before init\(\)\)[^]*ModuleNotFoundError: No module named 'module_that_is_not_installed'/);
    assert.equal((await cli(['online-deployment', 'delete', '--name', 'unimportable', '--endpoint-name', 'linear'])).code, 0);
  });

  test('overload answers 429; a slow request answers 504 and the deployment keeps serving', async () => {
    await client.deployments.update('linear', 'green', { request_settings: { request_timeout_ms: 800, max_concurrent_requests_per_instance: 1 } });
    const burst = await Promise.all(Array.from({ length: 6 }, () => score({ data: [[1, 1]], sleep: 0.5 }, { 'azureml-model-deployment': 'green' })));
    const statuses = burst.map((r) => r.status);
    assert.ok(statuses.includes(429), `statuses ${statuses}`);
    assert.ok(statuses.includes(200), `statuses ${statuses}`);
    const slow = await score({ data: [[1, 1]], sleep: 3 }, { 'azureml-model-deployment': 'green' });
    assert.equal(slow.status, 504);
    assert.match(slow.json.error, /request_timeout_ms \(800 ms\)/);
    let ok = await score({ data: [[1, 1]] }, { 'azureml-model-deployment': 'green' });
    for (let i = 0; i < 50 && ok.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await score({ data: [[1, 1]] }, { 'azureml-model-deployment': 'green' });
    }
    assert.equal(ok.status, 200);
  });

  test('a worker killed under load is replaced; its request is retried', async () => {
    await client.deployments.update('linear', 'blue', { instance_count: 2 });
    const results: number[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) results.push((await score({ data: [[1, 2]] }, { 'azureml-model-deployment': 'blue' })).status);
    })();
    await new Promise((r) => setTimeout(r, 200));
    const crashed = await score({ data: [[1, 2]], crash: true }, { 'azureml-model-deployment': 'blue' });
    assert.equal(crashed.status, 502, 'a request that kills its worker twice is answered 502');
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await load;
    assert.ok(results.length > 20);
    assert.deepEqual([...new Set(results)], [200], 'the other requests all succeeded');
    assert.equal((await client.deployments.show('linear', 'blue')).workers, 2, 'the pool is back to full strength');
  });

  test('probes: a frozen worker leaves rotation, then is replaced; an init() that never ends fails the deployment', async () => {
    const probed = await cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--name', 'probed', '--set', 'instance_count=2',
      '--set', 'readiness_probe.initial_delay=0', '--set', 'readiness_probe.period=0.3', '--set', 'readiness_probe.timeout=0.3', '--set', 'readiness_probe.failure_threshold=1',
      '--set', 'liveness_probe.initial_delay=0', '--set', 'liveness_probe.period=0.5', '--set', 'liveness_probe.timeout=0.3',
      '--set', 'liveness_probe.failure_threshold=6', '--output', 'json']);
    assert.equal(probed.code, 0, probed.stderr);
    assert.equal(JSON.parse(probed.stdout).liveness_probe.failure_threshold, 6);
    const pin = { 'azureml-model-deployment': 'probed' };
    const pidsSeen = new Set<number>();
    for (let i = 0; i < 20 && pidsSeen.size < 2; i++) pidsSeen.add((await score({ data: [[1, 1]] }, pin)).json.pid);
    const frozen = [...pidsSeen][0];
    process.kill(frozen, 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, 1000));
      // Readiness has taken the frozen worker out of rotation: every request goes to the other one.
      for (let i = 0; i < 6; i++) {
        const res = await score({ data: [[1, 1]] }, pin);
        assert.equal(res.status, 200);
        assert.notEqual(res.json.pid, frozen);
      }
      let logs = '';
      for (let i = 0; i < 50 && !/replacing it/.test(logs); i++) {
        await new Promise((r) => setTimeout(r, 200));
        logs = (await client.deployments.logs('linear', 'probed', 200)).content;
      }
      assert.match(logs, /failed readiness_probe; out of rotation/);
      assert.match(logs, new RegExp(`worker ${frozen} failed liveness_probe 6 times in a row; replacing it`));
    } finally {
      try { process.kill(frozen, 'SIGCONT'); } catch { /* already replaced */ }
    }
    let workers = 0;
    for (let i = 0; i < 50 && workers !== 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      workers = (await client.deployments.show('linear', 'probed')).workers;
    }
    assert.equal(workers, 2, 'the replacement joined the pool');
    assert.equal((await cli(['online-deployment', 'delete', '--name', 'probed', '--endpoint-name', 'linear'])).code, 0);

    const stuck = await cli(['online-deployment', 'create', '--file', 'deploy-v1.yml', '--name', 'stuck', '--set', 'environment_variables.INIT_SLEEP_SECONDS=60',
      '--set', 'liveness_probe.initial_delay=1', '--set', 'liveness_probe.period=0.5', '--set', 'liveness_probe.failure_threshold=2']);
    assert.notEqual(stuck.code, 0);
    assert.match(stuck.stderr, /init\(\) did not finish within 2 s/);
    assert.equal((await client.deployments.show('linear', 'stuck')).provisioning_state, 'Failed');
    assert.equal((await cli(['online-deployment', 'delete', '--name', 'stuck', '--endpoint-name', 'linear'])).code, 0);
  });

  test('a rolling update under constant load fails no request', async () => {
    const results: number[] = [];
    let stop = false;
    const loaders = Array.from({ length: 4 }, async () => {
      while (!stop) results.push((await score({ data: [[1, 2]] })).status);
    });
    await new Promise((r) => setTimeout(r, 200));
    const upd = await cli(['online-deployment', 'update', '--name', 'blue', '--endpoint-name', 'linear', '--set', 'instance_count=1']);
    assert.equal(upd.code, 0, upd.stderr);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loaders);
    assert.ok(results.length > 50, `${results.length} requests`);
    assert.deepEqual([...new Set(results)], [200]);
    const shown = JSON.parse((await cli(['online-endpoint', 'show', '--name', 'linear', '--output', 'json'])).stdout);
    const blue = shown.deployments.find((d: any) => d.name === 'blue');
    assert.ok(blue.metrics.requests_total > 100 && blue.metrics.latency_ms.p99 > 0);
  });

  test('a failed update keeps the last good version serving, reports Failed, and survives a restart', async () => {
    const before = await client.deployments.show('linear', 'blue');
    const upd = await cli(['online-deployment', 'update', '--name', 'blue', '--endpoint-name', 'linear', '--file', 'deploy-v1.yml',
      '--set', 'model.path=./broken-model/linear-model']);
    assert.notEqual(upd.code, 0, 'update exits non-zero when the new version fails');
    assert.match(upd.stderr, /previous version keeps serving/);
    assert.match(upd.stderr, /init\(\) failed/);
    const shown = await client.deployments.show('linear', 'blue');
    assert.equal(shown.provisioning_state, 'Failed');
    assert.equal(shown.model, before.model, 'show reports the spec in force, not the failed one');
    const res = await score({ data: [[1, 2]] });
    assert.equal(res.status, 200, 'the old version still serves');
    const logs = (await client.deployments.logs('linear', 'blue', 200)).content;
    assert.match(logs, /weights.json is marked corrupt/);

    // A restart brings back the version that served, not the failed one.
    const dataDir = server.dataDir;
    await server.close();
    server = await startServer({ dataDir });
    client = new StratusClient({ baseUrl: server.url });
    let state = '';
    for (let i = 0; i < 100 && state !== 'Succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await client.deployments.show('linear', 'blue')).provisioning_state;
    }
    assert.equal(state, 'Succeeded');
    scoringUri = (await client.endpoints.show('linear')).scoring_uri;
    const after = await score({ data: [[1, 2]] });
    assert.equal(after.status, 200);
    assert.equal((await client.deployments.show('linear', 'blue')).model, before.model);
  });

  test('a script with an inference-schema declares a swagger document and gets named inputs', async () => {
    const noSchema = await fetch(scoringUri.replace(/score$/, 'swagger.json'), { headers: { authorization: `Bearer ${key}` } });
    assert.equal(noSchema.status, 404);
    assert.match((await noSchema.json()).message, /declares no schema/);
    const dep = await cli(['online-deployment', 'create', '--file', 'deploy-schema.yml']);
    assert.equal(dep.code, 0, dep.stderr);
    const pin = { 'azureml-model-deployment': 'schema' };
    const doc = await fetch(scoringUri.replace(/score$/, 'swagger.json'), { headers: { authorization: `Bearer ${key}`, ...pin } }).then((r) => r.json());
    assert.equal(doc.swagger, '2.0');
    const body = doc.paths['/score'].post.parameters[0].schema;
    assert.deepEqual(body.example, { data: [[1.0, 2.0]] });
    const res = await score({ data: [[1, 2], [3, 4]] }, pin);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, [5.5, 11.5]);
    const unauth = await fetch(scoringUri.replace(/score$/, 'swagger.json'));
    assert.equal(unauth.status, 401);
    assert.equal((await cli(['online-deployment', 'delete', '--name', 'schema', '--endpoint-name', 'linear'])).code, 0);
  });

  test('a deployment with traffic cannot be deleted; the endpoint can', async () => {
    const res = await cli(['online-deployment', 'delete', '--name', 'blue', '--endpoint-name', 'linear']);
    assert.match(res.stderr, /still receives 100% of the traffic/);
    assert.equal((await cli(['online-endpoint', 'delete', '--name', 'linear', '--yes'])).code, 0);
    assert.equal((await score({ data: [[1, 1]] })).status, 404);
  });
});

describe('probe timing', () => {
  test('readiness_probe.initial_delay delays the first readiness probe (period does not)', async () => {
    const { ProbeState } = await import('../src/serving/probes.ts');
    const { DEFAULT_PROBE } = await import('../src/specs/probe-settings.ts');
    const liveness = { ...DEFAULT_PROBE, initial_delay: 100, period: 100 };
    const readiness = { ...DEFAULT_PROBE, initial_delay: 5, period: 0.1 };
    const start = 1_000_000;
    const probe = new ProbeState(liveness, readiness, start);
    assert.equal(probe.due(start + 1000), false, 'no readiness probe before initial_delay, though period has passed');
    assert.equal(probe.due(start + 5000), true);
    probe.record(true, start + 5000);
    assert.equal(probe.due(start + 5050), false);
    assert.equal(probe.due(start + 5100), true, 'then every period');
  });
});

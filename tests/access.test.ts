/**
 * Users, roles, tokens and the audit log against a real server with accounts on: every route ×
 * every role (a route without an access mapping fails here), personal access tokens with the real
 * MLflow client and MLflow's own auth client, expiry and revocation, sign-in rate limiting, the
 * last Owner, `stratus login`, who ran a job, and the audit rows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { runCli, startServer, tempDir, waitComputeState } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';
import { listRoutes } from '../src/server/app.ts';
import { actionFor } from '../src/server/route-actions.ts';
import { actionName, ROLE_NAMES, rolesAllow, type RoleName } from '../src/access/roles.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const ADMIN_PASSWORD = 'first-admin-password-1';

function python(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(REPO, '.venv/bin/python'), ['-c', script], { env: { ...process.env, ...env } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

describe('users, roles, tokens and the audit log', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let admin: StratusClient;
  const tokens: Partial<Record<RoleName, string>> = {};
  const userOf = (role: RoleName) => role.toLowerCase().replace(/[^a-z]+/g, '-');
  const as = (token: string) => new StratusClient({ baseUrl: server.url, token });
  const fetchAs = (token: string | undefined, method: string, url: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(server.url + url, { method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers }, body });

  before(async () => {
    process.env.STRATUS_ADMIN_PASSWORD = ADMIN_PASSWORD;
    server = await startServer({ auth: { accounts: true } });
    delete process.env.STRATUS_ADMIN_PASSWORD;
    assert.deepEqual(server.initialAdmin, { username: 'admin', password: undefined }, 'the first admin comes from STRATUS_ADMIN_PASSWORD');
    admin = new StratusClient({ baseUrl: server.url, basic: { username: 'admin', password: ADMIN_PASSWORD } });
    for (const role of ROLE_NAMES) {
      await admin.users.create({ username: userOf(role), password: `${userOf(role)}-password`, roles: [role] });
      tokens[role] = String((await new StratusClient({ baseUrl: server.url, basic: { username: userOf(role), password: `${userOf(role)}-password` } }).tokens.create('tests')).token);
    }
  });
  after(async () => { await server?.close(); });

  test('every route has an access mapping, and every role gets exactly what its mapping allows', async () => {
    const routes = listRoutes(server.app).filter((r) => !r.public);
    const unmapped = [...new Set(routes.filter((r) => !actionFor(r.method, r.url)).map((r) => `${r.method} ${r.url}`))];
    assert.deepEqual(unmapped, [], 'routes without an access mapping (src/server/route-actions.ts)');
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      if (seen.has(key) || r.method === 'OPTIONS') continue;
      seen.add(key);
      const url = r.url.replace(/:\w+/g, 'nosuch').replace(/\*/g, 'nosuch');
      const action = actionFor(r.method, r.url)!;
      for (const role of ROLE_NAMES) {
        // A body that cannot be parsed: an allowed write stops at parsing, before its handler does anything.
        const res = await fetchAs(tokens[role], r.method, url, r.method === 'GET' || r.method === 'DELETE' ? undefined : '{not json');
        const text = await res.text();
        // The gate's denials (not a resource's own refusal, such as the artifact store's paths).
        const denied = res.status === 401 || (res.status === 403 && / lacks /.test(text));
        if (denied === rolesAllow([role], action)) wrong.push(`${role}: ${key} (${actionName(action)}) answered ${res.status}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('a Reader\'s write is a 403 that names the permission it lacks; no credentials, a 401', async () => {
    const res = await fetchAs(tokens.Reader, 'POST', '/api/v1/computes', JSON.stringify({ name: 'c1', type: 'amlcompute' }));
    assert.equal(res.status, 403);
    const body = await res.json() as { error_code: string; message: string };
    assert.equal(body.error_code, 'PERMISSION_DENIED');
    assert.match(body.message, /'reader' \(Reader\) lacks computes\/write\. Roles that have it: Owner, Contributor, AzureML Compute Operator/);
    assert.equal((await fetchAs(undefined, 'GET', '/api/v1/jobs')).status, 401);
    // A data scientist may not create computes, but may start one (Azure's role).
    assert.equal((await fetchAs(tokens['AzureML Data Scientist'], 'POST', '/api/v1/computes', JSON.stringify({ name: 'c1', type: 'amlcompute' }))).status, 403);
  });

  test('wrong password and unknown user answer alike; repeated failures are rate-limited', async () => {
    const login = (username: string, password: string) => fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
    const wrong = await login('reader', 'not-the-password');
    const unknown = await login('nobody-at-all', 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(await wrong.json(), await unknown.json());
    let limited: Response | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await login('contributor', 'guessing');
      if (r.status === 429) limited = r;
      else await r.arrayBuffer();
    }
    assert.ok(limited, 'the 11th failure in a row is refused');
    assert.match((await limited!.json() as { message: string }).message, /Too many failed sign-ins: try again in \d+ s/);
  });

  test('a revoked or expired token is refused at once; tokens are listed without their secrets', async () => {
    const mine = as(tokens.Contributor!);
    const t = await mine.tokens.create('short-lived', 1);
    const fresh = as(String(t.token));
    assert.ok((await fresh.jobs.list()).value);
    const listed = (await mine.tokens.list()).value;
    assert.ok(listed.some((x) => x.id === t.id));
    assert.ok(!JSON.stringify(listed).includes(String(t.token).split('_')[2]), 'no secret in the list');
    await mine.tokens.revoke(String(t.id));
    await assert.rejects(fresh.jobs.list(), /401|UNAUTHENTICATED|Authentication required/);
    const t2 = await mine.tokens.create('expiring', 1);
    await server.workspace.db.run('UPDATE access_tokens SET expires_at = ? WHERE id = ?', [Date.now() - 1, String(t2.id)]);
    await assert.rejects(as(String(t2.token)).jobs.list(), /Authentication required/);
    assert.equal((await mine.tokens.list()).value.find((x) => x.id === t2.id)?.state, 'expired');
  });

  test('the last Owner cannot be removed, demoted or deleted', async () => {
    // 'owner' holds the Owner role too: take it away, and admin is the last Owner.
    await admin.roles.unassign('user', 'owner', 'Owner');
    await assert.rejects(admin.users.delete('admin'), /without an Owner/);
    await assert.rejects(admin.roles.unassign('user', 'admin', 'Owner').then(() => admin.users.update('admin', { is_admin: false })), /without an Owner/);
    // With a second Owner, the first can step down.
    await admin.roles.assign({ principal_type: 'user', principal: 'owner', role: 'Owner' });
    const updated = await admin.users.update('admin', { is_admin: false });
    assert.equal(updated.is_admin, false);
    await as(tokens.Owner!).users.update('admin', { is_admin: true });
  });

  test('the real MLflow client with per-user tokens, MLflow\'s permissions on experiments, and MLflow\'s own auth client', async () => {
    const logged = await python(`
import mlflow
mlflow.set_experiment("alice-exp")
with mlflow.start_run() as run:
    mlflow.log_metric("m", 1.0)
print(mlflow.get_experiment_by_name("alice-exp").experiment_id)
`, { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: tokens['AzureML Data Scientist']! });
    assert.equal(logged.code, 0, logged.stderr.slice(-2000));
    const experimentId = logged.stdout.trim().split('\n').pop()!;
    // The creator got MANAGE; another user gets the default (EDIT) until the creator lowers it.
    const auth = await python(`
from mlflow.server import get_app_client
c = get_app_client("basic-auth", tracking_uri="${server.url}")
u = c.create_user("bob", "bob-password-1")
print("created", u.username, u.is_admin)
print("get", c.get_user("bob").username)
c.grant_user_permission("bob", "experiment", "${experimentId}", "READ")
r = c.get_user_permission("bob", "experiment", "${experimentId}")
print("perm", r.permission, r.allowed)
c.update_user_admin("bob", False)
`, { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD });
    assert.equal(auth.code, 0, auth.stderr.slice(-2000));
    assert.match(auth.stdout, /created bob False/);
    assert.match(auth.stdout, /perm READ False/);
    const bob = await python(`
import mlflow
mlflow.set_experiment("alice-exp")
try:
    with mlflow.start_run():
        pass
    print("wrote")
except Exception as e:
    print("refused", type(e).__name__, str(e)[:300])
print("can read", mlflow.get_experiment("${experimentId}").name)
`, { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'bob-password-1' });
    assert.equal(bob.code, 0, bob.stderr.slice(-2000));
    assert.match(bob.stdout, /refused .*PERMISSION_DENIED|refused .*Permission denied: 'bob' has READ on experiment/);
    assert.match(bob.stdout, /can read alice-exp/);
    // The legacy per-experiment API too.
    const legacy = await fetch(`${server.url}/api/2.0/mlflow/experiments/permissions/get?experiment_id=${experimentId}&username=bob`, { headers: { Authorization: `Bearer ${tokens.Owner}` } });
    assert.deepEqual((await legacy.json() as Record<string, any>).experiment_permission, { experiment_id: experimentId, user_id: (await admin.users.show('bob')).id, permission: 'READ' });
  });

  test('searches answer with what MLflow\'s permissions let the caller read, and pages stay full; bulk reads and the artifact proxy are checked', async () => {
    // Runs on the users and experiment the previous test made: alice-exp (bob: READ), and bob.
    const setup = await python(`
import mlflow
from mlflow import MlflowClient
from mlflow.server import get_app_client
c = MlflowClient()
runs = {}
for name in ["open-a", "secret-b", "open-c"]:
    mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
        mlflow.log_text("hello", "note.txt")
    runs[name] = run.info
    runs[name].logged_model = mlflow.initialize_logged_model(name="lm").model_id
    c.create_registered_model(name)
    c.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
auth = get_app_client("basic-auth", tracking_uri="${server.url}")
auth.grant_user_permission("bob", "experiment", c.get_experiment_by_name("secret-b").experiment_id, "NO_PERMISSIONS")
auth.grant_user_permission("bob", "registered_model", "secret-b", "NO_PERMISSIONS")
for name in ["open-a", "secret-b"]:
    print(name, runs[name].run_id, runs[name].artifact_uri, runs[name].logged_model)
print(c.get_experiment_by_name("secret-b").experiment_id)
`, { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD });
    assert.equal(setup.code, 0, setup.stderr.slice(-2000));
    const lines = setup.stdout.trim().split('\n');
    const secret = lines.pop()!;
    const runOf = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(' ').slice(1) as [string, string, string];
    const bob = await python(`
import mlflow
from mlflow import MlflowClient
c = MlflowClient()
print("experiments", sorted(e.name for e in c.search_experiments(filter_string="name LIKE '%-%'")))
first = c.search_experiments(max_results=1, filter_string="name LIKE '%-_'", order_by=["name DESC"])
print("first page", [e.name for e in first], bool(first.token))
print("runs", len(c.search_runs(["${secret}"])))
print("models", sorted(m.name for m in c.search_registered_models()))
print("versions", sorted(v.name for v in c.search_model_versions()))
try:
    c.get_experiment("${secret}")
    print("read it")
except Exception as e:
    print("refused", type(e).__name__)
`, { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'bob-password-1' });
    assert.equal(bob.code, 0, bob.stderr.slice(-2000));
    assert.match(bob.stdout, /experiments \['alice-exp', 'open-a', 'open-c'\]/);
    // Ordered by name descending, secret-b would be first: the page is filled from the readable ones.
    assert.match(bob.stdout, /first page \['open-c'\] True/);
    assert.match(bob.stdout, /runs 0/);
    assert.match(bob.stdout, /models \['open-a', 'open-c'\]/);
    assert.match(bob.stdout, /versions \['open-a', 'open-c'\]/);
    assert.match(bob.stdout, /refused RestException/);
    // Reads that name several runs need READ on every one's experiment.
    const bobFetch = (url: string) => fetch(server.url + url, { headers: { Authorization: `Basic ${Buffer.from('bob:bob-password-1').toString('base64')}` } });
    const [openRun, openUri, openModel] = runOf('open-a');
    const [secretRun, secretUri, secretModel] = runOf('secret-b');
    assert.equal((await bobFetch(`/api/2.0/mlflow/logged-models/${openModel}`)).status, 200);
    assert.equal((await bobFetch(`/api/2.0/mlflow/logged-models/${secretModel}`)).status, 403);
    assert.equal((await bobFetch(`/api/2.0/mlflow/metrics/get-history-bulk?run_id=${openRun}&metric_key=m`)).status, 200);
    assert.equal((await bobFetch(`/api/2.0/mlflow/metrics/get-history-bulk?run_id=${openRun}&run_id=${secretRun}&metric_key=m`)).status, 403);
    assert.equal((await bobFetch(`/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${secretRun}&metric_key=m`)).status, 403);
    // The artifact proxy: a path inside the experiment's folder is checked against the experiment.
    const proxyPath = (uri: string) => uri.replace(/^mlflow-artifacts:\/+/, '');
    assert.equal(await (await bobFetch(`/api/2.0/mlflow-artifacts/artifacts/${proxyPath(openUri)}/note.txt`)).text(), 'hello');
    assert.equal((await bobFetch(`/api/2.0/mlflow-artifacts/artifacts/${proxyPath(secretUri)}/note.txt`)).status, 403);
    assert.equal((await bobFetch(`/api/2.0/mlflow-artifacts/artifacts?path=${proxyPath(secretUri).split('/')[0]}`)).status, 403);
    // An Owner still sees everything.
    const all = await (await fetchAs(tokens.Owner, 'GET', '/api/2.0/mlflow/registered-models/search')).json() as { registered_models: { name: string }[] };
    assert.ok(all.registered_models.some((m) => m.name === 'secret-b'));
  });

  test('a compute instance is personal: only its user opens its Jupyter, and its kernels run with that user\'s own token', async () => {
    const scientist = userOf('AzureML Data Scientist');
    const ds = as(tokens['AzureML Data Scientist']!);
    await assert.rejects(admin.computes.create({ name: 'nobodys-box', type: 'computeinstance', create_on_behalf_of: { user_object_id: 'nobody' } }), /no user 'nobody'/);
    // A Data Scientist may not create computes (Azure's role): an admin creates one on their behalf.
    await admin.computes.create({ name: 'ds-box', type: 'computeinstance', create_on_behalf_of: { user_object_id: scientist } });
    const c = await waitComputeState(admin, 'ds-box', ['Running', 'Failed'], 900_000);
    assert.equal(c.state, 'Running', c.state_reason);
    assert.deepEqual(c.create_on_behalf_of, { user_object_id: scientist });
    const status = (role: RoleName) => fetchAs(tokens[role], 'GET', '/compute-instances/ds-box/jupyter/api/status');
    assert.equal((await status('AzureML Data Scientist')).status, 200);
    for (const other of ['Contributor', 'Owner'] as const) {
      const r = await status(other);
      assert.equal(r.status, 403, other);
      assert.match(await r.text(), new RegExp(`assigned to '${scientist}'`));
    }
    // Kernel WebSockets are refused to another user too.
    const upgrade = (token: string) => new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/compute-instances/ds-box/jupyter/api/events/subscribe`, {
        headers: { Authorization: `Bearer ${token}`, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode!); });
      req.on('response', (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      req.end();
    });
    assert.equal(await upgrade(tokens.Contributor!), 403);
    assert.equal(await upgrade(tokens['AzureML Data Scientist']!), 101);
    // Saves, renames and deletes through Jupyter's contents API are recorded as the user's, as the files API's are.
    const contents = (method: string, file: string, body?: unknown) =>
      fetchAs(tokens['AzureML Data Scientist'], method, `/compute-instances/ds-box/jupyter/api/contents/${file}`, body === undefined ? undefined : JSON.stringify(body));
    const notebook = { type: 'notebook', format: 'json', content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 } };
    assert.equal((await contents('PUT', 'Users/ds%20notes.ipynb', notebook)).status, 201);
    const authorOf = async (name: string) => (await admin.files.list('Users')).files.find((f) => f.path === name);
    assert.equal((await authorOf('ds notes.ipynb'))?.created_by, scientist);
    assert.equal((await contents('PATCH', 'Users/ds%20notes.ipynb', { path: 'Users/renamed.ipynb' })).status, 200);
    assert.equal((await authorOf('renamed.ipynb'))?.modified_by, scientist);
    assert.equal((await contents('DELETE', 'Users/renamed.ipynb')).status, 204);
    assert.equal(await authorOf('renamed.ipynb'), undefined);
    // Jupyter, and so every kernel it starts, holds the user's own token, not a shared credential.
    const row = await server.workspace.db.get<{ pid: number }>('SELECT pid FROM managed_computes WHERE name = ?', ['ds-box']);
    const environ = fs.readFileSync(`/proc/${row!.pid}/environ`, 'utf8').split('\0');
    const kernelToken = environ.find((e) => e.startsWith('MLFLOW_TRACKING_TOKEN='))!.slice('MLFLOW_TRACKING_TOKEN='.length);
    const me = async () => fetchAs(kernelToken, 'GET', '/api/v1/auth/me');
    assert.equal((await (await me()).json() as { username: string }).username, scientist);
    // Stopping the instance revokes it.
    await ds.computes.stop('ds-box');
    await waitComputeState(admin, 'ds-box', ['Stopped'], 120_000);
    assert.equal((await me()).status, 401);
    await admin.computes.delete('ds-box');
  });

  test('jobs record who submitted them; stratus login saves a token; the audit log shows writes and denials, never a password', async () => {
    const config = tempDir('stratus-config-');
    const env = { STRATUS_CONFIG_DIR: config, STRATUS_TOKEN: '', MLFLOW_TRACKING_TOKEN: '' };
    const login = await runCli(['login', '-u', 'azureml-data-scientist', '--password', 'azureml-data-scientist-password'], { url: server.url, env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Signed in to .* as azureml-data-scientist/);
    // The job's code runs with its submitter's own token (not a shared one), revoked when it ends.
    const whoami = "import os, json, urllib.request as u; r = u.Request(os.environ['MLFLOW_TRACKING_URI'] + '/api/v1/auth/me', headers={'Authorization': 'Bearer ' + os.environ['MLFLOW_TRACKING_TOKEN']}); print('whoami', json.load(u.urlopen(r))['username'])";
    const ds = as(tokens['AzureML Data Scientist']!);
    const created = await ds.jobs.create({
      type: 'command', command: `python3 -c "${whoami}"`, tags: {}, experiment_name: 'who', environment: { kind: 'host' }, environment_variables: {}, inputs: {}, outputs: {}, compute: 'local', notes: [],
    });
    assert.equal((created.creation_context as Record<string, string>).created_by, 'azureml-data-scientist');
    for (let i = 0; i < 300 && !['Completed', 'Failed', 'Canceled'].includes(String((await ds.jobs.get(String(created.name))).status)); i++) await new Promise((r) => setTimeout(r, 200));
    const ended = await ds.jobs.get(String(created.name));
    assert.equal(ended.status, 'Completed', JSON.stringify(ended.error));
    const logs = await ds.jobs.logs(String(created.name), { stdout: 0, stderr: 0, build: 0 });
    assert.match(logs.stdout.data, /whoami azureml-data-scientist/);
    let jobToken;
    for (let i = 0; i < 50; i++) {
      jobToken = (await ds.tokens.list()).value.find((t) => t.name === `job ${created.name}`);
      if (jobToken?.state === 'revoked') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(jobToken?.state, 'revoked', 'the job\'s token ends with the job');
    // Notebooks on the share and computes record who made them too.
    await ds.files.upload('Users/ds/who.py', 'print(1)\n');
    await as(tokens.Contributor!).files.upload('Users/ds/who.py', 'print(2)\n');
    const file = (await ds.files.list('Users/ds')).files.find((f) => f.path === 'who.py');
    assert.deepEqual([file?.created_by, file?.modified_by], ['azureml-data-scientist', 'contributor']);
    const compute = await as(tokens['AzureML Compute Operator']!).computes.create({ name: 'op-pool', type: 'amlcompute' } as never);
    assert.equal((compute as Record<string, unknown>).created_by, 'azureml-compute-operator');
    const mine = await runCli(['job', 'list', '--created-by', 'azureml-data-scientist', '-o', 'json'], { url: server.url, env });
    assert.equal(mine.code, 0, mine.stderr);
    assert.ok(JSON.parse(mine.stdout).some((j: { name: string }) => j.name === created.name));
    assert.equal((await runCli(['logout'], { url: server.url, env })).code, 0);
    assert.notEqual((await runCli(['job', 'list'], { url: server.url, env })).code, 0, 'the saved token was revoked and forgotten');

    const audit = await as(tokens.Owner!).audit.list({ since: '1h', max_results: '1000' });
    const rows = audit.value;
    assert.ok(rows.some((r) => r.user === 'azureml-data-scientist' && r.action === 'jobs/write' && r.route === '/api/v1/jobs' && r.outcome === 'allowed'));
    assert.ok(rows.some((r) => r.user === 'reader' && r.outcome === 'denied' && r.status === 403));
    assert.ok(rows.some((r) => r.action === 'self/sign-in' && r.outcome === 'denied'));
    const text = JSON.stringify(rows);
    for (const secret of [ADMIN_PASSWORD, 'azureml-data-scientist-password', 'bob-password-1']) assert.ok(!text.includes(secret), 'no password in the audit log');
    const cli = await runCli(['audit', 'list', '--user', 'reader', '--outcome', 'denied', '-o', 'json'], { url: server.url, env: { STRATUS_TOKEN: tokens.Owner! } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).every((r: { user: string; outcome: string }) => r.user === 'reader' && r.outcome === 'denied'));
    assert.equal((await fetchAs(tokens.Contributor, 'GET', '/api/v1/audit')).status, 403, 'only Owners read the audit log');
  });
});

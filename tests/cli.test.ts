/** The stratus CLI against a real workspace, through the typed client. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, runCli, startServer } from './helpers.ts';
import { buildProgram } from '../src/cli/program.ts';
import { leafCommands } from '../src/cli/az-globals.ts';

const stratus = (args: string[], env: Record<string, string>) => runCli(args, { env });

describe('stratus CLI', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let runId: string;
  before(async () => {
    server = await startServer();
    const exp = (await api(server.url, 'POST', '/experiments/create', { name: 'cli-exp' })).json.experiment_id;
    runId = (await api(server.url, 'POST', '/runs/create', { experiment_id: exp, run_name: 'first' })).json.run.info.run_id;
    await api(server.url, 'POST', '/runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'acc', value: 0.93, timestamp: 1, step: 0 }],
      params: [{ key: 'lr', value: '0.1' }],
    });
  });
  after(async () => { await server.close(); });

  test('experiment list as table and json', async () => {
    const table = await stratus(['experiment', 'list'], { STRATUS_URL: server.url });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+NAME/m);
    assert.match(table.stdout, /cli-exp/);
    const json = await stratus(['experiment', 'list', '--output', 'json'], { STRATUS_URL: server.url });
    const list = JSON.parse(json.stdout);
    assert.ok(list.some((e: any) => e.name === 'cli-exp' && e.lifecycle_stage === 'active'));
  });

  test('experiment show by name, with --query', async () => {
    const res = await stratus(['experiment', 'show', 'cli-exp', '--query', 'artifact_location'], { STRATUS_URL: server.url });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout.trim(), /^mlflow-artifacts:\/\d+$/);
  });

  test('run list and run show', async () => {
    const list = await stratus(['run', 'list', '--experiment', 'cli-exp', '--filter', 'metrics.acc > 0.9', '--output', 'json'], { STRATUS_URL: server.url });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((r: any) => r.info.run_id), [runId]);
    const show = await stratus(['run', 'show', runId], { STRATUS_URL: server.url });
    assert.match(show.stdout, /params\.lr\s+0\.1/);
    assert.match(show.stdout, /metrics\.acc\s+0\.93/);
    const status = await stratus(['run', 'show', runId, '--query', 'info.status'], { STRATUS_URL: server.url });
    assert.equal(status.stdout.trim(), 'RUNNING');
  });

  test('a missing run exits 4 with the server message', async () => {
    const res = await stratus(['run', 'show', 'nope'], { STRATUS_URL: server.url });
    assert.equal(res.code, 4);
    assert.match(res.stderr, /RESOURCE_DOES_NOT_EXIST/);
  });

  test('says clearly when no server is running', async () => {
    const res = await stratus(['experiment', 'list'], { STRATUS_URL: 'http://127.0.0.1:9' });
    assert.equal(res.code, 3);
    assert.match(res.stderr, /No Stratus workspace is answering at http:\/\/127\.0\.0\.1:9/);
    assert.match(res.stderr, /stratus up/);
  });

  test('az habits: JMESPath --query, every -o format, -g/-w/--subscription accepted, -n for show', async () => {
    const env = { STRATUS_URL: server.url };
    const names = await stratus(['experiment', 'list', '--query', "[?name=='cli-exp'].name", '-o', 'tsv', '-g', 'my-rg', '-w', 'my-ws', '--subscription', 'sub-1'], env);
    assert.equal(names.code, 0, names.stderr);
    assert.equal(names.stdout, 'cli-exp\n');
    const yaml = await stratus(['run', 'show', '-n', runId, '-o', 'yaml', '--query', 'info.{id: run_id, status: status}'], env);
    assert.equal(yaml.stdout, `id: ${runId}\nstatus: RUNNING\n`);
    const tsv = await stratus(['experiment', 'show', '--name', 'cli-exp', '--query', '{name: name, stage: lifecycle_stage}', '-o', 'tsv'], env);
    assert.equal(tsv.stdout, 'cli-exp\tactive\n');
    const none = await stratus(['experiment', 'list', '-o', 'none'], env);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    const jsonc = await stratus(['run', 'show', '--run-id', runId, '-o', 'jsonc', '--query', 'data.params'], env);
    assert.deepEqual(JSON.parse(jsonc.stdout), [{ key: 'lr', value: '0.1' }], 'not a terminal: plain JSON');
    const bad = await stratus(['experiment', 'list', '--query', '[?name=='], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--query '\[\?name==' is not a JMESPath expression/);
    const twice = await stratus(['run', 'show', runId, '-n', 'other'], env);
    assert.match(twice.stderr, /give the run once/);
  });

  test('every command has a description and takes what az takes on every command', () => {
    for (const cmd of leafCommands(buildProgram())) {
      const name = `${cmd.parent?.name()} ${cmd.name()}`;
      if (cmd.name() === 'up' || cmd.name() === 'help') continue;
      assert.ok(cmd.description(), `${name} has a description`);
      for (const long of ['--output', '--query', '--resource-group', '--workspace-name', '--subscription']) {
        assert.ok(cmd.options.some((o) => o.long === long), `${name} takes ${long}`);
      }
    }
  });

  test('up on a busy port says what to do', async () => {
    const port = new URL(server.url).port;
    const res = await stratus(['up', '--port', port, '--data-dir', `${server.dataDir}-second`], {});
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is in use .*stratus up --port ${Number(port) + 1}.*STRATUS_URL`));
  });

  test('up refuses a public host without auth', async () => {
    const res = await stratus(['up', '--host', '0.0.0.0', '--port', '0', '--data-dir', server.dataDir], { STRATUS_AUTH_TOKEN: '' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Refusing to listen on 0\.0\.0\.0/);
  });
});

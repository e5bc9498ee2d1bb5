/** Environments, data and model assets, computes and the v1 OpenAPI document, through the CLI. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';


describe('assets and computes', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  let work: string;
  const cli = (args: string[], cwd = work) => runCli(args, { url: server.url, cwd });
  const json = async (args: string[]) => {
    const res = await cli([...args, '--output', 'json']);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  const runJob = async (yaml: string) => {
    fs.writeFileSync(path.join(work, 'job.yml'), yaml);
    const res = await cli(['job', 'create', '--file', 'job.yml', '--stream']);
    return res;
  };

  before(async () => {
    server = await startServer();
    client = new StratusClient({ baseUrl: server.url });
    work = tempDir('stratus-assets-');
    fs.mkdirSync(path.join(work, 'table'));
    fs.writeFileSync(path.join(work, 'iris.csv'), 'sepal,label\n5.1,a\n4.9,b\n');
    fs.writeFileSync(path.join(work, 'table', 'part1.csv'), 'x\n1\n');
    fs.writeFileSync(path.join(work, 'table', 'part2.csv'), 'x\n2\n');
    fs.writeFileSync(path.join(work, 'table', 'MLTable'), 'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n      header: all_files_same_headers\n');
  });
  after(async () => { await server.close(); });

  test('data assets: versioned, immutable, usable as job inputs by version and @latest', async () => {
    const v1 = await json(['data', 'create', '--name', 'iris', '--path', 'iris.csv', '--type', 'uri_file']);
    assert.equal(v1.version, '1');
    fs.writeFileSync(path.join(work, 'data.yml'), 'name: iris\nversion: 7\ntype: uri_file\npath: ./iris.csv\ndescription: pinned\n');
    const v7 = await json(['data', 'create', '--file', 'data.yml']);
    assert.equal(v7.version, '7');
    const again = await cli(['data', 'create', '--file', 'data.yml']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /RESOURCE_ALREADY_EXISTS: Data asset iris:7 already exists and is immutable/);
    const wrongType = await cli(['data', 'create', '--name', 'bad', '--path', 'table', '--type', 'uri_file']);
    assert.match(wrongType.stderr, /must be a single file/);

    const res = await runJob('command: cat ${{inputs.a}} && cat ${{inputs.b}}\ninputs:\n  a: {type: uri_file, path: "azureml:iris:1"}\n  b: {type: uri_file, path: "azureml:iris@latest"}\n');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.split('5.1,a').length - 1, 2);
    const dl = tempDir();
    assert.equal((await cli(['data', 'download', '--name', 'iris', '--version', '7', '--download-path', dl])).code, 0);
    assert.equal(fs.readFileSync(path.join(dl, 'iris-7', 'iris.csv'), 'utf8'), fs.readFileSync(path.join(work, 'iris.csv'), 'utf8'));
  });

  test('mltable folders are read: paths and read_delimited', async () => {
    const t = await json(['data', 'create', '--name', 'parts', '--path', 'table', '--type', 'mltable']);
    const shown = await json(['data', 'show', '--name', 'parts', '--version', t.version]);
    assert.deepEqual(shown.mltable.files.sort(), ['part1.csv', 'part2.csv']);
    assert.equal(shown.mltable.read_delimited.delimiter, ',');
    fs.mkdirSync(path.join(work, 'broken'));
    fs.writeFileSync(path.join(work, 'broken', 'MLTable'), 'paths:\n  - file: ./missing.csv\n');
    const bad = await cli(['data', 'create', '--name', 'broken', '--path', 'broken', '--type', 'mltable']);
    assert.match(bad.stderr, /MLTable path '.\/missing.csv' does not exist/);
  });

  test('registered environments run jobs; unknown ones are a clear error', async () => {
    fs.writeFileSync(path.join(work, 'env.yml'), 'name: plain\nimage: python:3.11\ndescription: host python\n');
    const env = await json(['environment', 'create', '--file', 'env.yml']);
    assert.equal(env.id, 'azureml:plain:1');
    const res = await runJob('command: echo from-registered-env\nenvironment: azureml:plain@latest\n');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /from-registered-env/);
    // The curated environments are listed and shown, with Azure's pins and where they differ.
    const curated = await json(['environment', 'list', '--registry-name', 'azureml']);
    assert.ok(curated.every((e: any) => e.curated === true) && curated.some((e: any) => e.name === 'AzureML-sklearn-1.5'), JSON.stringify(curated.map((e: any) => e.name)));
    assert.ok((await json(['environment', 'list'])).some((e: any) => e.name === 'plain') && (await json(['environment', 'list'])).some((e: any) => e.name === 'AzureML-sklearn-1.5'));
    const sklearn = await json(['environment', 'show', '-n', 'AzureML-sklearn-1.5', '--registry-name', 'azureml', '-l', 'latest']);
    for (const pin of ['pandas~=1.5.3', 'scipy~=1.10.0', 'scikit-learn~=1.5.0', 'joblib~=1.2.0']) assert.ok(sklearn.conda_file.includes(`- ${pin}\n`), `${pin} in ${sklearn.conda_file}`);
    assert.ok(sklearn.notes.some((n: string) => /numpy~=1\.23\.5 where Azure pins numpy~=1\.22\.0/.test(n)), JSON.stringify(sklearn.notes));
    const misspelt = await cli(['environment', 'show', '-n', 'AzureML-sklearn-1.55']);
    assert.match(misspelt.stderr, /Did you mean 'AzureML-sklearn-1\.5'\? Curated environments: AzureML-sklearn-1\.5, AzureML-sklearn-1\.0, AzureML-lightgbm-3\.3, stratus-notebook/);
    const missing = await runJob('command: echo\nenvironment: azureml:nope:1\n');
    assert.match(missing.stderr, /Environment 'azureml:nope:1' is not registered.*stratus environment create/);
  });

  test('models: from a job output, visible to MLflow, with lineage; downloadable', async () => {
    const res = await runJob('command: echo weights > ${{outputs.model}}/model.bin\noutputs:\n  model: {type: custom_model}\n');
    assert.equal(res.code, 0, res.stderr);
    const job = (await client.jobs.list()).value[0];
    const m = await json(['model', 'create', '--name', 'clf', '--path', `azureml://jobs/${job.name}/outputs/model`, '--type', 'custom_model']);
    assert.equal(m.version, '1');
    assert.equal(m.job_name, job.name);
    assert.equal(m.run_id, job.properties['mlflow.run_id']);
    const mlflowView = await api(server.url, 'GET', '/model-versions/get?name=clf&version=1');
    assert.equal(mlflowView.status, 200);
    assert.equal(mlflowView.json.model_version.run_id, job.properties['mlflow.run_id']);
    const dl = tempDir();
    assert.equal((await cli(['model', 'download', '--name', 'clf', '--version', '1', '--download-path', dl])).code, 0);
    assert.equal(fs.readFileSync(path.join(dl, 'clf', '1', 'model.bin'), 'utf8').trim(), 'weights');

    // From a local folder: uploaded, then registered.
    fs.mkdirSync(path.join(work, 'local-model'), { recursive: true });
    fs.writeFileSync(path.join(work, 'local-model', 'weights.txt'), 'local weights');
    fs.writeFileSync(path.join(work, 'local-model', 'big.bin'), Buffer.alloc(9 * 1024 * 1024, 7));
    const uploaded = await cli(['model', 'create', '--name', 'local-clf', '--path', 'local-model', '--output', 'json']);
    assert.equal(uploaded.code, 0, uploaded.stderr);
    // Not a terminal: progress as plain lines on stderr, the last one at 100%.
    assert.match(uploaded.stderr, /Uploading path local-model: 9\.0 of 9\.0 MB \(100%\)\n/);
    const local = JSON.parse(uploaded.stdout);
    assert.equal(local.version, '1');
    const dlLocal = tempDir();
    assert.equal((await cli(['model', 'download', '--name', 'local-clf', '--version', '1', '--download-path', dlLocal])).code, 0);
    assert.equal(fs.readFileSync(path.join(dlLocal, 'local-clf', '1', 'weights.txt'), 'utf8'), 'local weights');

    const wrongVersion = await cli(['model', 'create', '--name', 'clf', '--version', '5', '--path', `azureml://jobs/${job.name}/outputs/model`]);
    assert.match(wrongVersion.stderr, /the next version of 'clf' is 2/);
    const notMlflow = await cli(['model', 'create', '--name', 'clf', '--path', `azureml://jobs/${job.name}/outputs/model`, '--type', 'mlflow_model']);
    assert.match(notMlflow.stderr, /no MLmodel file/);

    // The other face: a version registered through the MLflow API is a model asset.
    const run = (await api(server.url, 'POST', '/runs/create', { experiment_id: '0' })).json.run.info;
    await api(server.url, 'POST', '/registered-models/create', { name: 'from-mlflow' });
    await api(server.url, 'POST', '/model-versions/create', { name: 'from-mlflow', source: `${run.artifact_uri}/model`, run_id: run.run_id });
    const listed = await json(['model', 'list']);
    assert.ok(listed.some((a: any) => a.name === 'from-mlflow' && a.version === '1'));
    const archived = await json(['model', 'archive', '--name', 'clf', '--version', '1']);
    assert.equal(archived.stage, 'Archived');
  });

  test('computes: a pool of one runs one job at a time, the next waits in Queued', async () => {
    const c = await json(['compute', 'create', '--name', 'solo', '--max-instances', '1']);
    assert.equal(c.max_instances, 1);
    const spec = (name: string) => ({
      type: 'command' as const, name, command: 'sleep 1', tags: {}, experiment_name: 'pool', environment: { kind: 'host' as const },
      environment_variables: {}, inputs: {}, outputs: {}, compute: 'solo', notes: [],
    });
    await client.jobs.create(spec('pool-a'));
    await client.jobs.create(spec('pool-b'));
    let sawQueuedWhileRunning = false;
    for (;;) {
      const [a, b] = await Promise.all([client.jobs.get('pool-a'), client.jobs.get('pool-b')]);
      if (a.status === 'Running' && b.status === 'Queued') sawQueuedWhileRunning = true;
      assert.ok(!(a.status === 'Running' && b.status === 'Running'), 'never two at once');
      if (b.status === 'Completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(sawQueuedWhileRunning);
    const list = await json(['compute', 'list']);
    assert.deepEqual(list.map((x: any) => x.name).sort(), ['batch-cluster', 'cpu-cluster', 'local', 'solo']);
  });

  test('the v1 OpenAPI document lists the routes', async () => {
    const doc = await fetch(`${server.url}/api/v1/openapi.json`).then((r) => r.json());
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/api/v1/jobs', '/api/v1/jobs/{name}/cancel', '/api/v1/data', '/api/v1/models/{name}/versions/{version}', '/api/v1/computes']) {
      assert.ok(doc.paths[p], p);
    }
  });
});

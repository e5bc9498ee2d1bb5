/** Environments: conda files read as pip requirements, venvs built once and cached by content hash. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { condaToPip, readCondaSpec } from '../src/environments/conda.ts';
import { choosePython } from '../src/environments/builder.ts';
import { mlflowModelEnvironment } from '../src/environments/mlflow-model.ts';
import { curatedName } from '../src/specs/command-job.ts';
import { StratusClient } from '../src/client/index.ts';
import { startServer, tempDir } from './helpers.ts';

describe('conda files', () => {
  test('conda pins become pip pins; pip, python and conda-only packages are handled', () => {
    const spec = readCondaSpec([
      'name: train',
      'channels: [conda-forge]',
      'dependencies:',
      '  - python=3.11',
      '  - pip=23.0',
      '  - numpy=2.3.1',
      '  - scikit-learn=1.7.0',
      '  - pandas>=2',
      '  - conda-forge::scipy=1.13',
      '  - cudatoolkit=11.8',
      '  - pip:',
      '    - mlflow==3.17.2',
      '    - azureml-mlflow',
    ].join('\n'));
    assert.equal(spec.python, '3.11');
    assert.deepEqual(spec.requirements, ['numpy==2.3.1', 'scikit-learn==1.7.0', 'pandas>=2', 'scipy==1.13.*', 'mlflow==3.17.2', 'azureml-mlflow']);
    assert.ok(spec.warnings.some((w) => /cudatoolkit=11\.8.*no pip equivalent/.test(w)));
    assert.ok(spec.warnings.some((w) => /channels/.test(w)));
    assert.equal(condaToPip('numpy=1.26.4=py311h64a7726_0'), 'numpy==1.26.4');
  });

  test('an MLflow model is scored in the environment of its conda file, as Azure ML builds it', () => {
    const model = tempDir('stratus-mlmodel-');
    fs.writeFileSync(path.join(model, 'MLmodel'), 'flavors:\n  python_function:\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n    loader_module: mlflow.sklearn\n');
    fs.writeFileSync(path.join(model, 'conda.yaml'), 'channels: [conda-forge]\ndependencies:\n- python=3.8.18\n- pip<=23.3\n- pip:\n  - mlflow==2.9.2\n  - cloudpickle==2.2.1\n  - scikit-learn==1.2.2\nname: mlflow-env\n');
    fs.writeFileSync(path.join(model, 'requirements.txt'), 'mlflow==2.9.2\nscikit-learn==9.9.9\n');
    const spec = mlflowModelEnvironment(model);
    assert.equal(spec.python, '3.8');
    assert.deepEqual(spec.requirements, ['mlflow==2.9.2', 'cloudpickle==2.2.1', 'scikit-learn==1.2.2', 'numpy<2'], 'the conda file, not requirements.txt; numpy held below 2 for a scikit-learn built before it');
    assert.ok(spec.warnings.some((w) => /scikit-learn==1\.2\.2 was built before NumPy 2/.test(w)), JSON.stringify(spec.warnings));
    // An older model names its conda file directly; a model without one falls back to requirements.txt.
    fs.writeFileSync(path.join(model, 'MLmodel'), 'flavors:\n  python_function:\n    env: conda.yaml\n');
    assert.equal(mlflowModelEnvironment(model).python, '3.8');
    fs.rmSync(path.join(model, 'conda.yaml'));
    assert.deepEqual(mlflowModelEnvironment(model).requirements, ['mlflow==2.9.2', 'scikit-learn==9.9.9']);
  });

  test('a Python version the host lacks gets the closest one, with a warning', () => {
    const warnings: string[] = [];
    const exe = choosePython('3.2', warnings);
    assert.match(exe, /^python3(\.\d+)?$/);
    assert.match(warnings[0], /Python 3\.2 is not installed on this host; using Python 3\.\d+/);
  });

  test('curated sklearn-1.5 in all its spellings', () => {
    for (const ref of ['azureml:AzureML-sklearn-1.5@latest', 'azureml:AzureML-sklearn-1.5:3', 'AzureML-sklearn-1.5',
      'azureml://registries/azureml/environments/sklearn-1.5/labels/latest', 'azureml://registries/azureml/environments/sklearn-1.5/versions/7']) {
      assert.equal(curatedName(ref), 'sklearn-1.5', ref);
    }
    assert.equal(curatedName('azureml:my-env:1'), undefined);
    // The other CPU curated names Azure's samples use, with the image named too as older samples do.
    assert.equal(curatedName('azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest'), 'sklearn-1.0');
    assert.equal(curatedName('azureml:AzureML-lightgbm-3.3@latest'), 'lightgbm-3.3');
  });
});

describe('environment cache', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: StratusClient;
  const cache = tempDir('stratus-envcache-');
  before(async () => {
    const previous = process.env.STRATUS_ENV_CACHE;
    process.env.STRATUS_ENV_CACHE = cache;
    server = await startServer();
    process.env.STRATUS_ENV_CACHE = previous;
    client = new StratusClient({ baseUrl: server.url });
  });
  after(async () => { await server.close(); });

  const conda = 'dependencies:\n  - python=3.11\n  - pip:\n    - six==1.16.0\n';
  const spec = (name: string) => ({
    type: 'command' as const, name, command: 'python -c "import six; print(six.__version__)"', tags: {}, experiment_name: 'envs',
    environment: { kind: 'inline' as const, image: 'python:3.11', conda }, environment_variables: {}, inputs: {}, outputs: {}, compute: 'local', notes: [],
  });

  async function finish(name: string) {
    for (;;) {
      const j = await client.jobs.get(name);
      if (['Completed', 'Failed', 'Canceled'].includes(j.status)) return j;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('the first job builds the venv, the second finds it in the cache', async () => {
    await client.jobs.create(spec('env-first'));
    const first = await finish('env-first');
    assert.equal(first.status, 'Completed', JSON.stringify(first.error));
    const firstLogs = await client.jobs.logs('env-first', { stdout: 0, stderr: 0, build: 0 });
    assert.match(firstLogs.build.data, /pip install/);
    assert.match(firstLogs.build.data, /environment ready/);
    assert.equal(firstLogs.stdout.data.trim(), '1.16.0');
    const built = fs.readdirSync(cache).filter((f) => !f.endsWith('.log'));
    assert.equal(built.length, 1);

    await client.jobs.create(spec('env-second'));
    const second = await finish('env-second');
    assert.equal(second.status, 'Completed');
    const logs = await client.jobs.logs('env-second', { stdout: 0, stderr: 0, build: 0 });
    assert.match(logs.build.data, /found in the cache: no build needed/);
    assert.doesNotMatch(logs.build.data, /pip install/);
    assert.ok(fs.existsSync(path.join(cache, `${built[0]}.build.log`)), 'the build log is kept');
  });

  test('a build that fails says pip\'s own reason in the job\'s error', async () => {
    const broken = { ...spec('env-broken'), environment: { kind: 'inline' as const, image: 'python:3.11', conda: 'dependencies:\n  - pip:\n    - stratus-no-such-package==9.9.9\n' } };
    await client.jobs.create(broken);
    const job = await finish('env-broken');
    assert.equal(job.status, 'Failed');
    assert.match(job.error!.message, /Environment build failed:\nERROR: (Could not find a version that satisfies the requirement stratus-no-such-package==9\.9\.9|No matching distribution found for stratus-no-such-package==9\.9\.9)/);
  });
});

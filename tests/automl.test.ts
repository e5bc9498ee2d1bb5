/**
 * AutoML jobs (`type: automl`) in Azure ML's YAML, searched by the real FLAML in the curated
 * stratus-automl environment: a classification and a regression dataset that scikit-learn ships
 * (as MLTable folders the test writes) reach sensible scores within their limits; every trial is
 * a child MLflow run; job show has the leaderboard; the best model is an MLflow model output that
 * registers as a model. Bad input is refused before anything runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';
import { chromium } from 'playwright-core';

const REPO = path.resolve(import.meta.dirname, '..');
let server: Awaited<ReturnType<typeof startServer>>;
let client: StratusClient;
let work: string;
const cli = (args: string[]) => runCli(args, { url: server.url, cwd: work });

/** A dataset scikit-learn ships, written as an MLTable folder (a CSV and its MLTable file). */
function mltable(folder: string, loader: string, target: string, rows?: [number, number]): void {
  fs.mkdirSync(path.join(work, folder), { recursive: true });
  execFileSync(path.join(REPO, '.venv/bin/python'), ['-c', `
import sklearn.datasets as d
frame = d.${loader}(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
frame = frame.rename(columns={"target": "${target}"})
${rows ? `frame = frame.iloc[${rows[0]}:${rows[1]}]` : ''}
if "${target}" == "diagnosis":
    frame["diagnosis"] = frame["diagnosis"].map({0: "malignant", 1: "benign"})
frame.to_csv("${folder}/data.csv", index=False)
`], { cwd: work });
  fs.writeFileSync(path.join(work, folder, 'MLTable'), 'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n      encoding: utf8\n');
}

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  server = await startServer();
  client = new StratusClient({ baseUrl: server.url });
  work = tempDir();
  mltable('cancer-train', 'load_breast_cancer', 'diagnosis', [0, 450]);
  mltable('cancer-test', 'load_breast_cancer', 'diagnosis', [450, 569]);
  mltable('diabetes', 'load_diabetes', 'progression');
  demandSeries(200, 14);
});

/** Daily demand with a trend, a weekly season and noise, and the day's temperature: history and the 14 days after it. */
function demandSeries(days: number, horizon: number): void {
  let seed = 11;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2;
  const rows = Array.from({ length: days }, (_, i) => {
    const date = new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const temperature = 15 + 10 * Math.sin((2 * Math.PI * i) / 365) + noise();
    return `${date},${temperature.toFixed(2)},${(100 + 0.2 * i + 15 * Math.sin((2 * Math.PI * i) / 7) + 2 * noise()).toFixed(3)}`;
  });
  const table = 'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n';
  for (const [folder, part] of [['demand-train', rows.slice(0, days - horizon)], ['demand-test', rows.slice(days - horizon)]] as const) {
    fs.mkdirSync(path.join(work, folder), { recursive: true });
    fs.writeFileSync(path.join(work, folder, 'data.csv'), `date,temperature,demand\n${part.join('\n')}\n`);
    fs.writeFileSync(path.join(work, folder, 'MLTable'), table);
  }
}
after(async () => {
  await server?.close();
});

function yaml(name: string, body: string): string {
  fs.writeFileSync(path.join(work, name), body);
  return name;
}

describe('AutoML jobs: Azure ML\'s YAML, searched by FLAML', { timeout: 1_200_000 }, () => {
  test('classification: trials as child runs, a leaderboard in job show, the best model an MLflow output that registers', async () => {
    const file = yaml('classify.yml', `$schema: https://azuremlschemas.azureedge.net/latest/autoMLJob.schema.json
type: automl
experiment_name: automl-cancer
compute: azureml:cpu-cluster
task: classification
primary_metric: AUC_weighted
target_column_name: diagnosis
training_data:
  type: mltable
  path: ./cancer-train
test_data:
  type: mltable
  path: ./cancer-test
n_cross_validations: 3
limits:
  timeout_minutes: 2
  max_trials: 6
  max_concurrent_trials: 2
training:
  allowed_training_algorithms: [LightGBM, RandomForest, LogisticRegression]
  enable_vote_ensemble: true
`);
    const res = await cli(['job', 'create', '--file', file, '--stream', '--output', 'json']);
    assert.equal(res.code, 0, res.stderr.slice(-3000) + res.stdout.slice(-3000));
    assert.match(res.stdout, /AutoML classification: 450 rows, 30 features, target 'diagnosis', primary metric AUC_weighted/);
    const job = JSON.parse(res.stdout.slice(res.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.type, 'automl');
    assert.equal(job.status, 'Completed');
    assert.equal(job.task, 'classification');
    assert.equal(job.primary_metric, 'AUC_weighted');
    assert.deepEqual(job.training.allowed_training_algorithms, ['LightGBM', 'RandomForest', 'LogisticRegression']);
    assert.ok(job.notes.some((n: string) => /max_concurrent_trials 2: trials run one after another/.test(n)), JSON.stringify(job.notes));
    assert.ok(job.notes.some((n: string) => /enable_vote_ensemble is accepted, not applied/.test(n)));
    // Each trial a child run, best first, with Azure's algorithm names and its hyperparameters.
    assert.equal(job.leaderboard.length, 6);
    const scores = job.leaderboard.map((t: Record<string, number>) => t.AUC_weighted);
    assert.deepEqual(scores, [...scores].sort((a: number, b: number) => b - a));
    assert.ok(scores[0] > 0.95, `best AUC ${scores[0]}`);
    for (const t of job.leaderboard) assert.ok(['LightGBM', 'RandomForest', 'LogisticRegression'].includes(t.algorithm), JSON.stringify(t));
    assert.ok(Object.keys(job.leaderboard[0].hyperparameters).length > 0);
    assert.equal(job.properties.automl_best_child_run_id, job.leaderboard[0].run_id);
    const parent = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    const metrics = Object.fromEntries((parent.data.metrics ?? []).map((m) => [m.key, m.value]));
    assert.ok(Number(metrics.test_AUC_weighted) > 0.9, JSON.stringify(metrics));
    assert.equal(metrics.trials, 6);
    const child = (await client.runs.get(job.leaderboard[0].run_id)).run;
    assert.equal(child.data.tags?.find((t) => t.key === 'mlflow.parentRunId')?.value, parent.info.run_id);
    // The best model: an MLflow model with a signature, registered from the job's output.
    const model = await cli(['model', 'create', '--name', 'cancer-automl', '--type', 'mlflow_model', '--path', `azureml://jobs/${job.name}/outputs/best_model`, '--output', 'json']);
    assert.equal(model.code, 0, model.stderr);
    const files = await client.listArtifacts(`jobs/${job.name}/named-outputs/best_model`);
    assert.ok(files.files?.some((f) => f.path.endsWith('MLmodel')), JSON.stringify(files));
    const mlmodel = await (await client.fetchArtifact(`jobs/${job.name}/named-outputs/best_model/MLmodel`)).text();
    assert.match(mlmodel, /signature:\n\s+inputs: '\[\{"type": "double", "name": "mean_radius"/);
    const requirements = await (await client.fetchArtifact(`jobs/${job.name}/named-outputs/best_model/requirements.txt`)).text();
    assert.match(requirements, /flaml==2\.8\.0/);
    // The studio: the job's Models tab lists the trials best first and what the best model's features weigh.
    const browser = await chromium.launch({ executablePath: process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/#/jobs/${job.name}`);
      await page.getByRole('tab', { name: 'Models' }).click();
      await page.getByTestId('leaderboard').locator('tbody tr').nth(5).waitFor();
      assert.equal(await page.getByTestId('leaderboard').locator('tbody tr').first().locator('td').nth(1).textContent(), job.leaderboard[0].algorithm);
      await page.getByTestId('feature-importance').waitFor();
    } finally {
      await browser.close();
    }
  });

  test('regression on a registered mltable: a sensible r2 within the limits', async () => {
    const created = await cli(['data', 'create', '--name', 'diabetes', '--type', 'mltable', '--path', 'diabetes']);
    assert.equal(created.code, 0, created.stderr);
    const file = yaml('regress.yml', `type: automl
task: regression
primary_metric: r2_score
target_column_name: progression
training_data:
  type: mltable
  path: azureml:diabetes:1
validation_data_size: 0.25
limits:
  timeout_minutes: 1
  max_trials: 5
training:
  blocked_training_algorithms: [XGBoostRegressor, RandomForest, ExtremeRandomTrees]
`);
    const res = await cli(['job', 'create', '--file', file, '--stream', '--output', 'json']);
    assert.equal(res.code, 0, res.stderr.slice(-3000) + res.stdout.slice(-3000));
    const job = JSON.parse(res.stdout.slice(res.stdout.lastIndexOf('\n{') + 1));
    assert.deepEqual(job.training.allowed_training_algorithms, ['LightGBM', 'ElasticNet']);
    assert.ok(job.leaderboard.length >= 2 && job.leaderboard.length <= 5, JSON.stringify(job.leaderboard));
    assert.ok(job.leaderboard[0].r2_score > 0.3, `best r2 ${job.leaderboard[0].r2_score}`);
    // A target that is not in a registered table stops the job before any trial, saying so.
    const wrong = await cli(['job', 'create', '--file', file, '--set', 'target_column_name=nope', '--stream']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout + wrong.stderr, /target_column_name 'nope' is not a column of training_data \(its columns: age, sex, bmi/);
  });

  test('forecasting: a daily series 14 days ahead, statistical and tree models tried, the held-out fortnight scored', async () => {
    const file = yaml('forecast.yml', `$schema: https://azuremlschemas.azureedge.net/latest/autoMLJob.schema.json
type: automl
experiment_name: automl-demand
task: forecasting
primary_metric: normalized_root_mean_squared_error
target_column_name: demand
training_data:
  type: mltable
  path: ./demand-train
test_data:
  type: mltable
  path: ./demand-test
forecasting:
  time_column_name: date
  forecast_horizon: 14
  frequency: D
  target_lags: auto
limits:
  timeout_minutes: 1
  max_trials: 8
training:
  allowed_training_algorithms: [AutoArima, ExponentialSmoothing, LightGBM]
`);
    const res = await cli(['job', 'create', '--file', file, '--stream', '--output', 'json']);
    assert.equal(res.code, 0, res.stderr.slice(-3000) + res.stdout.slice(-3000));
    const job = JSON.parse(res.stdout.slice(res.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.task, 'forecasting');
    assert.deepEqual(job.forecasting, { time_column_name: 'date', forecast_horizon: 14 });
    assert.ok(job.notes.some((n: string) => /forecasting\.frequency is accepted, not applied/.test(n)), JSON.stringify(job.notes));
    assert.ok(!job.notes.some((n: string) => /target_lags/.test(n)), 'auto is what FLAML does');
    assert.ok(job.leaderboard.length >= 2, JSON.stringify(job.leaderboard));
    for (const t of job.leaderboard) assert.ok(['AutoArima', 'ExponentialSmoothing', 'LightGBM'].includes(t.algorithm), JSON.stringify(t));
    const errors = job.leaderboard.map((t: Record<string, number>) => t.normalized_root_mean_squared_error);
    assert.deepEqual(errors, [...errors].sort((a: number, b: number) => a - b), 'best (lowest error) first');
    assert.ok(errors[0] < 0.15, `best normalized RMSE ${errors[0]}`);
    const parent = (await client.runs.get(job.properties['mlflow.run_id'])).run;
    const metrics = Object.fromEntries((parent.data.metrics ?? []).map((m) => [m.key, m.value]));
    assert.ok(Number(metrics.test_normalized_root_mean_squared_error) < 0.2, JSON.stringify(metrics));
    const mlmodel = await (await client.fetchArtifact(`jobs/${job.name}/named-outputs/best_model/MLmodel`)).text();
    assert.match(mlmodel, /"name": "date"/);
    assert.equal((await cli(['data', 'create', '--name', 'demand', '--type', 'mltable', '--path', 'demand-train'])).code, 0);
  });

  test('the studio\'s AutoML wizard: data, target, task, metric, limits and algorithms become the same job', async () => {
    const browser = await chromium.launch({ executablePath: process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/#/automl`);
      // A forecast asks for the time column and the horizon too.
      await page.getByTestId('automl-data').selectOption('demand:1');
      await page.getByTestId('automl-task').selectOption('forecasting');
      await page.getByTestId('automl-time-column').locator('option', { hasText: 'date' }).waitFor({ state: 'attached' });
      await page.getByTestId('automl-time-column').selectOption('date');
      await page.getByTestId('automl-horizon').fill('14');
      assert.match(await page.getByTestId('automl-yaml').textContent() ?? '', /task: forecasting\nprimary_metric: normalized_root_mean_squared_error\n[^]*forecasting:\n  time_column_name: date\n  forecast_horizon: 14\n/);
      await page.getByTestId('automl-data').selectOption('diabetes:1');
      await page.getByTestId('automl-task').selectOption('regression');
      await page.getByTestId('automl-target').locator('option', { hasText: 'progression' }).waitFor({ state: 'attached' });
      await page.getByTestId('automl-target').selectOption('progression');
      await page.getByTestId('automl-metric').selectOption('r2_score');
      await page.getByTestId('automl-minutes').fill('1');
      await page.getByTestId('automl-trials').fill('3');
      for (const a of ['XGBoostRegressor', 'RandomForest', 'ExtremeRandomTrees', 'ElasticNet']) await page.getByTestId('automl-algorithms').getByLabel(a).uncheck();
      const yamlText = await page.getByTestId('automl-yaml').textContent() ?? '';
      assert.match(yamlText, /type: automl\n/);
      assert.match(yamlText, /task: regression\nprimary_metric: r2_score\ntarget_column_name: progression\ntraining_data:\n  type: mltable\n  path: azureml:diabetes:1\n/);
      assert.match(yamlText, /allowed_training_algorithms: \[LightGBM\]/);
      await page.getByTestId('automl-submit').click();
      await page.waitForURL(/#\/jobs\/[\w-]+$/);
      const name = decodeURIComponent(page.url().split('/').pop()!);
      let job = await client.jobs.get(name);
      for (let i = 0; i < 300 && !['Completed', 'Failed', 'Canceled'].includes(String(job.status)); i++) {
        await new Promise((r) => setTimeout(r, 1000));
        job = await client.jobs.get(name);
      }
      assert.equal(job.status, 'Completed', JSON.stringify(job.error));
      const board = (job as { leaderboard?: { algorithm: string }[] }).leaderboard ?? [];
      assert.equal(board.length, 3);
      assert.ok(board.every((t) => t.algorithm === 'LightGBM'), JSON.stringify(board));
    } finally {
      await browser.close();
    }
  });

  test('bad input is refused before anything runs, at its YAML line', async () => {
    const base = `type: automl
task: classification
target_column_name: diagnosis
training_data:
  type: mltable
  path: ./cancer-train
`;
    const refuse = async (body: string, pattern: RegExp) => {
      const res = await cli(['job', 'create', '--file', yaml('bad.yml', body)]);
      assert.notEqual(res.code, 0, res.stdout);
      assert.match(res.stderr, pattern);
    };
    await refuse(base.replace('diagnosis', 'outcome'), /bad\.yml:3: 'target_column_name': 'outcome' is not a column of training_data \(data\.csv has mean_radius/);
    await refuse(`${base}primary_metric: r2_score\n`, /'primary_metric': 'r2_score' is not a classification metric; use one of accuracy, AUC_weighted/);
    await refuse(base.replace('classification', 'image_classification'), /'task': AutoML here runs task: classification, regression or forecasting; got 'image_classification'/);
    await refuse(base.replace('classification', 'forecasting'), /'forecasting': task: forecasting needs forecasting: \{time_column_name/);
    const series = base.replace('classification', 'forecasting').replace('./cancer-train', './demand-train').replace('diagnosis', 'demand');
    await refuse(`${series}forecasting:\n  time_column_name: when\n`, /'forecasting\.time_column_name': 'when' is not a column of training_data \(data\.csv has date, temperature, demand\)/);
    await refuse(`${series}forecasting:\n  time_column_name: date\n  time_series_id_column_names: [store]\n`, /one series per job here/);
    await refuse(`${series}forecasting:\n  time_column_name: date\n  forecast_horizon: 0\n`, /'forecasting\.forecast_horizon': expected a whole number of periods ahead/);
    await refuse(`${base}training:\n  allowed_training_algorithms: [LightGBM, DeepNet]\n`, /'training\.allowed_training_algorithms\.1': 'DeepNet' is not a classification algorithm here/);
    await refuse(base.replace('type: mltable', 'type: uri_file'), /AutoML reads tables as mltable, as Azure does; got 'uri_file'/);
    fs.mkdirSync(path.join(work, 'empty'), { recursive: true });
    fs.writeFileSync(path.join(work, 'empty', 'data.csv'), 'a,diagnosis\n');
    fs.writeFileSync(path.join(work, 'empty', 'MLTable'), 'paths:\n  - file: ./data.csv\n');
    await refuse(base.replace('./cancer-train', './empty'), /data\.csv has no rows: AutoML needs data to train on/);
  });
});

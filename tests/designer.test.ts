/**
 * The designer's built-in modules, registered in every workspace as ordinary command components
 * and run by an ordinary pipeline YAML: an Adult-Income-style table the test generates (numbers,
 * text, missing values) cleaned, split, learned by a boosted tree, scored and evaluated (AUC,
 * ROC curve, confusion matrix as metrics and plots), with Apply SQL Transformation and Execute
 * Python Script on the way; a module that fails says why on its step. The canvas in Chromium:
 * modules dragged from the palette, typed ports joined (a wrong type refused), a missing
 * parameter marked, the graph submitted and watched to the end, Evaluate Model's ROC curve, and
 * the graph's YAML run again by stratus job create.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

/** Income over 50K depends on age, hours and education, with noise; some ages and workclasses are missing. */
function adultTable(rows: number): string {
  const lines = ['age,workclass,education_num,hours_per_week,income'];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < rows; i++) {
    const age = 18 + Math.floor(rand() * 50);
    const edu = 5 + Math.floor(rand() * 12);
    const hours = 20 + Math.floor(rand() * 40);
    const work = ['Private', 'Self-emp', 'Gov'][Math.floor(rand() * 3)];
    const rich = 0.08 * (age - 40) + 0.5 * (edu - 10) + 0.06 * (hours - 40) + (rand() - 0.5) * 2 > 0;
    lines.push(`${i % 17 === 0 ? '' : age},${i % 23 === 0 ? '' : work},${edu},${hours},${rich ? '>50K' : '<=50K'}`);
  }
  return `${lines.join('\n')}\n`;
}

before(async () => {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  server = await startServer();
  client = new StratusClient({ baseUrl: server.url });
  work = tempDir();
  fs.writeFileSync(path.join(work, 'adult.csv'), adultTable(3000));
});
after(async () => {
  await server?.close();
});

describe('the designer\'s built-in modules', { timeout: 1_200_000 }, () => {
  test('every module is a registered component with Azure\'s title and parameter names', async () => {
    const list = await cli(['component', 'list', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const names = (JSON.parse(list.stdout) as { name: string }[]).map((c) => c.name);
    for (const n of ['builtin.clean_missing_data', 'builtin.split_data', 'builtin.train_model', 'builtin.score_model', 'builtin.evaluate_model', 'builtin.two_class_boosted_decision_tree', 'builtin.apply_sql_transformation', 'builtin.execute_python_script']) {
      assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    }
    const split = await client.components.show('builtin.split_data');
    assert.equal(split.display_name, 'Split Data');
    assert.equal((split as any).inputs.fraction_of_rows_in_the_first_output_dataset.default, 0.5);
  });

  test('a training pipeline of built-in modules: clean, split, train, score, evaluate; SQL and Python on the way', async () => {
    fs.writeFileSync(path.join(work, 'train.yml'), `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: designer-adult
settings:
  default_compute: azureml:cpu-cluster
inputs:
  raw:
    type: uri_file
    path: ./adult.csv
jobs:
  clean:
    type: command
    component: azureml:builtin.clean_missing_data@latest
    inputs:
      dataset: \${{parent.inputs.raw}}
      cleaning_mode: Replace with mode
  columns:
    type: command
    component: azureml:builtin.select_columns_in_dataset@latest
    inputs:
      dataset: \${{parent.jobs.clean.outputs.cleaned_dataset}}
      select_columns: age, workclass, education_num, hours_per_week, income
  split:
    type: command
    component: azureml:builtin.split_data@latest
    inputs:
      dataset: \${{parent.jobs.columns.outputs.results_dataset}}
      fraction_of_rows_in_the_first_output_dataset: 0.7
      stratified_split: true
      stratification_key_column: income
  learner:
    type: command
    component: azureml:builtin.two_class_boosted_decision_tree@latest
    inputs:
      number_of_trees_constructed: 50
  train:
    type: command
    component: azureml:builtin.train_model@latest
    inputs:
      untrained_model: \${{parent.jobs.learner.outputs.untrained_model}}
      dataset: \${{parent.jobs.split.outputs.results_dataset1}}
      label_column: income
  score:
    type: command
    component: azureml:builtin.score_model@latest
    inputs:
      trained_model: \${{parent.jobs.train.outputs.trained_model}}
      dataset: \${{parent.jobs.split.outputs.results_dataset2}}
  evaluate:
    type: command
    component: azureml:builtin.evaluate_model@latest
    inputs:
      scored_dataset: \${{parent.jobs.score.outputs.scored_dataset}}
  by_label:
    type: command
    component: azureml:builtin.apply_sql_transformation@latest
    inputs:
      t1: \${{parent.jobs.score.outputs.scored_dataset}}
      sql_query_script: "select income, count(*) as n, avg(\\"Scored Probabilities\\") as p from t1 group by income order by income"
  python:
    type: command
    component: azureml:builtin.execute_python_script@latest
    inputs:
      dataframe1: \${{parent.jobs.by_label.outputs.result_dataset}}
      python_script: |
        import pandas as pd

        def azureml_main(dataframe1 = None, dataframe2 = None):
            print("rows in:", len(dataframe1))
            return dataframe1.assign(share=dataframe1["n"] / dataframe1["n"].sum()),
`);
    const res = await cli(['job', 'create', '--file', 'train.yml', '--stream', '--output', 'json']);
    assert.equal(res.code, 0, res.stderr.slice(-3000) + res.stdout.slice(-3000));
    const job = JSON.parse(res.stdout.slice(res.stdout.lastIndexOf('\n{') + 1));
    assert.equal(job.status, 'Completed');
    const steps = job.jobs as Record<string, { job_name: string; status: string }>;
    for (const s of Object.values(steps)) assert.equal(s.status, 'Completed');
    // Evaluate Model's metrics on its run, its plots as an artifact and in its output.
    const evaluate = await client.jobs.get(steps.evaluate.job_name);
    const run = (await client.runs.get(evaluate.properties!['mlflow.run_id'])).run;
    const metrics: Record<string, number> = Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, Number(m.value)]));
    assert.ok(metrics.AUC > 0.8, JSON.stringify(metrics));
    for (const k of ['Accuracy', 'Precision', 'Recall', 'F1_Score']) assert.ok(metrics[k] > 0.5, `${k} ${metrics[k]}`);
    const evaluation = JSON.parse(await (await client.fetchArtifact(`jobs/${steps.evaluate.job_name}/named-outputs/evaluation_results/evaluation.json`)).text());
    assert.deepEqual(evaluation[0].plots.confusion_matrix.labels, ['<=50K', '>50K']);
    assert.equal(evaluation[0].plots.confusion_matrix.matrix.flat().reduce((a: number, b: number) => a + b, 0), 900);
    assert.ok(evaluation[0].plots.roc_curve.fpr.length > 10);
    // Train Model's output is an MLflow model with a signature; Score Model appended its columns.
    const mlmodel = await (await client.fetchArtifact(`jobs/${steps.train.job_name}/named-outputs/trained_model/MLmodel`)).text();
    assert.match(mlmodel, /signature:/);
    const logs = await client.jobs.logs(steps.python.job_name, { stdout: 0, stderr: 0, build: 0 });
    assert.match(logs.stdout.data, /rows in: 2/);
    const schema = JSON.parse(await (await client.fetchArtifact(`jobs/${steps.python.job_name}/named-outputs/result_dataset/_schema.json`)).text());
    assert.deepEqual(schema.columns.map((c: { name: string }) => c.name), ['income', 'n', 'p', 'share']);

    // Create inference pipeline: the path to Score Model replayed, Split Data removed, the trained model kept.
    const plan = await client.jobs.inferencePipeline(job.name);
    assert.deepEqual(plan.graph, ['Web Service Input', 'Clean Missing Data', 'Select Columns in Dataset', 'Score Model', 'Web Service Output']);
    assert.deepEqual(plan.removed.map((r) => r.step), ['split']);
    assert.equal(plan.model.step, 'train');
    const deployed = await client.jobs.deployInferencePipeline(job.name, { endpoint_name: 'adult-income' });
    assert.equal(deployed.deployment.provisioning_state, 'Succeeded', String(deployed.deployment.error));
    assert.equal(deployed.endpoint.traffic.designer, 100);
    const { primaryKey } = await client.endpoints.keys('adult-income') as { primaryKey: string };
    const score = (body: unknown) => fetch(deployed.endpoint.scoring_uri, { method: 'POST', headers: { authorization: `Bearer ${primaryKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Rows Score Model scored in training score the same on the endpoint, with the same columns.
    const preview = await client.jobs.outputPreview(steps.score.job_name, 'scored_dataset', 5);
    const rows = preview.rows.map((r) => Object.fromEntries(['age', 'workclass', 'education_num', 'hours_per_week'].map((c) => [c, r[c]])));
    const answer = await score({ Inputs: { WebServiceInput0: rows }, GlobalParameters: {} });
    assert.equal(answer.status, 200, await answer.clone().text());
    const scored = ((await answer.json()) as { Results: { WebServiceOutput0: Record<string, unknown>[] } }).Results.WebServiceOutput0;
    assert.deepEqual(Object.keys(scored[0]), preview.columns.map((c) => c.name));
    for (const [k, r] of scored.entries()) {
      assert.equal(r['Scored Labels'], preview.rows[k]['Scored Labels']);
      assert.ok(Math.abs(Number(r['Scored Probabilities']) - Number(preview.rows[k]['Scored Probabilities'])) < 1e-9, `row ${k}: ${r['Scored Probabilities']} vs ${preview.rows[k]['Scored Probabilities']}`);
      assert.equal(r.income, null);
    }
    // A missing workclass is filled with the training data's mode, as Clean Missing Data learnt it.
    const learnt = JSON.parse(await (await client.fetchArtifact(`jobs/${steps.clean.job_name}/named-outputs/cleaned_dataset/_transform.json`)).text());
    const [withGap, filled] = ((await (await score({ Inputs: { WebServiceInput0: [{ ...rows[0], workclass: null }, { ...rows[0], workclass: learnt.state.values.workclass }] } })).json()) as any).Results.WebServiceOutput0;
    assert.equal(withGap.workclass, learnt.state.values.workclass);
    assert.equal(withGap['Scored Probabilities'], filled['Scored Probabilities']);
    // Bad requests say what was wrong.
    const noInput = await score({ Inputs: {} });
    assert.equal(noInput.status, 400);
    assert.match(await noInput.text(), /WebServiceInput0/);
    const noAge = await score({ Inputs: { WebServiceInput0: [{ workclass: 'Gov', education_num: 9, hours_per_week: 40 }] } });
    assert.equal(noAge.status, 400);
    assert.match(await noAge.text(), /missing: age/);
    // Deploying again (say, after retraining) rolls the same deployment over to a new model version.
    const again = await client.jobs.deployInferencePipeline(job.name, { endpoint_name: 'adult-income' });
    assert.equal(again.model.version, '2');
    assert.equal(again.deployment.provisioning_state, 'Succeeded', String(again.deployment.error));
    assert.equal(again.deployment.model, 'azureml:adult-income-inference:2');
  });

  test('more modules: sample, indicators, clip, bins, SMOTE, Add Rows/Columns, R, tuning, cross-validation, permutation importance', async () => {
    const step = (name: string, component: string, inputs: Record<string, string>) => [
      `  ${name}:`, '    type: command', `    component: azureml:builtin.${component}@latest`, '    inputs:', ...Object.entries(inputs).map(([k, v]) => `      ${k}: ${v}`),
    ].join('\n');
    const out = (s: string, o: string) => `\${{parent.jobs.${s}.outputs.${o}}}`;
    fs.writeFileSync(path.join(work, 'more.yml'), ['type: pipeline', 'inputs:', '  raw: {type: uri_file, path: ./adult.csv}', 'jobs:',
      step('sample', 'partition_and_sample', { dataset: '${{parent.inputs.raw}}', rate_of_sampling: '0.5', random_seed_for_sampling: '1' }),
      step('clean', 'clean_missing_data', { dataset: out('sample', 'outputdataset'), cleaning_mode: 'Replace with mode' }),
      step('indicators', 'convert_to_indicator_values', { dataset: out('clean', 'cleaned_dataset'), categorical_columns_to_convert: 'workclass', overwrite_categorical_columns: 'true' }),
      step('clip', 'clip_values', { dataset: out('indicators', 'results_dataset'), list_of_columns: 'hours_per_week', set_of_thresholds: 'ClipPeaks', constant_value_for_upper_threshold: '45' }),
      step('bins', 'group_data_into_bins', { dataset: out('clip', 'results_dataset'), columns_to_bin: 'age', number_of_bins: '4' }),
      step('smote', 'smote', { samples: out('bins', 'quantized_dataset'), label_column: 'income', smote_percentage: '100', number_of_nearest_neighbors: '3' }),
      step('both', 'add_rows', { dataset1: out('sample', 'outputdataset'), dataset2: out('sample', 'outputdataset') }),
      step('wide', 'add_columns', { left_dataset: out('clean', 'cleaned_dataset'), right_dataset: out('indicators', 'results_dataset') }),
      step('r', 'execute_r_script', { dataframe1: out('clip', 'results_dataset'), r_script: '"azureml_main <- function(dataframe1, dataframe2) { print(max(dataframe1$hours_per_week)); data.frame(rows = nrow(dataframe1)) }"' }),
      step('forest', 'two_class_decision_forest', {}),
      step('tune', 'tune_model_hyperparameters', { untrained_model: out('forest', 'untrained_model'), training_dataset: out('smote', 'table'), label_column: 'income', maximum_number_of_runs_on_random_sweep: '3' }),
      step('importance', 'permutation_feature_importance', { trained_model: out('tune', 'trained_best_model'), test_data: out('bins', 'quantized_dataset') }),
      step('bayes', 'naive_bayes', {}),
      step('cv', 'cross_validate_model', { untrained_model: out('bayes', 'untrained_model'), dataset: out('bins', 'quantized_dataset'), label_column: 'income', number_of_folds: '3' }),
      step('kmeans', 'k_means_clustering', { number_of_centroids: '3', random_number_seed: '1' }),
      step('clusters', 'train_clustering_model', { untrained_model: out('kmeans', 'untrained_model'), dataset: out('clean', 'cleaned_dataset'), column_set: 'age, education_num, hours_per_week' }),
      step('assign', 'assign_data_to_clusters', { trained_model: out('clusters', 'trained_model'), dataset: out('bins', 'quantized_dataset') }),
      ''].join('\n'));
    const res = await cli(['job', 'create', '--file', 'more.yml', '--stream', '--output', 'json']);
    assert.equal(res.code, 0, res.stderr.slice(-3000) + res.stdout.slice(-3000));
    const job = JSON.parse(res.stdout.slice(res.stdout.lastIndexOf('\n{') + 1));
    const steps = job.jobs as Record<string, { job_name: string }>;
    const table = async (s: string, o: string) => JSON.parse(await (await client.fetchArtifact(`jobs/${steps[s].job_name}/named-outputs/${o}/_schema.json`)).text()) as { columns: { name: string }[]; rows: number };
    const sample = await table('sample', 'outputdataset');
    assert.ok(sample.rows > 1300 && sample.rows < 1700, String(sample.rows));
    assert.equal((await table('both', 'results_dataset')).rows, 2 * sample.rows);
    const indicators = (await table('indicators', 'results_dataset')).columns.map((c) => c.name);
    assert.deepEqual(indicators.filter((c) => c.startsWith('workclass')).sort(), ['workclass-Gov', 'workclass-Private', 'workclass-Self-emp']);
    assert.ok((await table('bins', 'quantized_dataset')).columns.some((c) => c.name === 'age_quantized'));
    const smote = await table('smote', 'table');
    assert.ok(smote.rows > sample.rows, `SMOTE added rows: ${smote.rows} > ${sample.rows}`);
    assert.ok((await table('wide', 'combined_dataset')).columns.some((c) => c.name === 'age (2)'));
    const rLog = await client.jobs.logs(steps.r.job_name, { stdout: 0, stderr: 0, build: 0 });
    assert.match(rLog.stdout.data, /\[1\] 45/);
    assert.ok((await table('importance', 'feature_importance')).rows >= 6);
    assert.equal((await table('tune', 'sweep_results')).rows, 3);
    const folds = await table('cv', 'evaluation_results_by_fold');
    assert.equal(folds.rows, 5, 'three folds, their mean and standard deviation');
    const assigned = await table('assign', 'results_dataset');
    assert.ok(assigned.columns.some((c) => c.name === 'Assignments') && assigned.columns.some((c) => c.name === 'DistancesToClusterCenter no.2'), JSON.stringify(assigned.columns));
    const clusters = await client.jobs.outputPreview(steps.assign.job_name, 'results_dataset', 10_000);
    assert.equal(new Set(clusters.rows.map((r) => r.Assignments)).size, 3);
    // No Score Model here, so no inference pipeline: said, not guessed.
    await assert.rejects(client.jobs.inferencePipeline(job.name), /no Score Model step/);
  });

  test('a module that fails says why on its step', async () => {
    fs.writeFileSync(path.join(work, 'bad.yml'), `type: pipeline
inputs:
  raw: {type: uri_file, path: ./adult.csv}
jobs:
  columns:
    type: command
    component: azureml:builtin.select_columns_in_dataset@latest
    inputs:
      dataset: \${{parent.inputs.raw}}
      select_columns: age, salary
`);
    const res = await cli(['job', 'create', '--file', 'bad.yml', '--stream', '--output', 'json']);
    assert.notEqual(res.code, 0);
    const job = JSON.parse(res.stdout.slice(res.stdout.lastIndexOf('\n{') + 1));
    const step = await client.jobs.get(job.jobs.columns.job_name);
    assert.equal(step.status, 'Failed');
    assert.match(JSON.stringify(step.error), /select_columns: no column salary in the dataset \(it has age, workclass, education_num, hours_per_week, income\)/);
  });

  test('the canvas: drag modules, join typed ports, set parameters, submit, watch the nodes complete, the ROC curve, the YAML round trip', async () => {
    const created = await cli(['data', 'create', '--name', 'adult', '--type', 'uri_file', '--path', 'adult.csv']);
    assert.equal(created.code, 0, created.stderr);
    const browser = await chromium.launch({ executablePath: process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1900, height: 1000 } });
      await page.goto(`${server.url}/#/designer`);
      await page.getByTestId('new-draft-name').fill('adult-income');
      await page.getByTestId('new-draft').click();
      await page.getByTestId('palette-adult').waitFor();
      const canvas = page.getByTestId('canvas');
      const place = async (item: string, x: number, y: number) => {
        await page.getByTestId(`palette-${item}`).dragTo(canvas, { targetPosition: { x, y } });
      };
      await place('adult', 20, 60);
      await place('builtin.clean_missing_data', 230, 60);
      await place('builtin.split_data', 440, 60);
      await place('builtin.two_class_boosted_decision_tree', 440, 300);
      await place('builtin.train_model', 650, 160);
      await place('builtin.score_model', 860, 60);
      await place('builtin.evaluate_model', 1070, 60);
      for (const id of ['adult', 'clean_missing_data', 'split_data', 'two_class_boosted_decision_tree', 'train_model', 'score_model', 'evaluate_model']) await page.getByTestId(`node-${id}`).waitFor();
      const join = async (from: string, to: string) => {
        await page.getByTestId(`port-${from}`).dragTo(page.getByTestId(`port-${to}`));
      };
      await join('adult-data', 'clean_missing_data-dataset');
      await join('clean_missing_data-cleaned_dataset', 'split_data-dataset');
      await join('split_data-results_dataset1', 'train_model-dataset');
      await join('two_class_boosted_decision_tree-untrained_model', 'train_model-untrained_model');
      // A model is not a dataset: this join is refused.
      await join('train_model-trained_model', 'score_model-dataset');
      assert.equal(await page.locator('.react-flow__edge').count(), 4);
      await join('train_model-trained_model', 'score_model-trained_model');
      await join('split_data-results_dataset2', 'score_model-dataset');
      await join('score_model-scored_dataset', 'evaluate_model-scored_dataset');
      assert.equal(await page.locator('.react-flow__edge').count(), 7);
      // Validation marks what is missing on its node.
      await page.getByTestId('validate').click();
      await page.getByTestId('node-train_model').getByText('Set label_column.').waitFor();
      await page.getByTestId('node-train_model').click();
      await page.getByTestId('param-label_column').fill('income');
      await page.getByTestId('node-clean_missing_data').click();
      await page.getByTestId('param-cleaning_mode').selectOption('Replace with mode');
      await page.getByTestId('submit').click();
      await page.getByTestId('designer-message').getByText(/Submitted as pipeline job/).waitFor();
      await page.locator('[data-testid="node-evaluate_model"].status-completed').waitFor({ timeout: 300_000 });
      // A completed node previews its dataset outputs: rows and per-column statistics.
      await page.getByTestId('node-split_data').click();
      await page.getByTestId('preview-results_dataset1').getByText(/results_dataset1: 1500 rows/).waitFor().catch(async (err) => {
        throw new Error(`${(err as Error).message}\ninspector: ${(await page.locator('.inspector').textContent())?.slice(0, 800)}`);
      });
      assert.ok(await page.getByTestId('preview-results_dataset1').getByText('hours_per_week').count() > 0);
      await page.getByTestId('node-evaluate_model').click();
      await page.getByTestId('roc-curve').locator('canvas').waitFor();
      await page.getByTestId('pr-curve').locator('canvas').waitFor();
      assert.equal(await page.getByTestId('confusion-matrix').locator('tbody tr').count(), 2);
      assert.match(await page.getByTestId('evaluation').textContent() ?? '', /AUC0\.[89]/);
      // Create inference pipeline, then deploy it to an endpoint in one action.
      await page.getByTestId('create-inference').click();
      assert.equal((await page.getByTestId('inference-graph').textContent())?.replace(/\s+/g, ''), 'WebServiceInput→CleanMissingData→ScoreModel→WebServiceOutput');
      await page.getByTestId('inference-endpoint').fill('canvas-income');
      await page.getByTestId('deploy-inference').click();
      await page.getByTestId('inference-deployed').getByText(/deployment designer: Succeeded/).waitFor({ timeout: 300_000 }).catch(async (err) => {
        throw new Error(`${(err as Error).message}\n${await page.getByTestId('inference-pipeline').textContent()}`);
      });
      // The graph as YAML, run unchanged by stratus job create.
      await page.getByTestId('show-yaml').click();
      const yamlText = await page.getByTestId('yaml').textContent() ?? '';
      assert.match(yamlText, /component: azureml:builtin\.train_model@latest\n    inputs:\n/);
      assert.match(yamlText, /\n      untrained_model: \$\{\{parent\.jobs\.two_class_boosted_decision_tree\.outputs\.untrained_model\}\}\n/);
      assert.match(yamlText, /\n      label_column: income\n/);
      fs.writeFileSync(path.join(work, 'from-canvas.yml'), yamlText);
      const rerun = await cli(['job', 'create', '--file', 'from-canvas.yml', '--stream', '--output', 'json']);
      assert.equal(rerun.code, 0, rerun.stderr.slice(-2000));
      // The draft was saved on submit and is listed.
      await page.goto(`${server.url}/#/designer`);
      await page.getByRole('link', { name: 'adult-income' }).waitFor();
      // A pipeline job written as YAML opens on the canvas, laid out, as a draft of its own.
      const yamlJob = JSON.parse(rerun.stdout.slice(rerun.stdout.lastIndexOf('\n{') + 1));
      await page.goto(`${server.url}/#/jobs/${yamlJob.name}`);
      await page.getByTestId('open-in-designer').click();
      await page.getByTestId('node-evaluate_model').waitFor();
      await page.getByTestId('node-data_1').waitFor();
      assert.equal(await page.locator('.react-flow__edge').count(), 7);
      assert.equal(await page.getByTestId('node-train_model').locator('.muted').first().textContent(), 'train_model');
    } finally {
      await browser.close();
    }
  });
});

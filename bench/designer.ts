/**
 * npm run bench:designer — two comparisons, each against the same work written by hand:
 *  1. a designer pipeline of built-in modules (import → clean → split → learner → train → score →
 *     evaluate) against one scikit-learn script doing the same as a single command job, on an
 *     Adult-Income-style table with missing values: the time from submit to Completed and the AUC;
 *  2. what AutoML buys within a time budget: an AutoML job (FLAML, Azure's YAML) against a default
 *     LightGBM command job on the same train/test split, for a classification table (scikit-learn's
 *     make_classification, with label noise) and a regression one (make_friedman1, non-linear).
 *
 *   node --import tsx bench/designer.ts [--rows 20000] [--minutes 1]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStratus } from './servers.ts';
import { median, numberArg, secs, writeSection } from './results.ts';
import { PYTHON, run } from './sql-model.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/stratus.js');
const ROWS = numberArg('rows', 20_000);
const MINUTES = numberArg('minutes', 1);
const RUNS = numberArg('runs', 3);

const TASKS = [
  { task: 'classification', make: `d.make_classification(n_samples=${ROWS}, n_features=20, n_informative=8, n_redundant=4, flip_y=0.05, class_sep=0.8, random_state=0)`, metric: 'accuracy', baseline: 'LGBMClassifier', score: 'accuracy_score(y_test, pred)' },
  { task: 'regression', make: `d.make_friedman1(n_samples=${ROWS}, n_features=10, noise=1.0, random_state=0)`, metric: 'r2_score', baseline: 'LGBMRegressor', score: 'r2_score(y_test, pred)' },
];

type Cli = (args: string[]) => Promise<string>;

/** Submits a job YAML and waits for it; its JSON and the metrics of its run (or of one of its steps' runs). */
async function runJob(cli: Cli, url: string, file: string, step?: string): Promise<{ job: Record<string, any>; metrics: Record<string, number>; ms: number }> {
  const started = performance.now();
  const out = await cli(['job', 'create', '--file', file, '--stream', '--output', 'json']);
  const ms = performance.now() - started;
  const job = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1)) as Record<string, any>;
  if (job.status !== 'Completed') throw new Error(`${file}: ${job.status}`);
  const runId = step ? (JSON.parse(await cli(['job', 'show', '-n', job.jobs[step].job_name, '-o', 'json'])) as Record<string, any>).properties['mlflow.run_id'] : job.properties['mlflow.run_id'];
  const res = await fetch(`${url}/api/2.0/mlflow/runs/get?run_id=${runId}`).then((r) => r.json()) as { run: { data: { metrics?: { key: string; value: number }[] } } };
  return { job, metrics: Object.fromEntries((res.run.data.metrics ?? []).map((m) => [m.key, m.value])), ms };
}

/** The designer's modules as a pipeline vs the same steps as one script. */
async function designerVsScript(cli: Cli, work: string, url: string) {
  await run(PYTHON, ['-c', `
import numpy as np, pandas as pd
rng = np.random.default_rng(0)
n = ${ROWS}
age = rng.integers(18, 68, n).astype(float); edu = rng.integers(5, 17, n); hours = rng.integers(20, 60, n)
work = rng.choice(["Private", "Self-emp", "Gov"], n).astype(object)
rich = 0.08 * (age - 40) + 0.5 * (edu - 10) + 0.06 * (hours - 40) + (work == "Self-emp") * 0.5 + rng.normal(0, 1, n) > 0
age[::17] = np.nan; work[::23] = None
pd.DataFrame({"age": age, "workclass": work, "education_num": edu, "hours_per_week": hours, "income": np.where(rich, ">50K", "<=50K")}).to_csv("adult.csv", index=False)
`], {}, work);
  await cli(['data', 'create', '--name', 'adult', '--type', 'uri_file', '--path', 'adult.csv']);
  const step = (name: string, component: string, inputs: Record<string, string>) => [
    `  ${name}:`, '    type: command', `    component: azureml:builtin.${component}@latest`, '    inputs:', ...Object.entries(inputs).map(([k, v]) => `      ${k}: ${v}`),
  ].join('\n');
  fs.writeFileSync(path.join(work, 'designer.yml'), ['type: pipeline', 'settings: {force_rerun: true}', 'jobs:',
    step('import', 'import_data', { input_data: '{type: uri_file, path: azureml:adult:1}' }),
    step('clean', 'clean_missing_data', { dataset: '${{parent.jobs.import.outputs.output_data}}', cleaning_mode: 'Replace with mode' }),
    step('split', 'split_data', { dataset: '${{parent.jobs.clean.outputs.cleaned_dataset}}', fraction_of_rows_in_the_first_output_dataset: '0.7', stratified_split: 'true', stratification_key_column: 'income' }),
    step('learner', 'two_class_boosted_decision_tree', { number_of_trees_constructed: '50' }),
    step('train', 'train_model', { untrained_model: '${{parent.jobs.learner.outputs.untrained_model}}', dataset: '${{parent.jobs.split.outputs.results_dataset1}}', label_column: 'income' }),
    step('score', 'score_model', { trained_model: '${{parent.jobs.train.outputs.trained_model}}', dataset: '${{parent.jobs.split.outputs.results_dataset2}}' }),
    step('evaluate', 'evaluate_model', { scored_dataset: '${{parent.jobs.score.outputs.scored_dataset}}' }), ''].join('\n'));
  fs.mkdirSync(path.join(work, 'script'), { recursive: true });
  fs.writeFileSync(path.join(work, 'script', 'train.py'), [
    'import sys, glob, mlflow, pandas as pd',
    'from lightgbm import LGBMClassifier',
    'from sklearn.compose import ColumnTransformer',
    'from sklearn.impute import SimpleImputer',
    'from sklearn.metrics import roc_auc_score',
    'from sklearn.model_selection import train_test_split',
    'from sklearn.pipeline import Pipeline, make_pipeline',
    'from sklearn.preprocessing import OneHotEncoder',
    'frame = pd.read_csv(glob.glob(sys.argv[1] + "/*.csv")[0] if not sys.argv[1].endswith(".csv") else sys.argv[1])',
    'for c in frame.columns:',
    '    if frame[c].isna().any():',
    '        frame[c] = frame[c].fillna(frame[c].mode().iloc[0])',
    'train, test = train_test_split(frame, train_size=0.7, stratify=frame.income, random_state=0)',
    'X, y = train.drop(columns="income"), train.income',
    'numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]',
    'prep = ColumnTransformer([("n", SimpleImputer(), numeric), ("c", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), [c for c in X.columns if c not in numeric])])',
    'model = Pipeline([("p", prep), ("m", LGBMClassifier(num_leaves=20, min_child_samples=10, learning_rate=0.2, n_estimators=50, verbose=-1))]).fit(X, y)',
    'mlflow.log_metric("AUC", roc_auc_score(test.income == ">50K", model.predict_proba(test.drop(columns="income"))[:, list(model.classes_).index(">50K")]))',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(work, 'script.yml'), ['command: python train.py ${{inputs.data}}', 'code: ./script', 'environment: azureml:stratus-designer@latest',
    'inputs: {data: {type: uri_file, path: azureml:adult:1}}', ''].join('\n'));
  // Untimed: builds the designer environment once.
  await runJob(cli, url, 'script.yml');
  const pipeline: number[] = [];
  const script: number[] = [];
  let pipelineAuc = 0;
  let scriptAuc = 0;
  for (let i = 0; i < RUNS; i++) {
    const p = await runJob(cli, url, 'designer.yml', 'evaluate');
    pipeline.push(p.ms);
    pipelineAuc = p.metrics.AUC;
    const s = await runJob(cli, url, 'script.yml');
    script.push(s.ms);
    scriptAuc = s.metrics.AUC;
  }
  return { pipeline, script, pipelineAuc, scriptAuc };
}

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  const stratus = await startStratus(undefined);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-designer-'));
  const cli = async (args: string[]) => run(process.execPath, [BIN, ...args], { STRATUS_URL: stratus.url }, work);
  const rows: string[] = [];
  try {
    const designer = await designerVsScript(cli, work, stratus.url);
    for (const t of TASKS) {
      // The same split for both: MLTable folders for AutoML, the same CSVs for the script.
      for (const part of ['train', 'test']) fs.mkdirSync(path.join(work, `${t.task}-${part}`), { recursive: true });
      await run(PYTHON, ['-c', `
import pandas as pd, sklearn.datasets as d
from sklearn.model_selection import train_test_split
X, y = ${t.make}
frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]).assign(target=y)
train, test = train_test_split(frame, test_size=0.25, random_state=0)
train.to_csv("${t.task}-train/data.csv", index=False)
test.to_csv("${t.task}-test/data.csv", index=False)
`], {}, work);
      for (const part of ['train', 'test']) fs.writeFileSync(path.join(work, `${t.task}-${part}`, 'MLTable'), 'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n');
      fs.writeFileSync(path.join(work, `${t.task}.yml`), [
        'type: automl', `task: ${t.task}`, `primary_metric: ${t.metric}`, 'target_column_name: target',
        `training_data: {type: mltable, path: ./${t.task}-train}`, `test_data: {type: mltable, path: ./${t.task}-test}`,
        `limits: {timeout_minutes: ${MINUTES}}`, '',
      ].join('\n'));
      fs.mkdirSync(path.join(work, 'src'), { recursive: true });
      fs.writeFileSync(path.join(work, 'src', `${t.task}.py`), [
        'import sys, time, mlflow, pandas as pd',
        `from lightgbm import ${t.baseline}`,
        `from sklearn.metrics import ${t.metric === 'accuracy' ? 'accuracy_score' : 'r2_score'}`,
        'train, test = pd.read_csv(sys.argv[1] + "/data.csv"), pd.read_csv(sys.argv[2] + "/data.csv")',
        'X, y, X_test, y_test = train.drop(columns="target"), train.target, test.drop(columns="target"), test.target',
        't = time.time()',
        `pred = ${t.baseline}(verbose=-1).fit(X, y).predict(X_test)`,
        `mlflow.log_metrics({"test_${t.metric}": ${t.score}, "fit_seconds": time.time() - t})`,
        '',
      ].join('\n'));
      fs.writeFileSync(path.join(work, `${t.task}-lgbm.yml`), [
        'command: python ' + `${t.task}.py` + ' ${{inputs.train}} ${{inputs.test}}', 'code: ./src', 'environment: azureml:stratus-automl@latest',
        `inputs: {train: {type: uri_folder, path: ./${t.task}-train}, test: {type: uri_folder, path: ./${t.task}-test}}`, '',
      ].join('\n'));

      const timed = (file: string) => runJob(cli, stratus.url, file);
      // Untimed: builds the environment once.
      await timed(`${t.task}-lgbm.yml`);
      const lgbm = await timed(`${t.task}-lgbm.yml`);
      const automl = await timed(`${t.task}.yml`);
      const best = automl.job.leaderboard?.[0];
      rows.push(`| ${t.task} (${t.metric}) | AutoML job, ${MINUTES} min budget: ${automl.metrics.trials} trials, best ${best?.algorithm} | ${Number(automl.metrics[`test_${t.metric}`]).toFixed(4)} | ${secs(automl.ms)} s |`);
      rows.push(`| ${t.task} (${t.metric}) | default LightGBM, a hand-written command job | ${Number(lgbm.metrics[`test_${t.metric}`]).toFixed(4)} | ${secs(lgbm.ms)} s |`);
    }
    const body = [
      `Command: \`npm run bench:designer\` (\`node --import tsx bench/designer.ts --rows ${ROWS} --minutes ${MINUTES}\`), ${new Date().toISOString().slice(0, 10)}, this machine (2 cores).`,
      `${ROWS.toLocaleString('en')} generated rows per table, 75 % to train and 25 % to test (the same split both ways); the score is on the test rows; the time is the whole job, submit to Completed, with the environment already built.`,
      '',
      '| table | how | test score | job time |',
      '|---|---|---|---|',
      ...rows,
    ].join('\n');
    writeSection('## AutoML within a time budget vs a default LightGBM', body);
    console.log(body);
    const designerBody = [
      `Command: \`npm run bench:designer\` (\`node --import tsx bench/designer.ts --rows ${ROWS}\`), ${new Date().toISOString().slice(0, 10)}, this machine (2 cores).`,
      `An Adult-Income-style table of ${ROWS.toLocaleString('en')} generated rows (numbers, text, missing values): missing values replaced by the mode, a stratified 70/30 split, a boosted tree (LightGBM, 50 trees), scored and evaluated. The time is submit to Completed with the environment built; median of ${RUNS}; the pipeline is re-run in full each time (force_rerun).`,
      '',
      '| how | AUC | median time | runs |',
      '|---|---|---|---|',
      `| designer pipeline: 7 built-in modules, each its own step | ${designer.pipelineAuc.toFixed(4)} | ${secs(median(designer.pipeline))} s | ${designer.pipeline.map(secs).join(', ')} |`,
      `| the same as one hand-written scikit-learn script, one command job | ${designer.scriptAuc.toFixed(4)} | ${secs(median(designer.script))} s | ${designer.script.map(secs).join(', ')} |`,
    ].join('\n');
    writeSection('## Designer pipeline of built-in modules vs one hand-written script', designerBody);
    console.log(designerBody);
  } finally {
    await stratus.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();

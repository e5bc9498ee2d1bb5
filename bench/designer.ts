/**
 * npm run bench:designer — what AutoML buys within a time budget: an AutoML job (FLAML, Azure's
 * YAML) against the same work written by hand — a default LightGBM model as a command job — on
 * the same train/test split, both run by Stratus in the curated stratus-automl environment. A
 * classification table (scikit-learn's make_classification, with label noise) and a regression
 * one (make_friedman1, non-linear). The designer pipeline's own comparison joins this once the
 * designer's built-in modules exist.
 *
 *   node --import tsx bench/designer.ts [--rows 20000] [--minutes 1]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStratus } from './servers.ts';
import { numberArg, secs, writeSection } from './results.ts';
import { PYTHON, run } from './sql-model.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/stratus.js');
const ROWS = numberArg('rows', 20_000);
const MINUTES = numberArg('minutes', 1);

const TASKS = [
  { task: 'classification', make: `d.make_classification(n_samples=${ROWS}, n_features=20, n_informative=8, n_redundant=4, flip_y=0.05, class_sep=0.8, random_state=0)`, metric: 'accuracy', baseline: 'LGBMClassifier', score: 'accuracy_score(y_test, pred)' },
  { task: 'regression', make: `d.make_friedman1(n_samples=${ROWS}, n_features=10, noise=1.0, random_state=0)`, metric: 'r2_score', baseline: 'LGBMRegressor', score: 'r2_score(y_test, pred)' },
];

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  const stratus = await startStratus(undefined);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-designer-'));
  const cli = async (args: string[]) => run(process.execPath, [BIN, ...args], { STRATUS_URL: stratus.url }, work);
  const rows: string[] = [];
  try {
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

      const timed = async (file: string) => {
        const started = performance.now();
        const out = await cli(['job', 'create', '--file', file, '--stream', '--output', 'json']);
        const job = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1)) as Record<string, any>;
        if (job.status !== 'Completed') throw new Error(`${file}: ${job.status}`);
        const res = await fetch(`${stratus.url}/api/2.0/mlflow/runs/get?run_id=${job.properties['mlflow.run_id']}`).then((r) => r.json()) as { run: { data: { metrics: { key: string; value: number }[] } } };
        const metrics = Object.fromEntries(res.run.data.metrics.map((m) => [m.key, m.value]));
        return { job, metrics, ms: performance.now() - started };
      };
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
  } finally {
    await stratus.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();

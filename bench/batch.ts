/**
 * npm run bench:batch — scoring 1,000,000 rows in CSV files through a no-code MLflow batch
 * deployment (the batch driver's worker processes over mini-batches, predictions written as the
 * job's output), at 1 and 2 concurrent workers, against the same model applied by one
 * pandas/scikit-learn script over the same files. Time is from the command's start to its end
 * (the CLI's `invoke --stream` until the job is Completed; the script's process), median of the
 * runs; both write every prediction to one CSV, checked to agree.
 *
 *   node --import tsx bench/batch.ts [--rows 1000000] [--files 20] [--runs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStratus } from './servers.ts';
import { median, numberArg, secs, writeSection } from './results.ts';
import { PYTHON, run } from './sql-model.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/stratus.js');
const ROWS = numberArg('rows', 1_000_000);
const FILES = numberArg('files', 20);
const RUNS = numberArg('runs', 3);

/** The same model applied by hand: every file read with pandas, the pyfunc's predict, one CSV out. */
const SCRIPT = `
import glob, os, sys, mlflow.pyfunc, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
with open(sys.argv[3], "w") as out:
    for f in sorted(glob.glob(os.path.join(sys.argv[2], "*.csv"))):
        data = pd.read_csv(f)
        frame = pd.DataFrame({"file": os.path.basename(f), "row": range(len(data))})
        frame["prediction"] = model.predict(data)
        frame.to_csv(out, index=False, header=False)
`;

async function main(): Promise<void> {
  process.env.STRATUS_ENV_CACHE ??= path.join(REPO, '.cache/envs');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-batch-'));
  await run(PYTHON, ['-c', `
import numpy as np, pandas as pd, mlflow.sklearn, os
from mlflow.models import infer_signature
from sklearn.ensemble import RandomForestClassifier
rng = np.random.default_rng(0)
def table(n):
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])
    y = (X.f0 + 0.5 * X.f1 * X.f2 - X.f3 + rng.normal(0, 0.5, n) > 0).astype(int)
    return X, y
X, y = table(50_000)
model = RandomForestClassifier(n_estimators=30, max_depth=12, random_state=0, n_jobs=1).fit(X, y)
mlflow.sklearn.save_model(model, "model", signature=infer_signature(X, model.predict(X)), skops_trusted_types=["sklearn.tree._tree.Tree"])
os.makedirs("data")
per = ${ROWS} // ${FILES}
for i in range(${FILES}):
    table(per)[0].to_csv(f"data/part-{i:03d}.csv", index=False)
`], {}, work);
  fs.writeFileSync(path.join(work, 'score.py'), SCRIPT);
  fs.writeFileSync(path.join(work, 'endpoint.yml'), 'name: bench-batch\n');
  const deployment = (name: string, workers: number) => fs.writeFileSync(path.join(work, `${name}.yml`), [
    `name: ${name}`, 'endpoint_name: bench-batch', 'type: model', 'model:', '  path: ./model', 'settings:',
    `  max_concurrency_per_instance: ${workers}`, `  mini_batch_size: ${Math.max(1, Math.floor(FILES / 10))}`, '  output_file_name: predictions.csv', '',
  ].join('\n'));
  deployment('one', 1);
  deployment('two', 2);

  const stratus = await startStratus(undefined);
  const cli = async (args: string[]) => run(process.execPath, [BIN, ...args], { STRATUS_URL: stratus.url }, work);
  try {
    await cli(['data', 'create', '--name', 'rows', '--type', 'uri_folder', '--path', 'data']);
    await cli(['batch-endpoint', 'create', '--file', 'endpoint.yml']);
    await cli(['batch-deployment', 'create', '--file', 'one.yml']);
    await cli(['batch-deployment', 'create', '--file', 'two.yml']);
    const invoke = async (dep: string) => {
      const t = performance.now();
      const out = await cli(['batch-endpoint', 'invoke', '-n', 'bench-batch', '-d', dep, '--input', 'azureml:rows:1', '--stream', '-o', 'json']);
      const ms = performance.now() - t;
      const job = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1)) as Record<string, any>;
      if (job.status !== 'Completed') throw new Error(`batch job ${job.name}: ${job.status}`);
      return { ms, predictions: `${job.outputs.score.store_path}/predictions.csv` };
    };
    // Untimed: builds the model's environment once (it is then cached, as for any deployment).
    const warm = await invoke('one');
    const script: number[] = [];
    const one: number[] = [];
    const two: number[] = [];
    let last = warm.predictions;
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await run(PYTHON, [path.join(work, 'score.py'), path.join(work, 'model'), path.join(work, 'data'), path.join(work, 'script.csv')], {}, work);
      script.push(performance.now() - t);
      one.push((await invoke('one')).ms);
      const r = await invoke('two');
      two.push(r.ms);
      last = r.predictions;
    }
    const stored = await fetch(`${stratus.url}/api/2.0/mlflow-artifacts/artifacts/${last}`);
    if (!stored.ok) throw new Error(`cannot download ${last}: HTTP ${stored.status}`);
    const mine = (await stored.text()).trimEnd().split('\n');
    const theirs = fs.readFileSync(path.join(work, 'script.csv'), 'utf8').trimEnd().split('\n');
    const differ = mine.length !== theirs.length ? -1 : mine.filter((l, i) => l !== theirs[i]).length;
    if (differ !== 0) throw new Error(`the predictions differ: ${mine.length} vs ${theirs.length} lines, ${differ} lines differ`);
    const m = { script: median(script), one: median(one), two: median(two) };
    const rate = (ms: number) => Math.round(ROWS / (ms / 1000)).toLocaleString('en-US');
    writeSection('## Batch endpoints: 1M rows through a no-code batch deployment vs one pandas script', `
Command: \`npm run bench:batch\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's ${os.cpus().length}-core machine).

${ROWS.toLocaleString('en-US')} rows of 6 features in ${FILES} CSV files, scored by a scikit-learn RandomForestClassifier
(30 trees, depth 12, one thread) saved as an MLflow model with its signature. Stratus: a no-code batch deployment (no scoring script;
the environment built from the model's conda file, cached after an untimed first run), mini-batches of
${Math.max(1, Math.floor(FILES / 10))} files, \`batch-endpoint invoke --stream\` from the CLI's start to the job's Completed
(upload check, job record, signature check, worker start-up, predictions written and collected as the job's output).
The peer: one Python process with pandas and the same pyfunc \`predict\`, file by file, into one CSV. Both outputs are
the same ${mine.length.toLocaleString('en-US')} lines (\`file,row,prediction\`), checked line by line. Median of ${RUNS} runs.

| run | median s | rows/s | runs (s) |
|---|---:|---:|---|
| one pandas/scikit-learn script | ${secs(m.script)} | ${rate(m.script)} | ${script.map(secs).join(', ')} |
| batch deployment, 1 worker | ${secs(m.one)} | ${rate(m.one)} | ${one.map(secs).join(', ')} |
| batch deployment, 2 workers | ${secs(m.two)} | ${rate(m.two)} | ${two.map(secs).join(', ')} |

With 2 workers the deployment takes ${(m.two / m.script).toFixed(2)}× the script's time (1 worker: ${(m.one / m.script).toFixed(2)}×).
`);
    console.log(fs.readFileSync(path.join(REPO, 'bench/RESULTS.md'), 'utf8').split('## Batch endpoints')[1]);
  } finally {
    await stratus.stop();
  }
}

await main();

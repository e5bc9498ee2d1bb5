/**
 * The AutoML wizard: pick an MLTable data asset, the column to predict, the task, Azure's primary
 * metric, the limits and the algorithms; it shows the AutoML job YAML those choices are (what
 * `stratus job create --file` takes) and submits the same job.
 */
import { useEffect, useMemo, useState } from 'react';
import { ALGORITHMS, automlCommand, DEFAULT_ALGORITHMS, PRIMARY_METRICS, type AutomlSettings, type AutomlTask } from '../../../src/specs/automl-settings.ts';
import { client, useData } from '../api.ts';
import { ErrorNote } from '../components/Bits.tsx';
import { go } from '../router.tsx';

export function AutomlPage() {
  const assets = useData(() => client.data.list(), []);
  const tables = (assets.data?.value ?? []).filter((a) => a.type === 'mltable') as { name: string; version: string }[];
  const [asset, setAsset] = useState('');
  const [task, setTask] = useState<AutomlTask>('classification');
  const [target, setTarget] = useState('');
  const [metric, setMetric] = useState(PRIMARY_METRICS.classification[0]);
  const [minutes, setMinutes] = useState(15);
  const [trials, setTrials] = useState(20);
  const [algorithms, setAlgorithms] = useState<string[]>(DEFAULT_ALGORITHMS.classification);
  const [timeColumn, setTimeColumn] = useState('');
  const [horizon, setHorizon] = useState(1);
  const [experiment, setExperiment] = useState('automl');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [name, version] = asset.split(':');
  const preview = useData(async () => (asset ? client.data.preview(name, version, 5) : undefined), [asset]);
  const columns = preview.data?.columns.map((c) => c.name) ?? [];

  useEffect(() => {
    setMetric(PRIMARY_METRICS[task][0]);
    setAlgorithms(DEFAULT_ALGORITHMS[task]);
  }, [task]);

  const settings: AutomlSettings = useMemo(() => ({
    task, target_column_name: target, primary_metric: metric,
    ...(task === 'forecasting' ? { forecasting: { time_column_name: timeColumn, forecast_horizon: horizon } } : {}),
    estimators: algorithms.map((a) => ALGORITHMS[task][a]),
    limits: { timeout_minutes: minutes, max_trials: trials, enable_early_termination: true },
    training: { allowed_training_algorithms: algorithms, enable_stack_ensemble: false },
    featurization: { mode: 'auto' },
  }), [task, target, metric, algorithms, minutes, trials, timeColumn, horizon]);

  const yaml = [
    '$schema: https://azuremlschemas.azureedge.net/latest/autoMLJob.schema.json',
    'type: automl', `experiment_name: ${experiment}`, `task: ${task}`, `primary_metric: ${metric}`, `target_column_name: ${target || '<choose a column>'}`,
    'training_data:', '  type: mltable', `  path: azureml:${asset || '<choose a data asset>'}`,
    ...(task === 'forecasting' ? ['forecasting:', `  time_column_name: ${timeColumn || '<choose a column>'}`, `  forecast_horizon: ${horizon}`] : []),
    'limits:', `  timeout_minutes: ${minutes}`, `  max_trials: ${trials}`,
    'training:', `  allowed_training_algorithms: [${algorithms.join(', ')}]`, '  enable_stack_ensemble: false', '',
  ].join('\n');

  const submit = async () => {
    setError(undefined);
    if (!asset || !target || !algorithms.length) return setError('Choose the data, the column to predict and at least one algorithm.');
    if (task === 'forecasting' && (!timeColumn || !(horizon >= 1))) return setError('A forecast needs the time column and how many periods ahead (1 or more).');
    setBusy(true);
    try {
      const job = await client.jobs.create({
        type: 'automl', experiment_name: experiment, tags: {}, notes: [], compute: 'local',
        command: automlCommand(settings, ['training_data']),
        environment: { kind: 'curated', name: 'stratus-automl' }, environment_variables: {},
        inputs: { training_data: { type: 'mltable', path: `azureml:${asset}` } }, outputs: { best_model: { type: 'mlflow_model' } },
        automl: settings,
      });
      go('jobs', String(job.name));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <div className="automl-wizard">
      <h1>New AutoML job</h1>
      <p className="muted">AutoML tries many algorithms and their settings on a table (FLAML), every trial a child run, and hands back a leaderboard and the best model.</p>
      {assets.error && <ErrorNote error={assets.error} />}
      <label className="param"><span>Data (an MLTable data asset)</span>
        <select value={asset} onChange={(e) => { setAsset(e.target.value); setTarget(''); setTimeColumn(''); }} data-testid="automl-data">
          <option value="">—</option>
          {tables.map((a) => <option key={`${a.name}:${a.version}`} value={`${a.name}:${a.version}`}>{a.name}:{a.version}</option>)}
        </select>
      </label>
      {!tables.length && assets.data && <div className="muted">No MLTable data assets yet: <code className="cmd">stratus data create --name my-table --type mltable --path ./folder-with-MLTable</code></div>}
      <label className="param"><span>Task</span>
        <select value={task} onChange={(e) => setTask(e.target.value as AutomlTask)} data-testid="automl-task">
          <option value="classification">Classification</option><option value="regression">Regression</option><option value="forecasting">Time-series forecasting</option>
        </select>
      </label>
      {task === 'forecasting' && <>
        <label className="param"><span>Time column</span>
          <select value={timeColumn} onChange={(e) => setTimeColumn(e.target.value)} data-testid="automl-time-column" disabled={!columns.length}>
            <option value="">—</option>{columns.map((c) => <option key={c}>{c}</option>)}
          </select>
        </label>
        <label className="param"><span>Forecast horizon (periods ahead)</span><input type="number" min={1} value={horizon} onChange={(e) => setHorizon(Number(e.target.value))} data-testid="automl-horizon" /></label>
      </>}
      <label className="param"><span>Column to predict</span>
        <select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="automl-target" disabled={!columns.length}>
          <option value="">—</option>{columns.map((c) => <option key={c}>{c}</option>)}
        </select>
      </label>
      <label className="param"><span>Primary metric</span>
        <select value={metric} onChange={(e) => setMetric(e.target.value)} data-testid="automl-metric">{PRIMARY_METRICS[task].map((m) => <option key={m}>{m}</option>)}</select>
      </label>
      <label className="param"><span>Time budget (minutes)</span><input type="number" min={0.1} step={0.5} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} data-testid="automl-minutes" /></label>
      <label className="param"><span>At most this many trials</span><input type="number" min={1} value={trials} onChange={(e) => setTrials(Number(e.target.value))} data-testid="automl-trials" /></label>
      <fieldset data-testid="automl-algorithms"><legend>Algorithms</legend>
        {Object.keys(ALGORITHMS[task]).map((a) => (
          <label key={a} className="check"><input type="checkbox" checked={algorithms.includes(a)} onChange={(e) => setAlgorithms(e.target.checked ? [...algorithms, a] : algorithms.filter((x) => x !== a))} /> {a}</label>
        ))}
      </fieldset>
      <label className="param"><span>Experiment</span><input value={experiment} onChange={(e) => setExperiment(e.target.value)} /></label>
      <h3>The job as YAML</h3>
      <pre className="log" data-testid="automl-yaml">{yaml}</pre>
      {error && <ErrorNote error={error} />}
      <button className="primary" disabled={busy} onClick={() => void submit()} data-testid="automl-submit">Submit</button>
    </div>
  );
}

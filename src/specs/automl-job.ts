/**
 * Azure ML's AutoML job YAML (`type: automl`, `task: classification | regression | forecasting`), read as Azure
 * reads it and run as a command job: FLAML searches the algorithms in the curated stratus-automl
 * environment (python/stratus_automl/run.py), every trial is a child MLflow run of the job's run,
 * and the best model is the job's `best_model` output (an MLflow model). Settings FLAML has no
 * counterpart for are accepted and said in `job show`'s notes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readMlTable } from './mltable.ts';
import { applySets, isLocalPath, parseCommandJob, type AutomlSettings, type ParsedJob } from './command-job.ts';
import type { YamlSource } from './yaml-source.ts';
import { ALGORITHMS, automlCommand, DATA_KEYS, DEFAULT_ALGORITHMS, PRIMARY_METRICS } from './automl-settings.ts';

const KNOWN = [
  '$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'compute', 'environment_variables',
  'task', 'target_column_name', 'primary_metric', 'limits', 'training', 'featurization', 'n_cross_validations', 'validation_data_size',
  'log_verbosity', 'weight_column_name', 'outputs', 'positive_label', 'forecasting', ...DATA_KEYS,
];
const COLUMN_TYPES = ['Categorical', 'Numeric', 'DateTime', 'Text'] as const;
type ColumnPurpose = (typeof COLUMN_TYPES)[number];

function positive(src: YamlSource, value: unknown, where: string[], what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw src.error(where, `expected ${what} greater than 0.`);
  return n;
}

/** A local mltable's target (and time) column and rows, checked before anything is uploaded (the harness checks registered ones). */
function checkLocalTable(src: YamlSource, folder: string, target: string, key: string, timeColumn?: string): void {
  const table = (() => {
    try {
      return readMlTable(folder);
    } catch (err) {
      throw src.error([key, 'path'], (err as Error).message);
    }
  })();
  const first = table.files.find((f) => /\.(csv|tsv|txt)$/i.test(f));
  if (!first) return;
  const delimiter = String(table.read_delimited?.delimiter ?? (first.endsWith('.tsv') ? '\t' : ','));
  const lines = fs.readFileSync(path.join(folder, first), 'utf8').split(/\r?\n/, 2);
  const header = lines[0].split(delimiter).map((h) => h.trim().replace(/^"|"$/g, ''));
  if (!lines[1]?.trim()) throw src.error([key, 'path'], `${first} has no rows: AutoML needs data to train on.`);
  if (!header.includes(target)) throw src.error(['target_column_name'], `'${target}' is not a column of ${key} (${first} has ${header.join(', ')}).`);
  if (timeColumn && !header.includes(timeColumn)) throw src.error(['forecasting', 'time_column_name'], `'${timeColumn}' is not a column of ${key} (${first} has ${header.join(', ')}).`);
}

/** Settings Azure's forecasting has that FLAML's does its own way: accepted and said in the notes. */
const FORECAST_NOT_APPLIED: Record<string, string> = {
  frequency: 'the series\' frequency is inferred from the time column',
  target_lags: 'FLAML searches the number of lags itself (the lags hyperparameter)',
  target_rolling_window_size: 'FLAML builds its own lag and calendar features',
  feature_lags: 'FLAML builds its own lag and calendar features',
  country_or_region_for_holidays: 'no holiday features are added',
  seasonality: 'the seasonal models find the season themselves',
  use_stl: 'no STL decomposition is added',
  short_series_handling_config: 'a series shorter than twice the horizon is refused instead',
  target_aggregate_function: 'rows are not aggregated: each time must appear once',
  cv_step_size: 'cross-validation folds are FLAML\'s time-series splits',
};

function parseForecasting(src: YamlSource, raw: unknown, notes: string[], warnings: string[]): NonNullable<AutomlSettings['forecasting']> {
  if (!raw || typeof raw !== 'object') throw src.error(['forecasting'], 'task: forecasting needs forecasting: {time_column_name: <column>, forecast_horizon: <rows ahead>}.');
  const f = raw as Record<string, unknown>;
  warnings.push(...src.checkKeys(['forecasting'], f, ['time_column_name', 'forecast_horizon', 'time_series_id_column_names', ...Object.keys(FORECAST_NOT_APPLIED)]));
  if (typeof f.time_column_name !== 'string' || !f.time_column_name) throw src.error(['forecasting', 'time_column_name'], 'name the column that holds each row\'s time.');
  if (f.time_series_id_column_names !== undefined && !(Array.isArray(f.time_series_id_column_names) && f.time_series_id_column_names.length === 0)) {
    throw src.error(['forecasting', 'time_series_id_column_names'], 'one series per job here: split the table by its series and run a job for each (or leave the ids out of the table).');
  }
  const horizon = f.forecast_horizon === undefined ? 1 : Number(f.forecast_horizon);
  if (!Number.isInteger(horizon) || horizon < 1) throw src.error(['forecasting', 'forecast_horizon'], `expected a whole number of periods ahead (1 or more), got ${String(f.forecast_horizon)}.`);
  for (const [k, why] of Object.entries(FORECAST_NOT_APPLIED)) if (f[k] !== undefined && f[k] !== 'auto') notes.push(`forecasting.${k} is accepted, not applied: ${why}.`);
  return { time_column_name: f.time_column_name, forecast_horizon: horizon };
}

export function parseAutomlJob(src: YamlSource, opts: { sets?: string[]; name?: string; defaultExperiment: string }): ParsedJob {
  const data = src.data as Record<string, unknown>;
  applySets(data, opts.sets ?? []);
  const warnings = src.checkKeys([], data, KNOWN);
  const notes: string[] = [];
  const task = data.task;
  if (task !== 'classification' && task !== 'regression' && task !== 'forecasting') {
    throw src.error(['task'], `AutoML here runs task: classification, regression or forecasting; got '${String(task)}' (NLP and vision tasks are not available).`);
  }
  if (data.forecasting !== undefined && task !== 'forecasting') throw src.error(['forecasting'], `forecasting: settings are for task: forecasting, not ${task}.`);
  const forecasting = task === 'forecasting' ? parseForecasting(src, data.forecasting, notes, warnings) : undefined;
  const target = data.target_column_name;
  if (typeof target !== 'string' || !target) throw src.error(['target_column_name'], 'an AutoML job needs target_column_name:, the column to predict.');
  const metrics = PRIMARY_METRICS[task];
  const primary = data.primary_metric === undefined ? metrics[0] : metrics.find((m) => m.toLowerCase() === String(data.primary_metric).toLowerCase());
  if (!primary) throw src.error(['primary_metric'], `'${String(data.primary_metric)}' is not a ${task} metric; use one of ${metrics.join(', ')}.`);

  const limits = (data.limits ?? {}) as Record<string, unknown>;
  warnings.push(...src.checkKeys(['limits'], data.limits, ['timeout_minutes', 'trial_timeout_minutes', 'max_trials', 'max_concurrent_trials', 'max_cores_per_trial', 'enable_early_termination', 'exit_score', 'max_nodes']));
  const timeout = positive(src, limits.timeout_minutes, ['limits', 'timeout_minutes'], 'a number of minutes') ?? 360;
  const maxTrials = positive(src, limits.max_trials, ['limits', 'max_trials'], 'a number of trials');
  if (maxTrials !== undefined && !Number.isInteger(maxTrials)) throw src.error(['limits', 'max_trials'], 'expected a whole number of trials.');
  if (Number(limits.max_concurrent_trials ?? 1) > 1) notes.push(`limits.max_concurrent_trials ${limits.max_concurrent_trials}: trials run one after another here (FLAML without Ray), each using the job's cores.`);
  for (const k of ['trial_timeout_minutes', 'exit_score', 'max_cores_per_trial', 'max_nodes']) {
    if (limits[k] !== undefined) notes.push(`limits.${k} is accepted, not applied: the search is bounded by timeout_minutes and max_trials.`);
  }

  const training = (data.training ?? {}) as Record<string, unknown>;
  warnings.push(...src.checkKeys(['training'], data.training, ['allowed_training_algorithms', 'blocked_training_algorithms', 'enable_stack_ensemble', 'enable_vote_ensemble', 'enable_model_explainability', 'enable_onnx_compatible_models', 'stack_ensemble_settings', 'training_mode']));
  const known = ALGORITHMS[task];
  const names = (key: string) => {
    const v = training[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw src.error(['training', key], 'expected a list of algorithm names.');
    return v.map((a, i) => {
      const match = Object.keys(known).find((k) => k.toLowerCase() === String(a).toLowerCase());
      if (!match) throw src.error(['training', key, String(i)], `'${String(a)}' is not a ${task} algorithm here; use ${Object.keys(known).join(', ')}.`);
      return match;
    });
  };
  const blocked = new Set(names('blocked_training_algorithms') ?? []);
  const allowed = (names('allowed_training_algorithms') ?? DEFAULT_ALGORITHMS[task]).filter((a) => !blocked.has(a));
  if (!allowed.length) throw src.error(['training'], 'every algorithm is blocked: allow at least one.');
  const stack = training.enable_stack_ensemble === undefined ? false : Boolean(training.enable_stack_ensemble);
  if (training.enable_stack_ensemble === undefined) notes.push('training.enable_stack_ensemble: off unless set (Azure\'s default is on); set it to true for FLAML\'s stacked ensemble of the best models.');
  if (training.enable_vote_ensemble) notes.push('training.enable_vote_ensemble is accepted, not applied: FLAML builds stacked ensembles only (enable_stack_ensemble).');
  if (training.enable_onnx_compatible_models) notes.push('training.enable_onnx_compatible_models is accepted, not applied: the best model is an MLflow model; SQL converts scikit-learn models to ONNX where it can.');

  const feat = (data.featurization ?? {}) as Record<string, unknown>;
  warnings.push(...src.checkKeys(['featurization'], data.featurization, ['mode', 'column_name_and_types', 'transformer_params', 'blocked_transformers', 'enable_dnn_featurization', 'drop_columns']));
  const mode = String(feat.mode ?? 'auto');
  if (!['auto', 'off', 'custom'].includes(mode)) throw src.error(['featurization', 'mode'], "expected auto, off or custom.");
  const columnTypes = (feat.column_name_and_types ?? undefined) as Record<string, ColumnPurpose> | undefined;
  for (const [c, t] of Object.entries(columnTypes ?? {})) {
    if (!COLUMN_TYPES.includes(t)) throw src.error(['featurization', 'column_name_and_types', c], `'${t}' is not a column purpose; use ${COLUMN_TYPES.join(', ')}.`);
  }
  for (const k of ['transformer_params', 'blocked_transformers', 'enable_dnn_featurization']) {
    if (feat[k] !== undefined) notes.push(`featurization.${k} is accepted, not applied: FLAML imputes and encodes columns its own way.`);
  }
  if (data.log_verbosity !== undefined) notes.push('log_verbosity is accepted; the job log has the search\'s progress lines.');
  if (data.weight_column_name !== undefined) notes.push('weight_column_name is accepted, not applied: every row weighs the same.');

  const nCv = positive(src, data.n_cross_validations, ['n_cross_validations'], 'a number of folds');
  const valSize = positive(src, data.validation_data_size, ['validation_data_size'], 'a fraction');
  if (valSize !== undefined && valSize >= 1) throw src.error(['validation_data_size'], 'expected a fraction between 0 and 1.');

  // The data: mltable inputs of the command job; local folders are checked here, before upload.
  const base = path.dirname(path.resolve(src.file));
  const inputs: Record<string, unknown> = {};
  for (const key of DATA_KEYS) {
    const v = data[key] as Record<string, unknown> | undefined;
    if (v === undefined || v === null) {
      if (key === 'training_data') throw src.error([key], 'an AutoML job needs training_data: {type: mltable, path: ...}.');
      continue;
    }
    if (typeof v !== 'object' || typeof v.path !== 'string') throw src.error([key], 'expected {type: mltable, path: <folder with an MLTable file | azureml:name:version>}.');
    if ((v.type ?? 'mltable') !== 'mltable') throw src.error([key, 'type'], `AutoML reads tables as mltable, as Azure does; got '${String(v.type)}'.`);
    if (isLocalPath(v.path)) checkLocalTable(src, path.resolve(base, v.path), target, key, forecasting?.time_column_name);
    inputs[key] = { type: 'mltable', path: v.path };
  }

  const settings: AutomlSettings = {
    task, target_column_name: target, primary_metric: primary, ...(forecasting ? { forecasting } : {}),
    estimators: allowed.map((a) => known[a]),
    limits: { timeout_minutes: timeout, ...(maxTrials ? { max_trials: maxTrials } : {}), enable_early_termination: limits.enable_early_termination === undefined ? true : Boolean(limits.enable_early_termination) },
    training: { allowed_training_algorithms: allowed, enable_stack_ensemble: stack },
    featurization: { mode: mode as AutomlSettings['featurization']['mode'], ...(columnTypes ? { column_name_and_types: columnTypes } : {}), ...(Array.isArray(feat.drop_columns) ? { drop_columns: feat.drop_columns.map(String) } : {}) },
    ...(nCv ? { n_cross_validations: nCv } : {}),
    ...(valSize ? { validation_data_size: valSize } : {}),
  };
  for (const key of [...KNOWN.filter((k) => !['$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'compute', 'environment_variables'].includes(k))]) delete data[key];
  data.inputs = inputs;
  data.outputs = { best_model: { type: 'mlflow_model' } };
  data.command = automlCommand(settings, DATA_KEYS.filter((k) => inputs[k]));
  data.environment = 'azureml:stratus-automl@latest';
  const parsed = parseCommandJob(src, { ...opts, sets: [], allowType: true });
  parsed.spec.type = 'automl';
  parsed.spec.automl = settings;
  parsed.spec.notes.push(...notes);
  parsed.warnings.push(...warnings);
  return parsed;
}

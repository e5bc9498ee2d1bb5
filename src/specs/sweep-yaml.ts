/** The sweep part of an Azure ML sweep job or sweep step: search space, sampling, objective, limits, early termination. */
import type { YamlSource } from './yaml-source.ts';
import type { DistributionT as Distribution, EarlyTerminationT as EarlyTermination, SweepSettingsT as SweepSettings } from './jobs.ts';

const PARAMS: Record<Distribution['type'], string[]> = {
  choice: ['values'],
  randint: ['upper'],
  uniform: ['min_value', 'max_value'],
  loguniform: ['min_value', 'max_value'],
  quniform: ['min_value', 'max_value', 'q'],
  qloguniform: ['min_value', 'max_value', 'q'],
  normal: ['mu', 'sigma'],
  lognormal: ['mu', 'sigma'],
  qnormal: ['mu', 'sigma', 'q'],
  qlognormal: ['mu', 'sigma', 'q'],
};

function num(src: YamlSource, where: string[], value: unknown, least?: number): number {
  const n = Number(value);
  if (value === undefined || value === null || !Number.isFinite(n)) throw src.error(where, `expected a number, got ${JSON.stringify(value)}.`);
  if (least !== undefined && n < least) throw src.error(where, `expected at least ${least}, got ${n}.`);
  return n;
}

export function parseSearchSpace(src: YamlSource, raw: unknown, where: string[], warnings: string[] = []): Record<string, Distribution> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !Object.keys(raw).length) {
    throw src.error(where, 'a sweep needs a search_space mapping each hyperparameter to a distribution, e.g. {type: uniform, min_value: 0.01, max_value: 1}.');
  }
  const out: Record<string, Distribution> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const at = [...where, name];
    const v = (value ?? {}) as Record<string, unknown>;
    const type = String(v.type ?? '') as Distribution['type'];
    if (!PARAMS[type]) throw src.error([...at, 'type'], `unknown distribution '${v.type}'. Use ${Object.keys(PARAMS).join(', ')}.`);
    warnings.push(...src.checkKeys(at, v, ['type', ...PARAMS[type]]));
    if (type === 'choice') {
      if (!Array.isArray(v.values) || !v.values.length) throw src.error([...at, 'values'], 'choice needs a non-empty list of values.');
      out[name] = { type, values: v.values as (string | number | boolean)[] };
      continue;
    }
    const d: Record<string, unknown> = { type };
    for (const p of PARAMS[type]) d[p] = num(src, [...at, p], v[p], p === 'sigma' || p === 'q' || p === 'upper' ? Number.MIN_VALUE : undefined);
    if ('min_value' in d && (d.min_value as number) >= (d.max_value as number)) throw src.error([...at, 'max_value'], 'max_value must be greater than min_value.');
    out[name] = d as Distribution;
  }
  return out;
}

/** The settings each early-termination policy reads. */
const POLICY_KEYS: Record<EarlyTermination['type'], string[]> = {
  bandit: ['slack_factor', 'slack_amount'],
  median_stopping: [],
  truncation_selection: ['truncation_percentage'],
};

function parseEarlyTermination(src: YamlSource, raw: unknown, where: string[], warnings: string[]): EarlyTermination | undefined {
  if (raw === undefined || raw === null) return undefined;
  const v = raw as Record<string, unknown>;
  const type = String(v.type ?? '');
  if (!['bandit', 'median_stopping', 'truncation_selection'].includes(type)) {
    throw src.error([...where, 'type'], `unknown early_termination policy '${v.type}'. Use bandit, median_stopping or truncation_selection.`);
  }
  warnings.push(...src.checkKeys(where, v, ['type', 'evaluation_interval', 'delay_evaluation', ...POLICY_KEYS[type as EarlyTermination['type']]]));
  const policy: EarlyTermination = {
    type: type as EarlyTermination['type'],
    evaluation_interval: v.evaluation_interval === undefined ? 1 : num(src, [...where, 'evaluation_interval'], v.evaluation_interval, 1),
    delay_evaluation: v.delay_evaluation === undefined ? 0 : num(src, [...where, 'delay_evaluation'], v.delay_evaluation, 0),
  };
  if (type === 'bandit') {
    if (v.slack_factor === undefined && v.slack_amount === undefined) throw src.error(where, 'a bandit policy needs slack_factor or slack_amount.');
    if (v.slack_factor !== undefined) policy.slack_factor = num(src, [...where, 'slack_factor'], v.slack_factor, 0);
    if (v.slack_amount !== undefined) policy.slack_amount = num(src, [...where, 'slack_amount'], v.slack_amount, 0);
  }
  if (type === 'truncation_selection') {
    const pct = num(src, [...where, 'truncation_percentage'], v.truncation_percentage, 1);
    if (pct > 99) throw src.error([...where, 'truncation_percentage'], 'expected a percentage from 1 to 99.');
    policy.truncation_percentage = pct;
  }
  return policy;
}

/** Reads the sweep settings of `data` (a sweep job, or a `type: sweep` step at `where`); unused keys become warnings. */
export function parseSweepSettings(src: YamlSource, data: Record<string, unknown>, where: string[], warnings: string[]): SweepSettings {
  const sampling = data.sampling_algorithm;
  warnings.push(...src.checkKeys([...where, 'sampling_algorithm'], sampling, ['type', 'seed']));
  warnings.push(...src.checkKeys([...where, 'objective'], data.objective, ['goal', 'primary_metric']));
  warnings.push(...src.checkKeys([...where, 'limits'], data.limits, ['max_total_trials', 'max_concurrent_trials', 'timeout', 'trial_timeout']));
  const samplingType = String(typeof sampling === 'object' && sampling ? (sampling as Record<string, unknown>).type : sampling ?? 'random').toLowerCase();
  if (!['random', 'grid', 'bayesian'].includes(samplingType)) throw src.error([...where, 'sampling_algorithm'], `unknown sampling_algorithm '${samplingType}'. Use random, grid or bayesian.`);
  const seedRaw = typeof sampling === 'object' && sampling ? (sampling as Record<string, unknown>).seed : undefined;
  const objective = (data.objective ?? {}) as Record<string, unknown>;
  if (typeof objective.primary_metric !== 'string' || !objective.primary_metric) {
    throw src.error([...where, 'objective'], "a sweep needs objective.primary_metric (the MLflow metric the trial logs) and objective.goal (maximize or minimize).");
  }
  const goal = String(objective.goal ?? '').toLowerCase();
  if (goal !== 'maximize' && goal !== 'minimize') throw src.error([...where, 'objective', 'goal'], `expected maximize or minimize, got ${JSON.stringify(objective.goal)}.`);
  const limits = (data.limits ?? {}) as Record<string, unknown>;
  const search = parseSearchSpace(src, data.search_space, [...where, 'search_space'], warnings);
  if (samplingType === 'grid') {
    for (const [name, d] of Object.entries(search)) {
      if (d.type !== 'choice') throw src.error([...where, 'search_space', name, 'type'], `grid sampling takes choice distributions only, got ${d.type}.`);
    }
  }
  if (samplingType === 'bayesian' && data.early_termination) throw src.error([...where, 'early_termination'], 'bayesian sampling does not take an early_termination policy (as in Azure ML).');
  const maxTotal = limits.max_total_trials === undefined ? (samplingType === 'grid' ? gridSize(search) : 1000) : num(src, [...where, 'limits', 'max_total_trials'], limits.max_total_trials, 1);
  return {
    search_space: search,
    sampling_algorithm: { type: samplingType as SweepSettings['sampling_algorithm']['type'], seed: seedRaw === undefined ? undefined : num(src, [...where, 'sampling_algorithm', 'seed'], seedRaw) },
    objective: { goal, primary_metric: objective.primary_metric },
    limits: {
      max_total_trials: maxTotal,
      max_concurrent_trials: limits.max_concurrent_trials === undefined ? Math.min(maxTotal, 4) : num(src, [...where, 'limits', 'max_concurrent_trials'], limits.max_concurrent_trials, 1),
      timeout: limits.timeout === undefined ? undefined : num(src, [...where, 'limits', 'timeout'], limits.timeout, 1),
      trial_timeout: limits.trial_timeout === undefined ? undefined : num(src, [...where, 'limits', 'trial_timeout'], limits.trial_timeout, 1),
    },
    early_termination: parseEarlyTermination(src, data.early_termination, [...where, 'early_termination'], warnings),
  };
}

export function gridSize(space: Record<string, Distribution>): number {
  return Object.values(space).reduce((n, d) => n * (d.type === 'choice' ? d.values.length : 1), 1);
}

/** Sweep settings in Azure ML's YAML shape (search_space, sampling_algorithm, objective, limits, early_termination). */

export type Distribution =
  | { type: 'choice'; values: (string | number | boolean)[] }
  | { type: 'randint'; upper: number }
  | { type: 'uniform' | 'loguniform'; min_value: number; max_value: number }
  | { type: 'quniform' | 'qloguniform'; min_value: number; max_value: number; q: number }
  | { type: 'normal' | 'lognormal'; mu: number; sigma: number }
  | { type: 'qnormal' | 'qlognormal'; mu: number; sigma: number; q: number };

export interface EarlyTermination {
  type: 'bandit' | 'median_stopping' | 'truncation_selection';
  evaluation_interval: number;
  delay_evaluation: number;
  slack_factor?: number;
  slack_amount?: number;
  truncation_percentage?: number;
}

export interface SweepSettings {
  search_space: Record<string, Distribution>;
  sampling_algorithm: { type: 'random' | 'grid' | 'bayesian'; seed?: number };
  objective: { goal: 'maximize' | 'minimize'; primary_metric: string };
  limits: { max_total_trials: number; max_concurrent_trials: number; timeout?: number; trial_timeout?: number };
  early_termination?: EarlyTermination;
}

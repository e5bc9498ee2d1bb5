/**
 * AutoML's vocabulary as Azure names it — tasks, primary metrics, algorithms — and the command an
 * AutoML job runs, shared by the YAML reader (specs/automl-job.ts) and the studio's wizard.
 */
import { shellQuote } from '../util/shell.ts';
import type { z } from 'zod';
import type { AutomlSettings as AutomlSettingsSchema } from './jobs.ts';

export type AutomlSettings = z.infer<typeof AutomlSettingsSchema>;

export type AutomlTask = 'classification' | 'regression' | 'forecasting';

/** Azure's primary metrics per task; the first is Azure's default. */
export const PRIMARY_METRICS: Record<AutomlTask, string[]> = {
  classification: ['accuracy', 'AUC_weighted', 'average_precision_score_weighted', 'norm_macro_recall', 'precision_score_weighted'],
  regression: ['normalized_root_mean_squared_error', 'r2_score', 'spearman_correlation', 'normalized_mean_absolute_error'],
  forecasting: ['normalized_root_mean_squared_error', 'r2_score', 'spearman_correlation', 'normalized_mean_absolute_error'],
};

/** Azure's algorithm names and the FLAML estimators that stand for them. */
export const ALGORITHMS: Record<AutomlTask, Record<string, string>> = {
  classification: {
    LightGBM: 'lgbm', XGBoostClassifier: 'xgboost', RandomForest: 'rf', ExtremeRandomTrees: 'extra_tree',
    LogisticRegression: 'lrl2', KNN: 'kneighbor', SGD: 'sgd', LinearSVM: 'svc', GradientBoosting: 'histgb',
  },
  regression: {
    LightGBM: 'lgbm', XGBoostRegressor: 'xgboost', RandomForest: 'rf', ExtremeRandomTrees: 'extra_tree',
    KNN: 'kneighbor', SGD: 'sgd', ElasticNet: 'enet', LassoLars: 'lassolars', GradientBoosting: 'histgb',
  },
  // FLAML's time-series estimators (statsmodels) and its regressors over lags and calendar features.
  forecasting: {
    AutoArima: 'arima', Arimax: 'sarimax', ExponentialSmoothing: 'holt-winters', LightGBM: 'lgbm', XGBoostRegressor: 'xgboost',
    RandomForest: 'rf', ExtremeRandomTrees: 'extra_tree',
  },
};
/** Searched when the YAML allows no list of its own (the slow, rarely-best ones only when asked for). */
export const DEFAULT_ALGORITHMS: Record<AutomlTask, string[]> = {
  classification: ['LightGBM', 'XGBoostClassifier', 'RandomForest', 'ExtremeRandomTrees', 'LogisticRegression'],
  regression: ['LightGBM', 'XGBoostRegressor', 'RandomForest', 'ExtremeRandomTrees', 'ElasticNet'],
  forecasting: ['AutoArima', 'ExponentialSmoothing', 'LightGBM', 'RandomForest', 'ExtremeRandomTrees'],
};

/** The data inputs an AutoML job may have, in Azure's names. */
export const DATA_KEYS = ['training_data', 'validation_data', 'test_data'] as const;

/** The search's command line: its settings as JSON, each data input and the best model's output folder. */
export function automlCommand(settings: AutomlSettings, data: readonly (typeof DATA_KEYS)[number][]): string {
  const args = data.map((k) => `--${k.replace(/_/g, '-')} \${{inputs.${k}}}`).join(' ');
  return `python -m stratus_automl.run --settings ${shellQuote(JSON.stringify(settings))} ${args} --best-model \${{outputs.best_model}}`;
}

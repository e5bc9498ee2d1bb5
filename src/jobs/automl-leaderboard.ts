/**
 * What `job show` adds for an AutoML job: Azure's settings (task, metric, limits, training,
 * featurization), the best trial (`properties.automl_best_child_run_id`, as Azure names it) and a
 * leaderboard of the trials — the job run's child runs, best first by the primary metric.
 */
import type { Db } from '../store/db.ts';
import { searchRuns } from '../tracking/run-search.ts';
import type { RunService } from '../tracking/runs.ts';
import type { AutomlSettings, JobSpec } from '../specs/command-job.ts';
import type { JobRow } from './job-store.ts';

/** Trials listed at most (the rest are child runs of the job's run, searchable as any run). */
const LEADERBOARD_SIZE = 50;

const lowerIsBetter = (metric: string) => metric.startsWith('normalized_');

export async function automlDetails(db: Db, runs: RunService, row: JobRow): Promise<Record<string, unknown>> {
  const settings = (JSON.parse(row.spec) as JobSpec).automl as AutomlSettings;
  const metric = settings.primary_metric;
  const { runs: trials } = await searchRuns(db, runs, {
    experimentIds: [String(row.experiment_id)],
    filter: `tags.mlflow.parentRunId = '${row.run_id}'`,
    orderBy: [`metrics.\`${metric}\` ${lowerIsBetter(metric) ? 'ASC' : 'DESC'}`],
    maxResults: LEADERBOARD_SIZE,
  });
  const parent = await runs.get(row.run_id).catch(() => undefined);
  const best = parent?.data.tags?.find((t) => t.key === 'automl_best_child_run_id')?.value;
  return {
    task: settings.task,
    target_column_name: settings.target_column_name,
    primary_metric: metric,
    limits: settings.limits,
    training: settings.training,
    featurization: settings.featurization,
    ...(settings.forecasting ? { forecasting: settings.forecasting } : {}),
    ...(best ? { properties: { 'mlflow.run_id': row.run_id, 'mlflow.experiment_id': String(row.experiment_id), automl_best_child_run_id: best } } : {}),
    leaderboard: trials.map((t) => {
      const tag = (k: string) => t.data.tags?.find((x) => x.key === k)?.value;
      const value = t.data.metrics?.find((m) => m.key === metric)?.value;
      return { run_id: t.info.run_id, algorithm: tag('automl.algorithm'), [metric]: value, hyperparameters: Object.fromEntries((t.data.params ?? []).filter((p) => p.key !== 'algorithm' && p.key !== 'sample_size').map((p) => [p.key, p.value])) };
    }),
  };
}

/** Entities in MLflow's proto-JSON shape (snake_case, int64 as numbers, ids as strings). */
export interface KeyValue { key: string; value: string }

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  last_update_time: number;
  creation_time: number;
  tags?: KeyValue[];
}

export interface Metric { key: string; value: number | string; timestamp: number; step: number; model_id?: string; dataset_name?: string; dataset_digest?: string; run_id?: string }

export interface RunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: unknown[]; model_inputs?: { model_id: string }[] };
  outputs?: { model_outputs?: { model_id: string; step: number }[] };
}

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export function lifecycleStages(view: ViewType | undefined): string[] {
  if (view === 'DELETED_ONLY') return ['deleted'];
  if (view === 'ALL') return ['active', 'deleted'];
  return ['active'];
}

/** Proto-JSON encodes non-finite doubles as strings. */
export function jsonDouble(value: number, isNan = false): number | string {
  if (isNan || Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

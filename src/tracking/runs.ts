import type { Db } from '../store/db.ts';
import { invalid, notFound } from '../util/errors.ts';
import type { ExperimentService } from './experiments.ts';
import { newDatasetId, newRunId, randomRunName } from './ids.ts';
import { decodePageToken, encodePageToken } from './filter.ts';
import { jsonDouble, placeholders, RUN_STATUSES, type KeyValue, type Metric, type Run, type RunInfo } from '../specs/mlflow-entities.ts';
import { LIMITS, validateKey, validateLength, validateMaxResults, validateRunId } from './validation.ts';

export const RUN_NAME_TAG = 'mlflow.runName';

interface RunRow {
  run_uuid: string;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  experiment_id: number;
}

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface DatasetInput {
  dataset: { name: string; digest: string; source_type?: string; source?: string; schema?: string; profile?: string };
  tags?: KeyValue[];
}


export function runInfo(r: RunRow): RunInfo {
  const info: RunInfo = {
    run_id: r.run_uuid,
    run_uuid: r.run_uuid,
    run_name: r.name,
    experiment_id: String(r.experiment_id),
    user_id: r.user_id ?? '',
    status: r.status,
    start_time: Number(r.start_time),
    artifact_uri: r.artifact_uri,
    lifecycle_stage: r.lifecycle_stage,
  };
  if (r.end_time != null) info.end_time = Number(r.end_time);
  return info;
}

export class RunService {
  constructor(private db: Db, private experiments: ExperimentService) {}

  async create(opts: { experimentId?: string; userId?: string; runName?: string; startTime?: number; tags?: KeyValue[] }): Promise<Run> {
    const tags = opts.tags ?? [];
    for (const t of tags) {
      validateKey('Tag', t.key);
      validateLength('value', t.value, LIMITS.tagValue);
    }
    const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (opts.runName && tagName && opts.runName !== tagName) {
      throw invalid(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${opts.runName}', mlflow.runName='${tagName}').`);
    }
    const name = opts.runName || tagName || randomRunName();
    const runId = newRunId();
    const experimentId = opts.experimentId ?? '0';
    await this.db.tx(async (t) => {
      const exp = await this.experiments.requireActive(experimentId, t);
      const artifactUri = `${exp.artifact_location.replace(/\/+$/, '')}/${runId}/artifacts`;
      await t.run(
        `INSERT INTO runs (run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri, experiment_id)
         VALUES (?, ?, ?, 'RUNNING', ?, NULL, 'active', ?, ?)`,
        [runId, name, opts.userId ?? '', opts.startTime ?? Date.now(), artifactUri, Number(exp.experiment_id)],
      );
      const allTags = tags.filter((x) => x.key !== RUN_NAME_TAG).concat({ key: RUN_NAME_TAG, value: name });
      await this.upsertTags(t, runId, allTags);
    });
    return this.get(runId);
  }

  private async row(runId: string, db: Db = this.db): Promise<RunRow> {
    if (!runId) throw invalid("Missing value for required parameter 'run_id'.");
    const row = await db.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', [runId]);
    if (!row) throw notFound(`Run with id=${runId} not found`);
    return row;
  }

  /** Logging is allowed to any run that is not deleted (finished runs included, as in MLflow). */
  private async requireActive(runId: string, db: Db): Promise<RunRow> {
    const row = await this.row(runId, db);
    if (row.lifecycle_stage !== 'active') {
      throw invalid(`The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
    }
    return row;
  }

  async get(runId: string): Promise<Run> {
    const row = await this.row(runId);
    return (await this.hydrate([row]))[0];
  }

  /** Full runs for the given ids, in the order given. */
  async getMany(runIds: string[]): Promise<Run[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db.all<RunRow>(`SELECT * FROM runs WHERE run_uuid IN (${placeholders(runIds.length)})`, runIds);
    const byId = new Map(rows.map((r) => [r.run_uuid, r]));
    return this.hydrate(runIds.map((id) => byId.get(id)!).filter(Boolean));
  }

  async getInfo(runId: string): Promise<RunInfo> {
    return runInfo(await this.row(runId));
  }

  /** Loads metrics, params, tags, inputs and outputs for many runs in a few queries. */
  async hydrate(rows: RunRow[], db: Db = this.db): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_uuid);
    const inList = placeholders(ids.length);
    const [metrics, params, tags, inputs, modelInputs, modelOutputs] = await Promise.all([
      db.all<{ run_uuid: string; key: string; value: number; is_nan: number; timestamp: number; step: number }>(
        `SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_uuid IN (${inList})`, ids),
      db.all<{ run_uuid: string; key: string; value: string }>(`SELECT run_uuid, key, value FROM params WHERE run_uuid IN (${inList})`, ids),
      db.all<{ run_uuid: string; key: string; value: string }>(`SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (${inList})`, ids),
      db.all<{ run_uuid: string; tags: string; name: string; digest: string; source_type: string; source: string; schema: string; profile: string }>(
        `SELECT i.run_uuid, i.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
         FROM run_dataset_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid IN (${inList})`, ids),
      db.all<{ run_uuid: string; model_id: string }>(`SELECT run_uuid, model_id FROM run_model_inputs WHERE run_uuid IN (${inList})`, ids),
      db.all<{ run_uuid: string; model_id: string; step: number }>(`SELECT run_uuid, model_id, step FROM run_model_outputs WHERE run_uuid IN (${inList})`, ids),
    ]);
    const runs = new Map<string, Run>();
    for (const r of rows) runs.set(r.run_uuid, { info: runInfo(r), data: {}, inputs: {}, outputs: {} });
    const push = <T>(id: string, pick: (run: Run) => T[] | undefined, set: (run: Run, list: T[]) => void, item: T) => {
      const run = runs.get(id)!;
      const list = pick(run);
      if (list) list.push(item);
      else set(run, [item]);
    };
    for (const m of metrics) {
      push(m.run_uuid, (r) => r.data.metrics, (r, l) => (r.data.metrics = l),
        { key: m.key, value: jsonDouble(m.value, !!m.is_nan), timestamp: Number(m.timestamp), step: Number(m.step) } as Metric);
    }
    for (const p of params) push(p.run_uuid, (r) => r.data.params, (r, l) => (r.data.params = l), { key: p.key, value: p.value });
    for (const t of tags) push(t.run_uuid, (r) => r.data.tags, (r, l) => (r.data.tags = l), { key: t.key, value: t.value });
    for (const i of inputs) {
      const dataset: Record<string, string> = { name: i.name, digest: i.digest };
      for (const k of ['source_type', 'source', 'schema', 'profile'] as const) if (i[k] != null) dataset[k] = i[k];
      push(i.run_uuid, (r) => r.inputs!.dataset_inputs, (r, l) => (r.inputs!.dataset_inputs = l), { tags: JSON.parse(i.tags), dataset });
    }
    for (const m of modelInputs) push(m.run_uuid, (r) => r.inputs!.model_inputs, (r, l) => (r.inputs!.model_inputs = l), { model_id: m.model_id });
    for (const m of modelOutputs) {
      push(m.run_uuid, (r) => r.outputs!.model_outputs, (r, l) => (r.outputs!.model_outputs = l), { model_id: m.model_id, step: Number(m.step) });
    }
    return rows.map((r) => runs.get(r.run_uuid)!);
  }

  async update(runId: string, opts: { status?: string; endTime?: number; runName?: string }): Promise<RunInfo> {
    if (opts.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(opts.status)) {
      throw invalid(`Invalid value '${opts.status}' for parameter 'status'. Use one of ${RUN_STATUSES.join(', ')}.`);
    }
    await this.db.tx(async (t) => {
      await this.requireActive(runId, t);
      if (opts.status !== undefined) await t.run('UPDATE runs SET status = ? WHERE run_uuid = ?', [opts.status, runId]);
      if (opts.endTime !== undefined) await t.run('UPDATE runs SET end_time = ? WHERE run_uuid = ?', [opts.endTime, runId]);
      if (opts.runName) {
        await t.run('UPDATE runs SET name = ? WHERE run_uuid = ?', [opts.runName, runId]);
        await this.upsertTags(t, runId, [{ key: RUN_NAME_TAG, value: opts.runName }]);
      }
    });
    return this.getInfo(runId);
  }

  async setLifecycle(runId: string, stage: 'active' | 'deleted'): Promise<void> {
    await this.db.tx(async (t) => {
      const row = await this.row(runId, t);
      if (stage === 'active') {
        const exp = await this.experiments.get(String(row.experiment_id), t);
        if (exp.lifecycle_stage !== 'active') throw invalid(`Cannot restore run ${runId}: its experiment ${exp.experiment_id} is deleted. Restore the experiment first.`);
      }
      await t.run('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?', [stage, stage === 'deleted' ? Date.now() : null, runId]);
    });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    validateKey('Tag', key);
    validateLength('value', value, LIMITS.tagValue);
    await this.db.tx(async (t) => {
      await this.requireActive(runId, t);
      await this.upsertTags(t, runId, [{ key, value }]);
      if (key === RUN_NAME_TAG) await t.run('UPDATE runs SET name = ? WHERE run_uuid = ?', [value, runId]);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.requireActive(runId, t);
      const n = await t.run('DELETE FROM tags WHERE run_uuid = ? AND key = ?', [runId, key]);
      if (n === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  private async upsertTags(t: Db, runId: string, tags: KeyValue[]): Promise<void> {
    // Last write wins within one batch, as in MLflow.
    const dedup = new Map(tags.map((x) => [x.key, x.value]));
    await t.runMany(
      `INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value`,
      [...dedup].map(([k, v]) => [runId, k, v]),
    );
    const runName = dedup.get(RUN_NAME_TAG);
    if (runName !== undefined) await t.run('UPDATE runs SET name = ? WHERE run_uuid = ?', [runName, runId]);
  }

  async logBatch(runId: string, metrics: MetricInput[], params: KeyValue[], tags: KeyValue[]): Promise<void> {
    validateRunId(runId);
    if (metrics.length > LIMITS.metricsPerBatch) throw invalid(`A batch logging request can contain at most ${LIMITS.metricsPerBatch} metrics. Got ${metrics.length} metrics. Please split up metrics across multiple requests and try again.`);
    if (params.length > LIMITS.paramsTagsPerBatch) throw invalid(`A batch logging request can contain at most ${LIMITS.paramsTagsPerBatch} params. Got ${params.length} params. Please split up params across multiple requests and try again.`);
    if (tags.length > LIMITS.paramsTagsPerBatch) throw invalid(`A batch logging request can contain at most ${LIMITS.paramsTagsPerBatch} tags. Got ${tags.length} tags. Please split up tags across multiple requests and try again.`);
    const total = metrics.length + params.length + tags.length;
    if (total > LIMITS.entitiesPerBatch) throw invalid(`A batch logging request can contain at most ${LIMITS.entitiesPerBatch} metrics, params, and tags in total. Got ${total}. Please split up metrics, params, and tags across multiple requests and try again.`);
    for (const m of metrics) validateKey('Metric', m.key, 'metrics.key');
    for (const p of params) {
      validateKey('Param', p.key, 'params.key');
      validateLength('params.value', p.value, LIMITS.paramValue);
    }
    for (const t of tags) {
      validateKey('Tag', t.key, 'tags.key');
      validateLength('tags.value', t.value, LIMITS.tagValue);
    }
    const seen = new Set<string>();
    const dupes = new Set<string>();
    for (const p of params) (seen.has(p.key) ? dupes : seen).add(p.key);
    if (dupes.size) {
      throw invalid(`Duplicate parameter keys have been submitted: ${JSON.stringify([...dupes])}. Please ensure the request contains only one param value per param key.`);
    }
    await this.db.tx(async (t) => {
      await this.requireActive(runId, t);
      if (params.length) await this.insertParams(t, runId, params);
      if (metrics.length) await this.insertMetrics(t, runId, metrics);
      if (tags.length) await this.upsertTags(t, runId, tags);
    });
  }

  /** Params are immutable: the same value again is fine, a different one is an error. */
  private async insertParams(t: Db, runId: string, params: KeyValue[]): Promise<void> {
    const keys = params.map((p) => p.key);
    const existing = await t.all<{ key: string; value: string }>(
      `SELECT key, value FROM params WHERE run_uuid = ? AND key IN (${placeholders(keys.length)})`, [runId, ...keys]);
    const old = new Map(existing.map((e) => [e.key, e.value]));
    const changed = params.filter((p) => old.has(p.key) && old.get(p.key) !== p.value);
    if (changed.length) {
      const c = changed[0];
      throw invalid(
        `Changing param values is not allowed. Param with key='${c.key}' was already logged with value='${old.get(c.key)}' ` +
          `for run ID='${runId}'. Attempted logging new value '${c.value}'.`,
      );
    }
    const fresh = params.filter((p) => !old.has(p.key));
    await t.runMany('INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)', fresh.map((p) => [runId, p.key, p.value]));
  }

  private async insertMetrics(t: Db, runId: string, metrics: MetricInput[]): Promise<void> {
    const rows = metrics.map((m) => {
      const isNan = Number.isNaN(m.value) ? 1 : 0;
      return { ...m, value: isNan ? 0 : m.value, is_nan: isNan };
    });
    await t.runMany(
      `INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      rows.map((m) => [runId, m.key, m.value, m.is_nan, m.timestamp, m.step, m.model_id ?? null, m.dataset_name ?? null, m.dataset_digest ?? null]),
    );
    // latest_metrics keeps, per key, the value with the greatest (step, timestamp, value).
    const latest = new Map<string, (typeof rows)[number]>();
    for (const m of rows) {
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && (m.timestamp > cur.timestamp || (m.timestamp === cur.timestamp && m.value > cur.value)))) {
        latest.set(m.key, m);
      }
    }
    await t.runMany(
      `INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan,
         timestamp = excluded.timestamp, step = excluded.step
       WHERE excluded.step > latest_metrics.step
          OR (excluded.step = latest_metrics.step AND excluded.timestamp > latest_metrics.timestamp)
          OR (excluded.step = latest_metrics.step AND excluded.timestamp = latest_metrics.timestamp AND excluded.value > latest_metrics.value)`,
      [...latest.values()].map((m) => [runId, m.key, m.value, m.is_nan, m.timestamp, m.step]),
    );
    // Metrics logged against a logged model are recorded on the model too (MLflow 3).
    await t.runMany(
      `INSERT INTO logged_model_metrics (model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      rows.filter((m) => m.model_id).map((m) => [m.model_id!, m.key, m.value, m.is_nan, m.timestamp, m.step, runId, m.dataset_name ?? null, m.dataset_digest ?? null]),
    );
  }

  async logInputs(runId: string, datasets: DatasetInput[], models: { model_id: string }[]): Promise<void> {
    if (datasets.length > 1000) throw invalid('A log_inputs request can contain at most 1000 datasets.');
    for (const d of datasets) {
      if (!d.dataset?.name || !d.dataset?.digest) throw invalid("Each dataset input needs 'dataset.name' and 'dataset.digest'.");
      validateLength('dataset.name', d.dataset.name, 500);
      validateLength('dataset.digest', d.dataset.digest, 36);
    }
    await this.db.tx(async (t) => {
      const run = await this.requireActive(runId, t);
      for (const d of datasets) {
        const ds = d.dataset;
        let row = await t.get<{ dataset_uuid: string }>(
          'SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?', [run.experiment_id, ds.name, ds.digest]);
        if (!row) {
          row = { dataset_uuid: newDatasetId() };
          await t.run(
            `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [row.dataset_uuid, run.experiment_id, ds.name, ds.digest, ds.source_type ?? null, ds.source ?? null, ds.schema ?? null, ds.profile ?? null]);
        }
        await t.run(
          `INSERT INTO run_dataset_inputs (run_uuid, dataset_uuid, tags) VALUES (?, ?, ?) ON CONFLICT (run_uuid, dataset_uuid) DO NOTHING`,
          [runId, row.dataset_uuid, JSON.stringify(d.tags ?? [])]);
      }
      for (const m of models) {
        await t.run('INSERT INTO run_model_inputs (run_uuid, model_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [runId, m.model_id]);
      }
    });
  }

  async logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    await this.db.tx(async (t) => {
      await this.requireActive(runId, t);
      for (const m of models) {
        const model = await t.get('SELECT model_id FROM logged_models WHERE model_id = ?', [m.model_id]);
        if (!model) throw notFound(`Logged model with ID '${m.model_id}' not found.`);
        await t.run(
          `INSERT INTO run_model_outputs (run_uuid, model_id, step) VALUES (?, ?, ?)
           ON CONFLICT (run_uuid, model_id) DO UPDATE SET step = excluded.step`, [runId, m.model_id, m.step ?? 0]);
      }
    });
  }

  async metricHistory(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<{ metrics: Metric[]; next_page_token?: string }> {
    await this.row(runId);
    const offset = decodePageToken(pageToken);
    // Without max_results the whole history comes back in one page, as in MLflow; no LIMIT then,
    // so PostgreSQL plans the plain index range scan.
    const limit = maxResults === undefined ? Number.MAX_SAFE_INTEGER : validateMaxResults(maxResults, 0, Number.MAX_SAFE_INTEGER);
    const base = 'SELECT key, value, is_nan, timestamp, step FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, value';
    const rows = await this.db.all<{ key: string; value: number; is_nan: number; timestamp: number; step: number }>(
      maxResults === undefined && offset === 0 ? base : `${base} LIMIT ? OFFSET ?`,
      maxResults === undefined && offset === 0 ? [runId, key] : [runId, key, limit + 1, offset]);
    const metrics = rows.slice(0, limit).map((m) => ({
      key: m.key, value: jsonDouble(m.value, !!m.is_nan), timestamp: Number(m.timestamp), step: Number(m.step),
    }));
    const next = rows.length > limit ? encodePageToken(offset + limit) : undefined;
    return { metrics, next_page_token: next };
  }

  /**
   * Metric history for several runs, sampled to at most `maxResults` points per run over the
   * step range (the UI's chart endpoint): the first and last step are always kept.
   */
  async metricHistoryBulkInterval(runIds: string[], key: string, startStep?: number, endStep?: number, maxResults = 320) {
    if (runIds.length === 0) throw invalid("GetMetricHistoryBulkInterval request must specify at least one run_id.");
    if (runIds.length > 100) throw invalid('GetMetricHistoryBulkInterval request cannot specify more than 100 run_ids.');
    if (maxResults <= 0 || maxResults > 1000) throw invalid(`max_results must be between 1 and 1000, got ${maxResults}.`);
    if ((startStep === undefined) !== (endStep === undefined)) throw invalid('If either start_step or end_step are specified, both must be specified.');
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) throw invalid('end_step must be greater than start_step.');
    const out: Metric[] = [];
    for (const runId of runIds) {
      const range = startStep !== undefined ? ' AND step >= ? AND step <= ?' : '';
      const rows = await this.db.all<{ value: number; is_nan: number; timestamp: number; step: number }>(
        `SELECT value, is_nan, timestamp, step FROM metrics WHERE run_uuid = ? AND key = ?${range} ORDER BY step, timestamp`,
        startStep !== undefined ? [runId, key, startStep, endStep!] : [runId, key]);
      const steps = [...new Set(rows.map((r) => Number(r.step)))];
      let keep: Set<number>;
      if (steps.length <= maxResults) keep = new Set(steps);
      else {
        keep = new Set([steps[0], steps[steps.length - 1]]);
        const stride = (steps.length - 1) / (maxResults - 1);
        for (let i = 1; i < maxResults - 1; i++) keep.add(steps[Math.round(i * stride)]);
      }
      for (const r of rows) {
        if (keep.has(Number(r.step))) {
          out.push({ key, value: jsonDouble(r.value, !!r.is_nan), timestamp: Number(r.timestamp), step: Number(r.step), run_id: runId });
        }
      }
    }
    return { metrics: out };
  }
}

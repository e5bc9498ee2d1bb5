/** MLflow 3 logged models: the model objects `log_model` creates, finalizes and links to runs. */
import type { Db } from '../store/db.ts';
import { invalid, notFound } from '../util/errors.ts';
import type { ExperimentService } from './experiments.ts';
import { comparison, decodePageToken, encodePageToken, parseFilter, requireNumeric, requireString } from './filter.ts';
import { newModelId, randomRunName } from './ids.ts';
import { jsonDouble, placeholders, type KeyValue } from '../specs/mlflow-entities.ts';
import { LIMITS, validateKey, validateLength, validateMaxResults } from './validation.ts';

const STATUSES = ['LOGGED_MODEL_STATUS_UNSPECIFIED', 'LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'];

interface ModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: string;
  lifecycle_stage: string;
  model_type: string | null;
  source_run_id: string | null;
  status_message: string | null;
}

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  model_id: 'lm.model_id', name: 'lm.name', model_type: 'lm.model_type', status: 'lm.status',
  source_run_id: 'lm.source_run_id', creation_timestamp: 'lm.creation_timestamp_ms', creation_time: 'lm.creation_timestamp_ms',
  last_updated_timestamp: 'lm.last_updated_timestamp_ms', experiment_id: 'lm.experiment_id',
};

export class LoggedModelService {
  constructor(private db: Db, private experiments: ExperimentService) {}

  async create(opts: { experimentId: string; name?: string; modelType?: string; sourceRunId?: string; params?: KeyValue[]; tags?: KeyValue[] }) {
    const modelId = newModelId();
    const now = Date.now();
    for (const p of opts.params ?? []) validateKey('Param', p.key, 'params.key');
    for (const t of opts.tags ?? []) validateKey('Tag', t.key, 'tags.key');
    await this.db.tx(async (t) => {
      const exp = await this.experiments.requireActive(opts.experimentId, t);
      if (opts.sourceRunId) {
        const run = await t.get('SELECT 1 AS x FROM runs WHERE run_uuid = ?', [opts.sourceRunId]);
        if (!run) throw notFound(`Run with id=${opts.sourceRunId} not found`);
      }
      const location = `${exp.artifact_location.replace(/\/+$/, '')}/models/${modelId}/artifacts`;
      await t.run(
        `INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms,
           status, lifecycle_stage, model_type, source_run_id, status_message)
         VALUES (?, ?, ?, ?, ?, ?, 'LOGGED_MODEL_PENDING', 'active', ?, ?, NULL)`,
        [modelId, Number(exp.experiment_id), opts.name || randomRunName(), location, now, now, opts.modelType ?? null, opts.sourceRunId ?? null],
      );
      for (const p of opts.params ?? []) {
        await t.run('INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value', [modelId, p.key, p.value]);
      }
      for (const tag of opts.tags ?? []) {
        await t.run('INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value', [modelId, tag.key, tag.value]);
      }
    });
    return this.get(modelId);
  }

  private async row(modelId: string, db: Db = this.db): Promise<ModelRow> {
    const row = await db.get<ModelRow>(`SELECT * FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'`, [modelId]);
    if (!row) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return row;
  }

  async get(modelId: string, db: Db = this.db) {
    return (await this.hydrate([await this.row(modelId, db)], db))[0];
  }

  async artifactLocation(modelId: string): Promise<string> {
    return (await this.row(modelId)).artifact_location;
  }

  private async hydrate(rows: ModelRow[], db: Db = this.db) {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const list = placeholders(ids.length);
    const [params, tags, metrics] = await Promise.all([
      db.all<{ model_id: string; key: string; value: string }>(`SELECT * FROM logged_model_params WHERE model_id IN (${list})`, ids),
      db.all<{ model_id: string; key: string; value: string }>(`SELECT * FROM logged_model_tags WHERE model_id IN (${list})`, ids),
      db.all<any>(`SELECT * FROM logged_model_metrics WHERE model_id IN (${list}) ORDER BY step, timestamp`, ids),
    ]);
    return rows.map((r) => {
      const info: Record<string, unknown> = {
        model_id: r.model_id,
        experiment_id: String(r.experiment_id),
        name: r.name,
        artifact_uri: r.artifact_location,
        creation_timestamp_ms: Number(r.creation_timestamp_ms),
        last_updated_timestamp_ms: Number(r.last_updated_timestamp_ms),
        status: r.status,
      };
      if (r.model_type) info.model_type = r.model_type;
      if (r.source_run_id) info.source_run_id = r.source_run_id;
      if (r.status_message) info.status_message = r.status_message;
      const t = tags.filter((x) => x.model_id === r.model_id).map((x) => ({ key: x.key, value: x.value }));
      if (t.length) info.tags = t;
      const data: Record<string, unknown> = {};
      const p = params.filter((x) => x.model_id === r.model_id).map((x) => ({ key: x.key, value: x.value }));
      if (p.length) data.params = p;
      const m = metrics.filter((x) => x.model_id === r.model_id).map((x) => {
        const out: Record<string, unknown> = {
          key: x.key, value: jsonDouble(x.value, !!x.is_nan), timestamp: Number(x.timestamp), step: Number(x.step), run_id: x.run_id, model_id: r.model_id,
        };
        if (x.dataset_name) out.dataset_name = x.dataset_name;
        if (x.dataset_digest) out.dataset_digest = x.dataset_digest;
        return out;
      });
      if (m.length) data.metrics = m;
      return { info, data };
    });
  }

  async finalize(modelId: string, status: string) {
    if (!STATUSES.includes(status) || status === 'LOGGED_MODEL_STATUS_UNSPECIFIED') {
      throw invalid(`Invalid value '${status}' for parameter 'status'. Use LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.`);
    }
    await this.db.tx(async (t) => {
      await this.row(modelId, t);
      await t.run('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?', [status, Date.now(), modelId]);
    });
    return this.get(modelId);
  }

  async delete(modelId: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.row(modelId, t);
      await t.run(`UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE model_id = ?`, [Date.now(), modelId]);
    });
  }

  async setTags(modelId: string, tags: KeyValue[], db?: Db): Promise<void> {
    for (const tag of tags) {
      validateKey('Tag', tag.key, 'tags.key');
      validateLength('tags.value', tag.value, LIMITS.tagValue);
    }
    const work = async (t: Db) => {
      await this.row(modelId, t);
      for (const tag of tags) {
        await t.run('INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value', [modelId, tag.key, tag.value]);
      }
      await t.run('UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?', [Date.now(), modelId]);
    };
    await (db ? work(db) : this.db.tx(work));
  }

  async deleteTag(modelId: string, key: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.row(modelId, t);
      const n = await t.run('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', [modelId, key]);
      if (n === 0) throw notFound(`No tag with key '${key}' found for logged model '${modelId}'.`);
    });
  }

  async logParams(modelId: string, params: KeyValue[]): Promise<void> {
    for (const p of params) {
      validateKey('Param', p.key, 'params.key');
      validateLength('params.value', p.value, LIMITS.paramValue);
    }
    await this.db.tx(async (t) => {
      await this.row(modelId, t);
      for (const p of params) {
        await t.run('INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value', [modelId, p.key, p.value]);
      }
    });
  }

  async search(opts: { experimentIds: string[]; filter?: string; maxResults?: number; pageToken?: string; orderBy?: { field_name: string; ascending?: boolean }[] }) {
    const max = validateMaxResults(opts.maxResults, 100);
    const offset = decodePageToken(opts.pageToken);
    if (!opts.experimentIds.length) throw invalid("Missing value for required parameter 'experiment_ids'.");
    const ids = opts.experimentIds.map((id) => {
      if (!/^\d{1,18}$/.test(id)) throw invalid(`Invalid experiment ID '${id.slice(0, 40)}'.`);
      return Number(id);
    });
    const where: string[] = [`lm.experiment_id IN (${placeholders(ids.length)})`, `lm.lifecycle_stage = 'active'`];
    const params: (string | number)[] = [...ids];
    for (const c of parseFilter(opts.filter)) {
      if (c.entity === 'metric') {
        const v = requireNumeric(c);
        where.push(`EXISTS (SELECT 1 FROM logged_model_metrics m WHERE m.model_id = lm.model_id AND m.key = ? AND m.value ${c.op} ?)`);
        params.push(c.key, v);
      } else if (c.entity === 'param' || c.entity === 'tag') {
        requireString(c);
        const table = c.entity === 'param' ? 'logged_model_params' : 'logged_model_tags';
        const cmp = comparison('x.value', c.op, c.value);
        where.push(`EXISTS (SELECT 1 FROM ${table} x WHERE x.model_id = lm.model_id AND x.key = ? AND ${cmp.sql})`);
        params.push(c.key, ...cmp.params);
      } else if (c.entity === 'attribute' && ATTRIBUTE_COLUMNS[c.key]) {
        const numeric = /timestamp|time/.test(c.key);
        if (numeric) {
          where.push(`${ATTRIBUTE_COLUMNS[c.key]} ${c.op} ?`);
          params.push(requireNumeric(c));
        } else {
          requireString(c);
          const value = c.key === 'status' && typeof c.value === 'string' && !c.value.startsWith('LOGGED_MODEL_') ? `LOGGED_MODEL_${c.value}` : c.value;
          const cmp = comparison(ATTRIBUTE_COLUMNS[c.key], c.op, value);
          where.push(cmp.sql);
          params.push(...cmp.params);
        }
      } else {
        throw invalid(`Invalid filter key '${c.key}' for logged models. Use name, model_id, status, source_run_id, metrics.<key>, params.<key> or tags.<key>.`);
      }
    }
    const order = (opts.orderBy ?? []).map((o) => {
      const col = ATTRIBUTE_COLUMNS[o.field_name];
      if (!col) throw invalid(`Invalid order_by field '${o.field_name}' for logged models.`);
      return `${col} ${o.ascending === false ? 'DESC' : 'ASC'}`;
    });
    order.push('lm.creation_timestamp_ms DESC', 'lm.model_id ASC');
    const rows = await this.db.all<ModelRow>(
      `SELECT * FROM logged_models lm WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
      [...params, max + 1, offset],
    );
    return {
      models: await this.hydrate(rows.slice(0, max)),
      next_page_token: rows.length > max ? encodePageToken(offset + max) : undefined,
    };
  }
}

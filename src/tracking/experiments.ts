import type { Db } from '../store/db.ts';
import type { RowFilter } from '../store/row-filter.ts';
import { alreadyExists, invalid, isUniqueViolation, notFound } from '../util/errors.ts';
import { mlflowArtifactsPath, storeSegments, validateArtifactLocation } from '../artifacts/uri-policy.ts';
import { comparison, decodePageToken, encodePageToken, parseFilter, parseOrderBy, requireNumeric, requireString } from './filter.ts';
import { lifecycleStages, placeholders, type Experiment, type KeyValue, type ViewType } from '../specs/mlflow-entities.ts';
import { LIMITS, validateKey, validateLength, validateMaxResults } from './validation.ts';

interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

export const DEFAULT_EXPERIMENT_ID = '0';

/** Experiment folders are looked for at most this deep in the store. */
const MAX_LOCATION_DEPTH = 32;

/** Both spellings of an `mlflow-artifacts:` location for a store path. */
const locationForms = (rel: string) => [`mlflow-artifacts:/${rel}`, `mlflow-artifacts:///${rel}`, `mlflow-artifacts:/${rel}/`, `mlflow-artifacts:///${rel}/`];

function parseExperimentId(id: unknown): number {
  const s = String(id ?? '');
  // Ids are BIGINTs: a longer string of digits cannot name one (and would overflow the column).
  if (!/^\d{1,18}$/.test(s)) throw notFound(`No Experiment with id=${s.slice(0, 40)} exists`);
  return Number(s);
}

export class ExperimentService {
  constructor(private db: Db) {}

  /** Creates the "Default" experiment (id 0) the first time a store is opened. */
  async ensureDefault(): Promise<void> {
    await this.db.tx(async (t) => {
      const row = await t.get('SELECT experiment_id FROM experiments WHERE experiment_id = 0');
      if (row) return;
      const now = Date.now();
      await t.run(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', ?, ?)`,
        [now, now],
      );
    });
  }

  async create(name: string, artifactLocation?: string, tags: KeyValue[] = []): Promise<string> {
    if (!name || typeof name !== 'string') throw invalid("Invalid experiment name: ''. Give the experiment a non-empty name.");
    validateLength('name', name, LIMITS.experimentName);
    if (artifactLocation) {
      validateArtifactLocation(artifactLocation, 'artifact_location');
      if (artifactLocation.startsWith('mlflow-artifacts:')) await this.assertUnclaimedFolder(artifactLocation);
    }
    for (const tag of tags) this.validateTag(tag.key, tag.value);
    try {
      return await this.db.tx(async (t) => {
        await t.lock('experiments');
        const existing = await t.get<ExperimentRow>('SELECT lifecycle_stage FROM experiments WHERE name = ?', [name]);
        if (existing) {
          const deleted = existing.lifecycle_stage === 'deleted' ? ' (it is deleted: restore it or permanently delete it first)' : '';
          throw alreadyExists(`Experiment(name=${name}) already exists${deleted}.`);
        }
        const next = await t.get<{ id: number }>('SELECT COALESCE(MAX(experiment_id), 0) + 1 AS id FROM experiments');
        const id = Number(next!.id);
        const now = Date.now();
        await t.run(
          `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
           VALUES (?, ?, ?, 'active', ?, ?)`,
          [id, name, artifactLocation || `mlflow-artifacts:/${id}`, now, now],
        );
        for (const tag of tags) {
          await t.run('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)', [id, tag.key, tag.value]);
        }
        return String(id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Experiment(name=${name}) already exists.`);
      throw err;
    }
  }

  /**
   * The experiment whose artifact folder strictly contains a store path (`<exp>/<run>/…`), if
   * any: clients may change files there and nowhere else in the store.
   */
  async owningExperiment(segments: string[]): Promise<{ experimentId: string; depth: number } | undefined> {
    const prefixes: string[] = [];
    for (let k = 1; k < segments.length && k <= MAX_LOCATION_DEPTH; k++) prefixes.push(...locationForms(segments.slice(0, k).join('/')));
    if (prefixes.length === 0) return undefined;
    const row = await this.db.get<{ experiment_id: number; artifact_location: string }>(
      `SELECT experiment_id, artifact_location FROM experiments WHERE artifact_location IN (${placeholders(prefixes.length)}) LIMIT 1`, prefixes);
    if (!row) return undefined;
    return { experimentId: String(row.experiment_id), depth: storeSegments(mlflowArtifactsPath(row.artifact_location)).length };
  }

  /** A new experiment's folder must not lie inside another's, nor contain one. */
  private async assertUnclaimedFolder(location: string): Promise<void> {
    const segments = storeSegments(mlflowArtifactsPath(location));
    if (segments.length > MAX_LOCATION_DEPTH) throw invalid(`Invalid artifact_location '${location}': at most ${MAX_LOCATION_DEPTH} folders deep.`);
    const rel = segments.join('/');
    const inside = await this.owningExperiment([...segments, '_']);
    const escaped = rel.replace(/[\\%_]/g, (c) => `\\${c}`);
    const contains = await this.db.get<{ experiment_id: number }>(
      `SELECT experiment_id FROM experiments WHERE artifact_location LIKE ? ESCAPE '\\' OR artifact_location LIKE ? ESCAPE '\\' LIMIT 1`,
      [`mlflow-artifacts:/${escaped}/%`, `mlflow-artifacts:///${escaped}/%`]);
    const other = inside?.experimentId ?? (contains ? String(contains.experiment_id) : undefined);
    if (other !== undefined) throw invalid(`Invalid artifact_location '${location}': it overlaps the artifact folder of experiment ${other}.`);
  }

  private validateTag(key: string, value: string): void {
    if (!key) throw invalid("Missing value for required parameter 'key'.");
    validateLength('key', key, LIMITS.experimentTagKey);
    validateLength('value', value, LIMITS.experimentTagValue);
  }

  async get(experimentId: string, db: Db = this.db): Promise<Experiment> {
    const id = parseExperimentId(experimentId);
    const row = await db.get<ExperimentRow>('SELECT * FROM experiments WHERE experiment_id = ?', [id]);
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
    return (await this.hydrate([row], db))[0];
  }

  async getByName(name: string): Promise<Experiment> {
    const row = await this.db.get<ExperimentRow>('SELECT * FROM experiments WHERE name = ?', [name]);
    if (!row) throw notFound(`Could not find experiment with name '${name}'`);
    return (await this.hydrate([row]))[0];
  }

  /** Throws unless the experiment exists and is active (runs may only be created there). */
  async requireActive(experimentId: string, db: Db = this.db): Promise<Experiment> {
    const exp = await this.get(experimentId, db);
    if (exp.lifecycle_stage !== 'active') {
      throw invalid(`The experiment ${experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`);
    }
    return exp;
  }

  private async hydrate(rows: ExperimentRow[], db: Db = this.db): Promise<Experiment[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.experiment_id);
    const tags = await db.all<{ experiment_id: number; key: string; value: string }>(
      `SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (${placeholders(ids.length)})`,
      ids,
    );
    const byId = new Map<number, KeyValue[]>();
    for (const t of tags) {
      const list = byId.get(Number(t.experiment_id)) ?? [];
      list.push({ key: t.key, value: t.value });
      byId.set(Number(t.experiment_id), list);
    }
    return rows.map((r) => {
      const exp: Experiment = {
        experiment_id: String(r.experiment_id),
        name: r.name,
        artifact_location: r.artifact_location,
        lifecycle_stage: r.lifecycle_stage,
        last_update_time: Number(r.last_update_time),
        creation_time: Number(r.creation_time),
      };
      const t = byId.get(Number(r.experiment_id));
      if (t) exp.tags = t;
      return exp;
    });
  }

  /** `visible` keeps only the experiments a caller may read (the rest are not counted or paged over). */
  async search(opts: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string; viewType?: ViewType; visible?: RowFilter }) {
    const max = validateMaxResults(opts.maxResults, 1000);
    const offset = decodePageToken(opts.pageToken);
    const where: string[] = [];
    const params: (string | number)[] = [];
    const stages = lifecycleStages(opts.viewType);
    where.push(`e.lifecycle_stage IN (${placeholders(stages.length)})`);
    params.push(...stages);
    for (const c of parseFilter(opts.filter)) {
      if (c.entity === 'tag') {
        requireString(c);
        const cmp = comparison('t.value', c.op, c.value);
        if (c.op === 'IS NULL') {
          where.push('NOT EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ?)');
          params.push(c.key);
        } else {
          where.push(`EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ? AND ${cmp.sql})`);
          params.push(c.key, ...cmp.params);
        }
      } else if (c.entity === 'attribute' && c.key === 'name') {
        requireString(c);
        const cmp = comparison('e.name', c.op, c.value);
        where.push(cmp.sql);
        params.push(...cmp.params);
      } else if (c.entity === 'attribute' && (c.key === 'creation_time' || c.key === 'last_update_time')) {
        const v = requireNumeric(c);
        where.push(`e.${c.key} ${c.op} ?`);
        params.push(v);
      } else {
        throw invalid(`Invalid attribute key '${c.key}' in experiment filter. Use name, creation_time, last_update_time or tags.<key>.`);
      }
    }
    if (opts.visible) {
      const v = opts.visible('e.experiment_id');
      where.push(v.sql);
      params.push(...v.params);
    }
    const order: string[] = [];
    for (const term of opts.orderBy ?? []) {
      const o = parseOrderBy(term);
      const col = { name: 'e.name', experiment_id: 'e.experiment_id', creation_time: 'e.creation_time', last_update_time: 'e.last_update_time' }[o.key];
      if (o.entity !== 'attribute' || !col) {
        throw invalid(`Invalid order_by entity '${term}'. Order experiments by name, experiment_id, creation_time or last_update_time.`);
      }
      order.push(`${col} ${o.ascending ? 'ASC' : 'DESC'}`);
    }
    order.push('e.creation_time DESC', 'e.experiment_id ASC');
    const rows = await this.db.all<ExperimentRow>(
      `SELECT * FROM experiments e WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
      [...params, max + 1, offset],
    );
    const page = rows.slice(0, max);
    return {
      experiments: await this.hydrate(page),
      next_page_token: rows.length > max ? encodePageToken(offset + max) : undefined,
    };
  }

  async rename(experimentId: string, newName: string): Promise<void> {
    if (!newName) throw invalid("Missing value for required parameter 'new_name'.");
    validateLength('new_name', newName, LIMITS.experimentName);
    await this.db.tx(async (t) => {
      await t.lock('experiments');
      const exp = await this.get(experimentId, t);
      if (exp.lifecycle_stage !== 'active') throw invalid(`Cannot rename a non-active experiment ${experimentId}. Restore it first.`);
      const clash = await t.get('SELECT 1 AS x FROM experiments WHERE name = ? AND experiment_id <> ?', [newName, Number(experimentId)]);
      if (clash) throw alreadyExists(`Experiment(name=${newName}) already exists.`);
      await t.run('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?', [newName, Date.now(), Number(experimentId)]);
    });
  }

  /** Deleting an experiment soft-deletes its runs as well; restoring brings them back. */
  async setLifecycle(experimentId: string, stage: 'active' | 'deleted'): Promise<void> {
    await this.db.tx(async (t) => {
      const exp = await this.get(experimentId, t);
      if (stage === 'active' && exp.lifecycle_stage === 'active') {
        throw invalid(`Cannot restore an active experiment ${experimentId}.`);
      }
      if (stage === 'deleted' && exp.lifecycle_stage === 'deleted') {
        throw invalid(`Cannot delete an already deleted experiment ${experimentId}.`);
      }
      const now = Date.now();
      await t.run('UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?', [stage, now, Number(experimentId)]);
      if (stage === 'deleted') {
        await t.run(`UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'`, [now, Number(experimentId)]);
      } else {
        await t.run(`UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ? AND lifecycle_stage = 'deleted'`, [Number(experimentId)]);
      }
    });
  }

  async setTag(experimentId: string, key: string, value: string): Promise<void> {
    this.validateTag(key, value);
    await this.db.tx(async (t) => {
      const exp = await this.get(experimentId, t);
      if (exp.lifecycle_stage !== 'active') throw invalid(`The experiment ${experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`);
      await t.run(
        `INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`,
        [Number(experimentId), key, value],
      );
    });
  }

  async deleteTag(experimentId: string, key: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.get(experimentId, t);
      const n = await t.run('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?', [Number(experimentId), key]);
      if (n === 0) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    });
  }
}

/** The model registry: registered models, versions, stages, tags and aliases. */
import { currentActor } from '../util/actor.ts';
import type { Db } from '../store/db.ts';
import type { RowFilter } from '../store/row-filter.ts';
import { alreadyExists, invalid, isUniqueViolation, notFound } from '../util/errors.ts';
import { mlflowArtifactsPath, storeSegments, validateModelSource } from '../artifacts/uri-policy.ts';
import type { ExperimentService } from './experiments.ts';
import { comparison, decodePageToken, encodePageToken, parseFilter, parseOrderBy, requireNumeric, requireString, type Clause } from './filter.ts';
import type { LoggedModelService } from './logged-models.ts';
import type { RunService } from './runs.ts';
import { placeholders, type KeyValue } from '../specs/mlflow-entities.ts';
import { LIMITS, validateLength, validateMaxResults } from './validation.ts';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
const DELETED_STAGE = 'Deleted_Internal';

interface VersionRow {
  name: string; version: number; creation_time: number; last_updated_time: number; description: string | null;
  user_id: string | null; current_stage: string; source: string | null; run_id: string | null; run_link: string | null;
  status: string; status_message: string | null; storage_location: string | null; model_id: string | null;
}
interface ModelRow { name: string; creation_time: number; last_updated_time: number; description: string | null }

function canonicalStage(stage: string): string {
  const found = STAGES.find((s) => s.toLowerCase() === String(stage).toLowerCase());
  if (!found) throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

function parseVersion(version: unknown): number {
  const s = String(version ?? '');
  if (!/^\d{1,15}$/.test(s)) throw invalid(`Parameter 'version' must be a positive integer of at most 15 digits, got '${s.slice(0, 40)}'.`);
  return Number(s);
}

function validateModelName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalid("Missing value for required parameter 'name'.");
  if (name.includes('/') || name.includes('\0')) throw invalid(`Invalid registered model name '${name}': names cannot contain '/'.`);
  return name;
}

function validateAlias(alias: string): void {
  if (!alias) throw invalid("Missing value for required parameter 'alias'.");
  if (!/^[\w-]*$/.test(alias)) throw invalid(`Invalid alias name: '${alias}'. Alias names may only contain alphanumerics, underscores and dashes.`);
  if (alias.length > LIMITS.aliasLength) throw invalid(`Alias name '${alias}' exceeds the maximum length of ${LIMITS.aliasLength} characters.`);
  if (/^v\d+$/i.test(alias)) throw invalid(`Invalid alias name: '${alias}'. Aliases of the form v<number> are reserved for version numbers.`);
  if (alias.toLowerCase() === 'latest') throw invalid(`Invalid alias name: '${alias}'. 'latest' is reserved.`);
}

/**
 * Registry tag filters. As in MLflow's registry, `tags.k != 'v'` also matches objects without
 * the tag: the client relies on it to hide prompts (`tags.mlflow.prompt.is_prompt != 'true'`).
 */
function registryTagClause(c: Clause, table: string, join: string): { sql: string; params: (string | number)[] } {
  requireString(c);
  if (c.op === '!=') return { sql: `NOT EXISTS (SELECT 1 FROM ${table} WHERE ${join} AND x.key = ? AND x.value = ?)`, params: [c.key, c.value as string] };
  if (c.op === 'IS NULL') return { sql: `NOT EXISTS (SELECT 1 FROM ${table} WHERE ${join} AND x.key = ?)`, params: [c.key] };
  const cmp = comparison('x.value', c.op, c.value);
  return { sql: `EXISTS (SELECT 1 FROM ${table} WHERE ${join} AND x.key = ? AND ${cmp.sql})`, params: [c.key, ...cmp.params] };
}

export class RegistryService {
  private versionListeners: ((name: string, version: string) => void)[] = [];

  constructor(private db: Db, private runs: RunService, private loggedModels: LoggedModelService, private experiments: ExperimentService) {}

  /** Called after each new model version is stored (e.g. to convert it to ONNX in the background). */
  onVersionCreated(listener: (name: string, version: string) => void): void {
    this.versionListeners.push(listener);
  }

  private async modelRow(name: string, db: Db = this.db): Promise<ModelRow> {
    validateModelName(name);
    const row = await db.get<ModelRow>('SELECT * FROM registered_models WHERE name = ?', [name]);
    if (!row) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  private async versionRow(name: string, version: unknown, db: Db = this.db): Promise<VersionRow> {
    const v = parseVersion(version);
    const row = await db.get<VersionRow>(`SELECT * FROM model_versions WHERE name = ? AND version = ? AND current_stage <> ?`, [name, v, DELETED_STAGE]);
    if (!row) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    return row;
  }

  private async versionsJson(rows: VersionRow[], db: Db = this.db) {
    if (rows.length === 0) return [];
    const names = [...new Set(rows.map((r) => r.name))];
    const [tags, aliases] = await Promise.all([
      db.all<{ name: string; version: number; key: string; value: string }>(`SELECT * FROM model_version_tags WHERE name IN (${placeholders(names.length)})`, names),
      db.all<{ name: string; alias: string; version: number }>(`SELECT * FROM registered_model_aliases WHERE name IN (${placeholders(names.length)})`, names),
    ]);
    return rows.map((r) => {
      const mv: Record<string, unknown> = {
        name: r.name,
        version: String(r.version),
        creation_timestamp: Number(r.creation_time),
        last_updated_timestamp: Number(r.last_updated_time),
        current_stage: r.current_stage,
        source: r.source ?? '',
        status: r.status,
      };
      if (r.user_id) mv.user_id = r.user_id;
      if (r.description) mv.description = r.description;
      if (r.run_id) mv.run_id = r.run_id;
      if (r.run_link) mv.run_link = r.run_link;
      if (r.status_message) mv.status_message = r.status_message;
      if (r.model_id) mv.model_id = r.model_id;
      const t = tags.filter((x) => x.name === r.name && Number(x.version) === Number(r.version)).map((x) => ({ key: x.key, value: x.value }));
      if (t.length) mv.tags = t;
      const a = aliases.filter((x) => x.name === r.name && Number(x.version) === Number(r.version)).map((x) => x.alias);
      if (a.length) mv.aliases = a;
      return mv;
    });
  }

  private async modelsJson(rows: ModelRow[], db: Db = this.db) {
    if (rows.length === 0) return [];
    const names = rows.map((r) => r.name);
    const list = placeholders(names.length);
    const [tags, aliases, versions] = await Promise.all([
      db.all<{ name: string; key: string; value: string }>(`SELECT * FROM registered_model_tags WHERE name IN (${list})`, names),
      db.all<{ name: string; alias: string; version: number }>(`SELECT * FROM registered_model_aliases WHERE name IN (${list})`, names),
      db.all<VersionRow>(`SELECT * FROM model_versions WHERE name IN (${list}) AND current_stage <> ? ORDER BY version`, [...names, DELETED_STAGE]),
    ]);
    const out = [];
    for (const r of rows) {
      const rm: Record<string, unknown> = {
        name: r.name,
        creation_timestamp: Number(r.creation_time),
        last_updated_timestamp: Number(r.last_updated_time),
      };
      if (r.description) rm.description = r.description;
      // latest_versions: the newest version in each stage, as MLflow reports it.
      const latest = new Map<string, VersionRow>();
      for (const v of versions.filter((x) => x.name === r.name)) latest.set(v.current_stage, v);
      if (latest.size) rm.latest_versions = await this.versionsJson([...latest.values()].sort((a, b) => a.version - b.version), db);
      const t = tags.filter((x) => x.name === r.name).map((x) => ({ key: x.key, value: x.value }));
      if (t.length) rm.tags = t;
      const a = aliases.filter((x) => x.name === r.name).map((x) => ({ alias: x.alias, version: String(x.version) }));
      if (a.length) rm.aliases = a;
      out.push(rm);
    }
    return out;
  }

  async createModel(name: string, description?: string, tags: KeyValue[] = []) {
    validateModelName(name);
    for (const t of tags) this.validateTag(t.key, t.value);
    try {
      await this.db.tx(async (t) => {
        await t.lock(`registered-model:${name}`);
        if (await t.get('SELECT 1 AS x FROM registered_models WHERE name = ?', [name])) {
          throw alreadyExists(`Registered Model (name=${name}) already exists.`);
        }
        const now = Date.now();
        await t.run('INSERT INTO registered_models (name, creation_time, last_updated_time, description, created_by) VALUES (?, ?, ?, ?, ?)', [name, now, now, description ?? null, currentActor() ?? null]);
        for (const tag of tags) await t.run('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value', [name, tag.key, tag.value]);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      throw err;
    }
    return this.getModel(name);
  }

  private validateTag(key: string, value: string): void {
    if (!key) throw invalid("Missing value for required parameter 'key'.");
    validateLength('key', key, LIMITS.registryTagKey);
    validateLength('value', value, LIMITS.registryTagValue);
  }

  async getModel(name: string) {
    return (await this.modelsJson([await this.modelRow(name)]))[0];
  }

  async updateModel(name: string, description: string | undefined) {
    await this.db.tx(async (t) => {
      await this.modelRow(name, t);
      await t.run('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?', [description ?? null, Date.now(), name]);
    });
    return this.getModel(name);
  }

  async renameModel(name: string, newName: string) {
    validateModelName(newName);
    await this.db.tx(async (t) => {
      await this.modelRow(name, t);
      if (await t.get('SELECT 1 AS x FROM registered_models WHERE name = ?', [newName])) {
        throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
      }
      for (const table of ['registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags']) {
        await t.run(`UPDATE ${table} SET name = ? WHERE name = ?`, [newName, name]);
      }
      await t.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', [Date.now(), newName]);
    });
    return this.getModel(newName);
  }

  async deleteModel(name: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.modelRow(name, t);
      for (const table of ['registered_model_tags', 'registered_model_aliases', 'model_version_tags', 'model_versions', 'registered_models']) {
        await t.run(`DELETE FROM ${table} WHERE name = ?`, [name]);
      }
    });
  }

  async setModelTag(name: string, key: string, value: string): Promise<void> {
    this.validateTag(key, value);
    await this.db.tx(async (t) => {
      await this.modelRow(name, t);
      await t.run('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value', [name, key, value]);
    });
  }

  async deleteModelTag(name: string, key: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.modelRow(name, t);
      await t.run('DELETE FROM registered_model_tags WHERE name = ? AND key = ?', [name, key]);
    });
  }

  /** `visible` keeps only the models a caller may read, by name. */
  async searchModels(opts: { filter?: string; maxResults?: number; orderBy?: string[]; pageToken?: string; visible?: RowFilter }) {
    const max = validateMaxResults(opts.maxResults, 100, 1000);
    const offset = decodePageToken(opts.pageToken);
    const where: string[] = ['1 = 1'];
    const params: (string | number)[] = [];
    for (const c of parseFilter(opts.filter)) {
      if (c.entity === 'attribute' && c.key === 'name') {
        requireString(c);
        const cmp = comparison('rm.name', c.op, c.value);
        where.push(cmp.sql);
        params.push(...cmp.params);
      } else if (c.entity === 'tag') {
        const tagSql = registryTagClause(c, 'registered_model_tags x', 'x.name = rm.name');
        where.push(tagSql.sql);
        params.push(...tagSql.params);
      } else {
        throw invalid(`Invalid filter key '${c.key}' for registered models. Use name or tags.<key>.`);
      }
    }
    if (opts.visible) {
      const v = opts.visible('rm.name');
      where.push(v.sql);
      params.push(...v.params);
    }
    const order = (opts.orderBy ?? []).map((term) => {
      const o = parseOrderBy(term);
      const col = { name: 'rm.name', last_updated_timestamp: 'rm.last_updated_time', timestamp: 'rm.creation_time', creation_timestamp: 'rm.creation_time' }[o.key];
      if (!col || o.entity !== 'attribute') throw invalid(`Invalid order_by clause '${term}'. Use name, timestamp or last_updated_timestamp.`);
      return `${col} ${o.ascending ? 'ASC' : 'DESC'}`;
    });
    order.push('rm.name ASC');
    const rows = await this.db.all<ModelRow>(
      `SELECT * FROM registered_models rm WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`, [...params, max + 1, offset]);
    return { registered_models: await this.modelsJson(rows.slice(0, max)), next_page_token: rows.length > max ? encodePageToken(offset + max) : undefined };
  }

  async latestVersions(name: string, stages: string[] = []) {
    await this.modelRow(name);
    const wanted = stages.length ? stages.map(canonicalStage) : [...STAGES];
    const rows = await this.db.all<VersionRow>(
      `SELECT * FROM model_versions WHERE name = ? AND current_stage IN (${placeholders(wanted.length)}) ORDER BY version`, [name, ...wanted]);
    const latest = new Map<string, VersionRow>();
    for (const r of rows) latest.set(r.current_stage, r);
    return this.versionsJson([...latest.values()].sort((a, b) => a.version - b.version));
  }

  /**
   * Resolves where a version's files live and checks the source's lineage: a `runs:/` source
   * must name the run given as run_id, a `models:/` source the logged model given as
   * model_id, and an `mlflow-artifacts:` source must lie inside that run's or model's
   * artifact folder when one is named.
   */
  private async resolveSource(source: string, runId?: string, modelId?: string, trusted = false): Promise<{ storage: string | null; modelId?: string }> {
    const { scheme } = validateModelSource(source);
    if (runId) await this.runs.getInfo(runId);
    if (scheme === 'runs') {
      const m = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(source);
      if (!m) throw invalid(`Invalid model version source '${source}': expected runs:/<run_id>/<path>.`);
      if (runId && m[1] !== runId) throw invalid(`Invalid model version source '${source}': it names run ${m[1]} but run_id is ${runId}.`);
      const info = await this.runs.getInfo(m[1]);
      return { storage: `${info.artifact_uri}${m[2] ? `/${m[2]}` : ''}` };
    }
    if (scheme === 'models') {
      const m = /^models:\/+(m-[0-9a-f]+)\/?$/.exec(source);
      if (!m) throw invalid(`Invalid model version source '${source}': register a logged model as models:/<model_id>.`);
      if (modelId && modelId !== m[1]) throw invalid(`Invalid model version source '${source}': it names model ${m[1]} but model_id is ${modelId}.`);
      return { storage: await this.loggedModels.artifactLocation(m[1]), modelId: m[1] };
    }
    if (scheme === 'mlflow-artifacts') {
      const rel = mlflowArtifactsPath(source);
      const owner = modelId ? await this.loggedModels.artifactLocation(modelId) : runId ? (await this.runs.getInfo(runId)).artifact_uri : undefined;
      if (!owner && !trusted) await this.assertLoggedArtifact(source, storeSegments(rel));
      if (owner && owner.startsWith('mlflow-artifacts:')) {
        const root = mlflowArtifactsPath(owner);
        if (rel !== root && !rel.startsWith(`${root}/`)) {
          throw invalid(`Invalid model version source '${source}': it must be inside the artifact folder of ${modelId ? `model ${modelId}` : `run ${runId}`} (${owner}).`);
        }
      }
      return { storage: source };
    }
    return { storage: source };
  }

  /**
   * An `mlflow-artifacts:` source given without a run or model must still be something a run or
   * a logged model logged: `<experiment folder>/<run_id>/artifacts/…` of a run of that
   * experiment, or `<experiment folder>/models/<model_id>/artifacts/…` of one of its models.
   */
  private async assertLoggedArtifact(source: string, segments: string[]): Promise<void> {
    const owner = await this.experiments.owningExperiment(segments);
    const rest = owner ? segments.slice(owner.depth) : [];
    let experimentOfSource: string | undefined;
    if (rest[0] === 'models' && rest[2] === 'artifacts') {
      experimentOfSource = await this.loggedModels.get(rest[1]).then((m) => String(m.info.experiment_id), () => undefined);
    } else if (rest[1] === 'artifacts') {
      experimentOfSource = await this.runs.getInfo(rest[0]).then((r) => String(r.experiment_id), () => undefined);
    }
    if (!owner || experimentOfSource !== owner.experimentId) {
      throw invalid(`Invalid model version source '${source}': an mlflow-artifacts source must lie inside the artifacts of a run or logged model ` +
        `(mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/…); better, register runs:/<run_id>/<path> or models:/<model_id>.`);
    }
  }

  /**
   * `trustedLineage` is for the server's own callers (model assets made from a job's output):
   * the source is in the workspace but outside the run's artifact folder, and the run is kept
   * as lineage.
   */
  async createVersion(opts: {
    name: string; source: string; runId?: string; runLink?: string; description?: string; tags?: KeyValue[]; modelId?: string; userId?: string;
    trustedLineage?: boolean;
  }) {
    validateModelName(opts.name);
    if (!opts.source) throw invalid("Missing value for required parameter 'source'.");
    for (const t of opts.tags ?? []) this.validateTag(t.key, t.value);
    const { storage, modelId: sourceModelId } = await this.resolveSource(opts.source, opts.trustedLineage ? undefined : opts.runId, opts.modelId, opts.trustedLineage);
    const modelId = opts.modelId || sourceModelId;
    // A version registered from a logged model keeps the run that produced it as lineage.
    const runId = opts.runId || (modelId ? (await this.loggedModels.get(modelId)).info.source_run_id as string | undefined : undefined);
    const version = await this.db.tx(async (t) => {
      await t.lock(`model-versions:${opts.name}`);
      await this.modelRow(opts.name, t);
      const next = await t.get<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?', [opts.name]);
      const v = Number(next!.v);
      const now = Date.now();
      await t.run(
        `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source,
           run_id, run_link, status, status_message, storage_location, model_id)
         VALUES (?, ?, ?, ?, ?, ?, 'None', ?, ?, ?, 'READY', NULL, ?, ?)`,
        [opts.name, v, now, now, opts.description ?? null, opts.userId || currentActor() || null, opts.source, runId ?? null, opts.runLink ?? null, storage, modelId ?? null],
      );
      for (const tag of opts.tags ?? []) {
        await t.run('INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value', [opts.name, v, tag.key, tag.value]);
      }
      await t.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', [now, opts.name]);
      if (modelId) {
        // MLflow records on the logged model which registered versions point at it.
        const tag = await t.get<{ value: string }>(`SELECT value FROM logged_model_tags WHERE model_id = ? AND key = 'mlflow.modelVersions'`, [modelId]);
        const list = tag ? (JSON.parse(tag.value) as unknown[]) : [];
        list.push({ name: opts.name, version: v });
        await this.loggedModels.setTags(modelId, [{ key: 'mlflow.modelVersions', value: JSON.stringify(list) }], t);
      }
      return v;
    });
    for (const listener of this.versionListeners) listener(opts.name, String(version));
    return this.getVersion(opts.name, version);
  }

  async nextVersion(name: string): Promise<number> {
    await this.modelRow(name);
    const next = await this.db.get<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?', [name]);
    return Number(next!.v);
  }

  async getVersion(name: string, version: unknown) {
    return (await this.versionsJson([await this.versionRow(name, version)]))[0];
  }

  async updateVersion(name: string, version: unknown, description: string | undefined) {
    await this.db.tx(async (t) => {
      const row = await this.versionRow(name, version, t);
      await t.run('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?', [description ?? null, Date.now(), name, row.version]);
    });
    return this.getVersion(name, version);
  }

  async transitionStage(name: string, version: unknown, stage: string, archiveExisting: boolean) {
    const target = canonicalStage(stage);
    await this.db.tx(async (t) => {
      const row = await this.versionRow(name, version, t);
      const now = Date.now();
      if (archiveExisting && (target === 'Staging' || target === 'Production')) {
        await t.run(`UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = ? AND current_stage = ? AND version <> ?`, [now, name, target, row.version]);
      }
      await t.run('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?', [target, now, name, row.version]);
      await t.run('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', [now, name]);
    });
    return this.getVersion(name, version);
  }

  /** Version numbers are never reused: the row stays, marked deleted, as in MLflow. */
  async deleteVersion(name: string, version: unknown): Promise<void> {
    await this.db.tx(async (t) => {
      const row = await this.versionRow(name, version, t);
      await t.run(`UPDATE model_versions SET current_stage = ?, description = NULL, source = NULL, run_id = NULL, storage_location = NULL, last_updated_time = ? WHERE name = ? AND version = ?`,
        [DELETED_STAGE, Date.now(), name, row.version]);
      await t.run('DELETE FROM model_version_tags WHERE name = ? AND version = ?', [name, row.version]);
      await t.run('DELETE FROM registered_model_aliases WHERE name = ? AND version = ?', [name, row.version]);
    });
  }

  async setVersionTag(name: string, version: unknown, key: string, value: string): Promise<void> {
    this.validateTag(key, value);
    await this.db.tx(async (t) => {
      const row = await this.versionRow(name, version, t);
      await t.run('INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value', [name, row.version, key, value]);
    });
  }

  async deleteVersionTag(name: string, version: unknown, key: string): Promise<void> {
    await this.db.tx(async (t) => {
      const row = await this.versionRow(name, version, t);
      await t.run('DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?', [name, row.version, key]);
    });
  }

  async downloadUri(name: string, version: unknown): Promise<string> {
    const row = await this.versionRow(name, version);
    return row.storage_location || row.source || '';
  }

  /** `visible` keeps only the versions of models a caller may read, by the model's name. */
  async searchVersions(opts: { filter?: string; maxResults?: number; orderBy?: string[]; pageToken?: string; visible?: RowFilter }) {
    const max = validateMaxResults(opts.maxResults, 10_000, 200_000);
    const offset = decodePageToken(opts.pageToken);
    const where: string[] = ['mv.current_stage <> ?'];
    const params: (string | number)[] = [DELETED_STAGE];
    const columns: Record<string, string> = { name: 'mv.name', run_id: 'mv.run_id', source_path: 'mv.source', source: 'mv.source', model_id: 'mv.model_id', current_stage: 'mv.current_stage' };
    for (const c of parseFilter(opts.filter)) {
      if (c.entity === 'attribute' && columns[c.key]) {
        requireString(c);
        const cmp = comparison(columns[c.key], c.op, c.value);
        where.push(cmp.sql);
        params.push(...cmp.params);
      } else if (c.entity === 'attribute' && (c.key === 'version_number' || c.key === 'version')) {
        where.push(`mv.version ${c.op} ?`);
        params.push(requireNumeric(c));
      } else if (c.entity === 'tag') {
        const tagSql = registryTagClause(c, 'model_version_tags x', 'x.name = mv.name AND x.version = mv.version');
        where.push(tagSql.sql);
        params.push(...tagSql.params);
      } else {
        throw invalid(`Invalid filter key '${c.key}' for model versions. Use name, run_id, source_path, version_number or tags.<key>.`);
      }
    }
    if (opts.visible) {
      const v = opts.visible('mv.name');
      where.push(v.sql);
      params.push(...v.params);
    }
    const order = (opts.orderBy ?? []).map((term) => {
      const o = parseOrderBy(term);
      const col = { name: 'mv.name', version_number: 'mv.version', last_updated_timestamp: 'mv.last_updated_time', creation_timestamp: 'mv.creation_time', timestamp: 'mv.creation_time' }[o.key];
      if (!col || o.entity !== 'attribute') throw invalid(`Invalid order_by clause '${term}'. Use name, version_number, creation_timestamp or last_updated_timestamp.`);
      return `${col} ${o.ascending ? 'ASC' : 'DESC'}`;
    });
    order.push('mv.last_updated_time DESC', 'mv.name ASC', 'mv.version DESC');
    const rows = await this.db.all<VersionRow>(
      `SELECT * FROM model_versions mv WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`, [...params, max + 1, offset]);
    return { model_versions: await this.versionsJson(rows.slice(0, max)), next_page_token: rows.length > max ? encodePageToken(offset + max) : undefined };
  }

  async setAlias(name: string, alias: string, version: unknown): Promise<void> {
    validateAlias(alias);
    await this.db.tx(async (t) => {
      const row = await this.versionRow(name, version, t);
      await t.run('INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version', [name, alias, row.version]);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.db.tx(async (t) => {
      await this.modelRow(name, t);
      await t.run('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?', [name, alias]);
    });
  }

  async versionByAlias(name: string, alias: string) {
    await this.modelRow(name);
    const row = await this.db.get<{ version: number }>('SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?', [name, alias]);
    if (!row) throw notFound(`Registered model alias ${alias} not found.`);
    return this.getVersion(name, row.version);
  }
}

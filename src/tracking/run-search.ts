/** SearchRuns: MLflow's filter grammar and order_by translated to one SQL query per page. */
import type { Db } from '../store/db.ts';
import type { RowFilter, SqlPart } from '../store/row-filter.ts';
import { invalid } from '../util/errors.ts';
import { comparison, decodePageToken, encodePageToken, parseFilter, parseOrderBy, requireNumeric, requireString, type Clause } from './filter.ts';
import type { RunService } from './runs.ts';
import { lifecycleStages, placeholders, type Run, type ViewType } from '../specs/mlflow-entities.ts';
import { LIMITS, validateMaxResults } from './validation.ts';

const STRING_ATTRIBUTES: Record<string, string> = {
  run_id: 'r.run_uuid', run_uuid: 'r.run_uuid', run_name: 'r.name', status: 'r.status', user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri', lifecycle_stage: 'r.lifecycle_stage',
};
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  start_time: 'r.start_time', end_time: 'r.end_time', created: 'r.start_time', Created: 'r.start_time',
};
const DATASET_FIELDS: Record<string, string> = { name: 'd.name', digest: 'd.digest' };


function clauseSql(c: Clause): SqlPart {
  switch (c.entity) {
    case 'metric': {
      const v = requireNumeric(c);
      // Set-based subqueries let the (key, value, run_uuid) covering indexes do the work.
      return {
        sql: `r.run_uuid IN (SELECT m.run_uuid FROM latest_metrics m WHERE m.key = ? AND m.value ${c.op} ? AND m.is_nan = 0)`,
        params: [c.key, v],
      };
    }
    case 'param':
    case 'tag': {
      requireString(c);
      const table = c.entity === 'param' ? 'params' : 'tags';
      if (c.op === 'IS NULL') return { sql: `r.run_uuid NOT IN (SELECT x.run_uuid FROM ${table} x WHERE x.key = ?)`, params: [c.key] };
      if (c.op === 'IS NOT NULL') return { sql: `r.run_uuid IN (SELECT x.run_uuid FROM ${table} x WHERE x.key = ?)`, params: [c.key] };
      const cmp = comparison('x.value', c.op, c.value);
      return { sql: `r.run_uuid IN (SELECT x.run_uuid FROM ${table} x WHERE x.key = ? AND ${cmp.sql})`, params: [c.key, ...cmp.params] };
    }
    case 'attribute': {
      if (STRING_ATTRIBUTES[c.key]) {
        requireString(c);
        return comparison(STRING_ATTRIBUTES[c.key], c.op, c.value);
      }
      if (NUMERIC_ATTRIBUTES[c.key]) {
        const v = requireNumeric(c);
        return { sql: `${NUMERIC_ATTRIBUTES[c.key]} ${c.op} ?`, params: [v] };
      }
      throw invalid(
        `Invalid attribute key '${c.key}' specified. Valid keys are ${JSON.stringify([...Object.keys(STRING_ATTRIBUTES), ...Object.keys(NUMERIC_ATTRIBUTES)])}`,
      );
    }
    case 'dataset': {
      requireString(c);
      if (c.key === 'context') {
        const cmp = comparison('i.tags', c.op === 'ILIKE' ? 'ILIKE' : 'LIKE', `%"mlflow.data.context","value":"${String(c.value)}"%`);
        return { sql: `EXISTS (SELECT 1 FROM run_dataset_inputs i WHERE i.run_uuid = r.run_uuid AND ${cmp.sql})`, params: cmp.params };
      }
      const col = DATASET_FIELDS[c.key];
      if (!col) throw invalid(`Invalid dataset key '${c.key}'. Use datasets.name, datasets.digest or datasets.context.`);
      const cmp = comparison(col, c.op, c.value);
      return {
        sql: `EXISTS (SELECT 1 FROM run_dataset_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid = r.run_uuid AND ${cmp.sql})`,
        params: cmp.params,
      };
    }
  }
}

export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string;
  viewType?: ViewType;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
  /** Cancels the search on the database when it fires. */
  signal?: AbortSignal;
  /** Only runs of the experiments this lets through (what the caller may read). */
  visibleExperiments?: RowFilter;
}

export async function searchRuns(db: Db, runs: RunService, opts: SearchRunsOptions): Promise<{ runs: Run[]; next_page_token?: string }> {
  const max = validateMaxResults(opts.maxResults, LIMITS.searchRunsDefault);
  const offset = decodePageToken(opts.pageToken);
  const experimentIds = opts.experimentIds.map((id) => {
    if (!/^\d{1,18}$/.test(String(id))) throw invalid(`Invalid experiment ID '${String(id).slice(0, 40)}'.`);
    return Number(id);
  });
  if (experimentIds.length === 0) return { runs: [] };
  const joins: SqlPart[] = [];
  const order: string[] = [];
  (opts.orderBy ?? []).forEach((term, i) => {
    const o = parseOrderBy(term);
    const dir = o.ascending ? 'ASC' : 'DESC';
    const alias = `ob${i}`;
    let col: string;
    if (o.entity === 'metric') {
      joins.push({ sql: `LEFT JOIN latest_metrics ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.key = ?`, params: [o.key] });
      // Runs without the metric sort last; NaN sorts after every number.
      order.push(`CASE WHEN ${alias}.value IS NULL THEN 2 WHEN ${alias}.is_nan = 1 THEN 1 ELSE 0 END`);
      col = `${alias}.value`;
    } else if (o.entity === 'param' || o.entity === 'tag') {
      joins.push({ sql: `LEFT JOIN ${o.entity === 'param' ? 'params' : 'tags'} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.key = ?`, params: [o.key] });
      order.push(`CASE WHEN ${alias}.value IS NULL THEN 1 ELSE 0 END`);
      col = `${alias}.value`;
    } else if (o.entity === 'attribute' && (STRING_ATTRIBUTES[o.key] || NUMERIC_ATTRIBUTES[o.key])) {
      col = STRING_ATTRIBUTES[o.key] ?? NUMERIC_ATTRIBUTES[o.key];
    } else {
      throw invalid(`Invalid order_by clause '${term}'. Order by metrics.<key>, params.<key>, tags.<key> or an attribute such as start_time.`);
    }
    order.push(`${col} ${dir}`);
  });
  order.push('r.start_time DESC', 'r.run_uuid ASC');

  const stages = lifecycleStages(opts.viewType);
  const where: SqlPart[] = [
    { sql: `r.experiment_id IN (${placeholders(experimentIds.length)})`, params: experimentIds },
    { sql: `r.lifecycle_stage IN (${placeholders(stages.length)})`, params: stages },
    ...parseFilter(opts.filter).map(clauseSql),
    // Experiments the caller may not read are dropped, as MLflow's auth app drops their ids.
    ...(opts.visibleExperiments ? [opts.visibleExperiments('r.experiment_id')] : []),
  ];
  // Sort only ids, then load the page's runs: the sort carries one column, not the whole row.
  const sql =
    `SELECT r.run_uuid FROM runs r ${joins.map((j) => j.sql).join(' ')} WHERE ${where.map((w) => w.sql).join(' AND ')} ` +
    `ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
  const params = [...joins.flatMap((j) => j.params), ...where.flatMap((w) => w.params), max + 1, offset];
  const ids = (await db.all<{ run_uuid: string }>(sql, params, { signal: opts.signal })).map((r) => r.run_uuid);
  const page = ids.slice(0, max);
  return {
    runs: await runs.getMany(page),
    next_page_token: ids.length > max ? encodePageToken(offset + max) : undefined,
  };
}

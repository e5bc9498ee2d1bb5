/** MLflow tracking REST routes: experiments, runs, metrics, inputs/outputs and run artifacts. */
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../../workspace.ts';
import { searchRuns } from '../../tracking/run-search.ts';
import { assertSafeRelativePath, mlflowArtifactsPath } from '../../artifacts/uri-policy.ts';
import { invalid } from '../../util/errors.ts';
import { compact, int, INTEGER_DIGITS, keyValues, list, runId, shown, str, stringList, toDouble, viewType, type Args } from './request.ts';
import type { MetricInput } from '../../tracking/runs.ts';
import type { ResourceType } from '../../access/mlflow-permissions.ts';
import type { RowFilter } from '../../store/row-filter.ts';

/**
 * What a handler may ask of its request besides its fields: a signal that fires if the client goes
 * away, and what of a resource type its caller may see (undefined: everything).
 */
export interface RequestContext {
  clientGone(): AbortSignal;
  visible(type: ResourceType): RowFilter | undefined;
}
type Handler = (args: Args, ctx: RequestContext) => Promise<unknown>;
export type Route = [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, handler: Handler];

function metricInput(m: Record<string, unknown>, i: number | null): MetricInput {
  const at = (f: string) => (i === null ? f : `metrics[${i}].${f}`);
  if (!m || typeof m !== 'object') throw invalid(`Invalid value for '${at('')}': expected a metric object.`);
  const key = m.key;
  if (typeof key !== 'string' || !key) throw invalid(`Missing value for required parameter '${at('key')}'.`);
  const value = toDouble(m.value, at('value'), true)!;
  const timestamp = toDouble(m.timestamp, at('timestamp'), true)!;
  const step = m.step === undefined || m.step === null || m.step === '' ? 0 : toDouble(m.step, at('step'))!;
  if (!Number.isSafeInteger(timestamp)) throw invalid(`Parameter '${at('timestamp')}' must be an integer of at most ${INTEGER_DIGITS}, got ${shown(m.timestamp)}.`);
  if (!Number.isSafeInteger(step)) throw invalid(`Parameter '${at('step')}' must be an integer of at most ${INTEGER_DIGITS}, got ${shown(m.step)}.`);
  return compact({
    key, value, timestamp, step,
    model_id: (m.model_id as string) || undefined,
    dataset_name: (m.dataset_name as string) || undefined,
    dataset_digest: (m.dataset_digest as string) || undefined,
  });
}

export function trackingRoutes(ws: Workspace): Route[] {
  const { experiments, runs, loggedModels } = ws;
  return [
    ['POST', '/experiments/create', async (a) => ({
      experiment_id: await experiments.create(str(a, 'name', true), str(a, 'artifact_location'), keyValues(a, 'tags')),
    })],
    ['GET', '/experiments/get', async (a) => ({ experiment: await experiments.get(str(a, 'experiment_id', true)) })],
    ['GET', '/experiments/get-by-name', async (a) => ({ experiment: await experiments.getByName(str(a, 'experiment_name', true)) })],
    ['POST', '/experiments/search', searchExperiments],
    ['GET', '/experiments/search', searchExperiments],
    ['POST', '/experiments/update', async (a) => {
      await experiments.rename(str(a, 'experiment_id', true), str(a, 'new_name', true));
      return {};
    }],
    ['POST', '/experiments/delete', async (a) => {
      await experiments.setLifecycle(str(a, 'experiment_id', true), 'deleted');
      return {};
    }],
    ['POST', '/experiments/restore', async (a) => {
      await experiments.setLifecycle(str(a, 'experiment_id', true), 'active');
      return {};
    }],
    ['POST', '/experiments/set-experiment-tag', async (a) => {
      await experiments.setTag(str(a, 'experiment_id', true), str(a, 'key', true), str(a, 'value') ?? '');
      return {};
    }],
    ['POST', '/experiments/delete-experiment-tag', async (a) => {
      await experiments.deleteTag(str(a, 'experiment_id', true), str(a, 'key', true));
      return {};
    }],

    ['POST', '/runs/create', async (a) => ({
      run: await runs.create({
        experimentId: str(a, 'experiment_id'),
        userId: str(a, 'user_id'),
        runName: str(a, 'run_name'),
        startTime: int(a, 'start_time'),
        tags: keyValues(a, 'tags'),
      }),
    })],
    ['GET', '/runs/get', async (a) => ({ run: await runs.get(runId(a)) })],
    ['POST', '/runs/update', async (a) => ({
      run_info: await runs.update(runId(a), { status: str(a, 'status'), endTime: int(a, 'end_time'), runName: str(a, 'run_name') }),
    })],
    ['POST', '/runs/delete', async (a) => {
      await runs.setLifecycle(runId(a), 'deleted');
      return {};
    }],
    ['POST', '/runs/restore', async (a) => {
      await runs.setLifecycle(runId(a), 'active');
      return {};
    }],
    // A search can be the most expensive query a client asks for: it stops when its client goes away.
    ['POST', '/runs/search', async (a, ctx) => compact(await searchRuns(ws.db, runs, {
      signal: ctx.clientGone(),
      visibleExperiments: ctx.visible('experiment'),
      experimentIds: stringList(a, 'experiment_ids'),
      filter: str(a, 'filter'),
      viewType: viewType(a, 'run_view_type'),
      maxResults: int(a, 'max_results'),
      orderBy: stringList(a, 'order_by'),
      pageToken: str(a, 'page_token'),
    }))],
    ['POST', '/runs/set-tag', async (a) => {
      await runs.setTag(runId(a), str(a, 'key', true), str(a, 'value') ?? '');
      return {};
    }],
    ['POST', '/runs/delete-tag', async (a) => {
      await runs.deleteTag(runId(a), str(a, 'key', true));
      return {};
    }],
    ['POST', '/runs/log-metric', async (a) => {
      const id = runId(a);
      await runs.logBatch(id, [metricInput(a, null)], [], []);
      return {};
    }],
    ['POST', '/runs/log-parameter', async (a) => {
      await runs.logBatch(runId(a), [], [{ key: str(a, 'key', true), value: str(a, 'value') ?? '' }], []);
      return {};
    }],
    ['POST', '/runs/log-batch', async (a) => {
      const metrics = list<Record<string, unknown>>(a, 'metrics').map((m, i) => metricInput(m, i));
      await runs.logBatch(runId(a), metrics, keyValues(a, 'params'), keyValues(a, 'tags'));
      return {};
    }],
    ['POST', '/runs/log-model', async (a) => {
      // MLflow 2 clients record a model's MLmodel summary in the mlflow.log-model.history tag.
      const id = runId(a);
      const modelJson = str(a, 'model_json', true);
      let parsed: unknown;
      try {
        parsed = JSON.parse(modelJson);
      } catch {
        throw invalid("Invalid value for 'model_json': it is not valid JSON.");
      }
      const run = await runs.get(id);
      const prior = run.data.tags?.find((t) => t.key === 'mlflow.log-model.history')?.value;
      const history = prior ? (JSON.parse(prior) as unknown[]) : [];
      history.push(parsed);
      await runs.setTag(id, 'mlflow.log-model.history', JSON.stringify(history));
      return {};
    }],
    ['POST', '/runs/log-inputs', async (a) => {
      await runs.logInputs(runId(a), list(a, 'datasets'), list(a, 'models'));
      return {};
    }],
    ['POST', '/runs/outputs', async (a) => {
      const models = list<Record<string, unknown>>(a, 'models').map((m, i) => ({ model_id: String(m?.model_id ?? ''), step: int({ step: m?.step }, `models[${i}].step`) ?? 0 }));
      await runs.logOutputs(runId(a), models);
      return {};
    }],
    ['GET', '/metrics/get-history', async (a) => compact(await runs.metricHistory(runId(a), str(a, 'metric_key', true), int(a, 'max_results'), str(a, 'page_token')))],
    ['GET', '/metrics/get-history-bulk', async (a) => {
      // The UI's older chart endpoint: full histories of one metric for several runs.
      const ids = stringList(a, 'run_id', true);
      if (ids.length > 100) throw invalid('GetMetricHistoryBulk accepts at most 100 run_id values.');
      const key = str(a, 'metric_key', true);
      const max = int(a, 'max_results') ?? 25_000;
      const metrics = [];
      for (const id of ids) {
        for (const m of (await runs.metricHistory(id, key, max)).metrics) metrics.push({ ...m, run_id: id });
      }
      return { metrics: metrics.slice(0, max) };
    }],
    ['GET', '/metrics/get-history-bulk-interval', async (a) => runs.metricHistoryBulkInterval(
      stringList(a, 'run_ids', true), str(a, 'metric_key', true), int(a, 'start_step'), int(a, 'end_step'), int(a, 'max_results'),
    )],
    ['GET', '/artifacts/list', async (a) => {
      const info = await runs.getInfo(runId(a));
      return listUnder(info.artifact_uri, str(a, 'path') ?? '');
    }],

    ['POST', '/logged-models', async (a) => ({
      model: await loggedModels.create({
        experimentId: str(a, 'experiment_id', true),
        name: str(a, 'name'),
        modelType: str(a, 'model_type'),
        sourceRunId: str(a, 'source_run_id'),
        params: keyValues(a, 'params'),
        tags: keyValues(a, 'tags'),
      }),
    })],
    ['POST', '/logged-models/search', async (a) => compact(await loggedModels.search({
      experimentIds: stringList(a, 'experiment_ids', true),
      filter: str(a, 'filter'),
      maxResults: int(a, 'max_results'),
      pageToken: str(a, 'page_token'),
      orderBy: list(a, 'order_by'),
    }))],
    ['GET', '/logged-models/:model_id', async (a) => ({ model: await loggedModels.get(str(a, 'model_id', true)) })],
    ['PATCH', '/logged-models/:model_id', async (a) => ({ model: await loggedModels.finalize(str(a, 'model_id', true), str(a, 'status', true)) })],
    ['DELETE', '/logged-models/:model_id', async (a) => {
      await loggedModels.delete(str(a, 'model_id', true));
      return {};
    }],
    ['PATCH', '/logged-models/:model_id/tags', async (a) => {
      await loggedModels.setTags(str(a, 'model_id', true), keyValues(a, 'tags'));
      return {};
    }],
    ['DELETE', '/logged-models/:model_id/tags/:tag_key', async (a) => {
      await loggedModels.deleteTag(str(a, 'model_id', true), str(a, 'tag_key', true));
      return {};
    }],
    ['POST', '/logged-models/:model_id/params', async (a) => {
      await loggedModels.logParams(str(a, 'model_id', true), keyValues(a, 'params'));
      return {};
    }],
    ['GET', '/logged-models/:model_id/artifacts/directories', async (a) => {
      const location = await loggedModels.artifactLocation(str(a, 'model_id', true));
      return listUnder(location, str(a, 'artifact_directory_path') ?? '');
    }],
  ];

  async function searchExperiments(a: Args, ctx: RequestContext) {
    return compact(await experiments.search({
      filter: str(a, 'filter'),
      orderBy: stringList(a, 'order_by'),
      maxResults: int(a, 'max_results'),
      pageToken: str(a, 'page_token'),
      viewType: viewType(a, 'view_type'),
      visible: ctx.visible('experiment'),
    }));
  }

  /** Lists a folder under a run's or model's artifact root; paths come back relative to that root. */
  async function listUnder(rootUri: string, relPath: string) {
    if (!rootUri.startsWith('mlflow-artifacts:')) {
      throw invalid(`Artifacts at '${rootUri}' are not served by this workspace: read them from that store directly.`);
    }
    const root = mlflowArtifactsPath(rootUri);
    const clean = relPath.replace(/\/+$/, '');
    if (clean) assertSafeRelativePath(clean);
    const files = await ws.artifacts.list(clean ? `${root}/${clean}` : root);
    // A path naming a file lists nothing, as MLflow does.
    return {
      root_uri: rootUri,
      files: files.map((f) => compact({ path: clean ? `${clean}/${f.path}` : f.path, is_dir: f.is_dir, file_size: f.file_size })),
    };
  }
}


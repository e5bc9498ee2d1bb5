/** MLflow model registry REST routes. */
import type { Workspace } from '../../workspace.ts';
import { bool, compact, int, keyValues, str, stringList } from './request.ts';
import type { RequestContext, Route } from './tracking-routes.ts';

export function registryRoutes(ws: Workspace): Route[] {
  const r = ws.registry;
  const searchModels = async (a: Record<string, unknown>, ctx: RequestContext) => compact(await r.searchModels({
    filter: str(a, 'filter'), maxResults: int(a, 'max_results'), orderBy: stringList(a, 'order_by'), pageToken: str(a, 'page_token'),
    visible: ctx.visible('registered_model'),
  }));
  const searchVersions = async (a: Record<string, unknown>, ctx: RequestContext) => compact(await r.searchVersions({
    filter: str(a, 'filter'), maxResults: int(a, 'max_results'), orderBy: stringList(a, 'order_by'), pageToken: str(a, 'page_token'),
    visible: ctx.visible('registered_model'),
  }));
  const latest = async (a: Record<string, unknown>) => ({ model_versions: await r.latestVersions(str(a, 'name', true), stringList(a, 'stages')) });
  return [
    ['POST', '/registered-models/create', async (a) => ({
      registered_model: await r.createModel(str(a, 'name', true), str(a, 'description'), keyValues(a, 'tags')),
    })],
    ['GET', '/registered-models/get', async (a) => ({ registered_model: await r.getModel(str(a, 'name', true)) })],
    ['GET', '/registered-models/search', searchModels],
    ['POST', '/registered-models/search', searchModels],
    ['PATCH', '/registered-models/update', async (a) => ({ registered_model: await r.updateModel(str(a, 'name', true), str(a, 'description')) })],
    ['POST', '/registered-models/rename', async (a) => ({ registered_model: await r.renameModel(str(a, 'name', true), str(a, 'new_name', true)) })],
    ['DELETE', '/registered-models/delete', async (a) => {
      await r.deleteModel(str(a, 'name', true));
      return {};
    }],
    ['POST', '/registered-models/set-tag', async (a) => {
      await r.setModelTag(str(a, 'name', true), str(a, 'key', true), str(a, 'value') ?? '');
      return {};
    }],
    ['DELETE', '/registered-models/delete-tag', async (a) => {
      await r.deleteModelTag(str(a, 'name', true), str(a, 'key', true));
      return {};
    }],
    ['POST', '/registered-models/get-latest-versions', latest],
    ['GET', '/registered-models/get-latest-versions', latest],
    ['POST', '/registered-models/alias', async (a) => {
      await r.setAlias(str(a, 'name', true), str(a, 'alias', true), str(a, 'version', true));
      return {};
    }],
    ['DELETE', '/registered-models/alias', async (a) => {
      await r.deleteAlias(str(a, 'name', true), str(a, 'alias', true));
      return {};
    }],
    ['GET', '/registered-models/alias', async (a) => ({ model_version: await r.versionByAlias(str(a, 'name', true), str(a, 'alias', true)) })],

    ['POST', '/model-versions/create', async (a) => ({
      model_version: await r.createVersion({
        name: str(a, 'name', true),
        source: str(a, 'source', true),
        runId: str(a, 'run_id'),
        runLink: str(a, 'run_link'),
        description: str(a, 'description'),
        tags: keyValues(a, 'tags'),
        modelId: str(a, 'model_id'),
      }),
    })],
    ['GET', '/model-versions/get', async (a) => ({ model_version: await r.getVersion(str(a, 'name', true), str(a, 'version', true)) })],
    ['PATCH', '/model-versions/update', async (a) => ({
      model_version: await r.updateVersion(str(a, 'name', true), str(a, 'version', true), str(a, 'description')),
    })],
    ['DELETE', '/model-versions/delete', async (a) => {
      await r.deleteVersion(str(a, 'name', true), str(a, 'version', true));
      return {};
    }],
    ['GET', '/model-versions/search', searchVersions],
    ['POST', '/model-versions/search', searchVersions],
    ['POST', '/model-versions/set-tag', async (a) => {
      await r.setVersionTag(str(a, 'name', true), str(a, 'version', true), str(a, 'key', true), str(a, 'value') ?? '');
      return {};
    }],
    ['DELETE', '/model-versions/delete-tag', async (a) => {
      await r.deleteVersionTag(str(a, 'name', true), str(a, 'version', true), str(a, 'key', true));
      return {};
    }],
    ['POST', '/model-versions/transition-stage', async (a) => ({
      model_version: await r.transitionStage(str(a, 'name', true), str(a, 'version', true), str(a, 'stage', true), bool(a, 'archive_existing_versions') ?? false),
    })],
    ['GET', '/model-versions/get-download-uri', async (a) => ({
      artifact_uri: await r.downloadUri(str(a, 'name', true), str(a, 'version', true)),
    })],
  ];
}

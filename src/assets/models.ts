/**
 * Model assets, Azure ML's face of the one model registry: `stratus model create` makes a
 * registered model version (visible to MLflow clients), and every MLflow-registered version is
 * a model asset here. Lineage to the job or run that produced a model is kept on the version.
 */
import { completeMarker, uploadStorePath } from '../artifacts/layout.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { mlflowArtifactsPath } from '../artifacts/uri-policy.ts';
import type { RegistryService } from '../tracking/registry.ts';
import { invalid, notFound, StratusError } from '../util/errors.ts';
import { validateNameVersion } from './versioned.ts';

export const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'] as const;
const TYPE_TAG = 'stratus.model_type';
const JOB_TAG = 'stratus.job';

export interface JobOutputLookup {
  (job: string, output: string): Promise<{ storePath: string; runId: string }>;
}

export class ModelAssetService {
  constructor(private registry: RegistryService, private store: LocalArtifactStore, private jobOutput: JobOutputLookup) {}

  async create(input: { name: string; version?: string; path: string; type?: string; description?: string; tags?: Record<string, string> }) {
    validateNameVersion('model', input.name, input.version);
    if (typeof input.path !== 'string' || !input.path) throw invalid("Missing 'path': the model's files (a local path that stratus model create uploads, runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>).");
    const type = input.type ?? 'custom_model';
    if (!(MODEL_TYPES as readonly string[]).includes(type)) throw invalid(`Invalid model type '${type}': use custom_model or mlflow_model.`);
    let source: string;
    let runId: string | undefined;
    let storePath: string | undefined;
    let uploaded = false;
    const tags: Record<string, string> = { ...(input.tags ?? {}), [TYPE_TAG]: type };
    const jobRef = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/(.*))?$/.exec(input.path);
    if (jobRef) {
      const out = await this.jobOutput(jobRef[1], jobRef[2]);
      storePath = [out.storePath, jobRef[3]].filter(Boolean).join('/');
      source = `mlflow-artifacts:/${storePath}`;
      runId = out.runId;
      tags[JOB_TAG] = jobRef[1];
    } else if (input.path.startsWith('runs:/')) {
      source = input.path;
      runId = /^runs:\/+([^/]+)/.exec(input.path)?.[1];
    } else if (uploadStorePath(input.path)) {
      storePath = uploadStorePath(input.path)!;
      source = `mlflow-artifacts:/${storePath}`;
      // An upload is the workspace's own once complete (content-addressed, never written again).
      const marker = completeMarker('uploads', storePath.split('/')[1]);
      await this.store.stat(marker).catch(() => {
        throw invalid(`The upload '${input.path}' is not complete: upload it again (stratus model create --path <local folder> does).`);
      });
      uploaded = true;
    } else {
      throw invalid(`Unsupported model path '${input.path}': give a local path (stratus model create uploads it), runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>.`);
    }
    if (storePath) {
      await this.store.stat(storePath).catch(() => {
        throw notFound(`Nothing found at '${input.path}'.`);
      });
      if (type === 'mlflow_model') {
        await this.store.stat(`${storePath}/MLmodel`).catch(() => {
          throw invalid(`'${input.path}' has no MLmodel file at its top, so it is not an MLflow model. Use --type custom_model, or point at the folder that holds MLmodel.`);
        });
      }
    }
    try {
      await this.registry.getModel(input.name);
    } catch (err) {
      if ((err as StratusError).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
      await this.registry.createModel(input.name).catch((e) => {
        if ((e as StratusError).code !== 'RESOURCE_ALREADY_EXISTS') throw e;
      });
    }
    if (input.version !== undefined) {
      const next = await this.registry.nextVersion(input.name);
      if (String(next) !== input.version) {
        throw invalid(`Model versions are numbered in order in this registry: the next version of '${input.name}' is ${next}, not ${input.version}. Leave --version out or pass ${next}.`);
      }
    }
    const mv = await this.registry.createVersion({
      name: input.name, source, runId, description: input.description,
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      trustedLineage: !!jobRef || uploaded,
    });
    return this.show(input.name, String(mv.version));
  }

  async show(name: string, version?: string, label?: string) {
    let mv: Record<string, any>;
    if (version) mv = await this.registry.getVersion(name, version);
    else if (label && label !== 'latest') mv = await this.registry.versionByAlias(name, label);
    else {
      const all = (await this.registry.searchVersions({ filter: `name = '${name.replace(/'/g, "''")}'`, orderBy: ['version_number DESC'], maxResults: 1 })).model_versions;
      if (!all.length) throw notFound(`Model '${name}' has no versions. List models with: stratus model list`);
      mv = all[0];
    }
    return toAsset(mv, await this.registry.downloadUri(name, mv.version));
  }

  async list(name?: string) {
    const filter = name ? `name = '${name.replace(/'/g, "''")}'` : undefined;
    const { model_versions } = await this.registry.searchVersions({ filter, orderBy: ['name ASC', 'version_number DESC'], maxResults: 1000 });
    return model_versions.map((mv) => toAsset(mv as Record<string, any>));
  }

  async archive(name: string, version: string) {
    await this.registry.transitionStage(name, version, 'Archived', false);
    return this.show(name, version);
  }

  /** The store folder of a version whose files live in this workspace (for downloads). */
  async storePath(name: string, version: string): Promise<string> {
    const uri = await this.registry.downloadUri(name, version);
    if (!uri.startsWith('mlflow-artifacts:')) throw invalid(`Model ${name}:${version} lives at ${uri}, outside this workspace.`);
    return mlflowArtifactsPath(uri);
  }
}

function toAsset(mv: Record<string, any>, downloadUri?: string) {
  const tags = Object.fromEntries((mv.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value]));
  const type = tags[TYPE_TAG] ?? (mv.model_id ? 'mlflow_model' : 'custom_model');
  const job = tags[JOB_TAG];
  delete tags[TYPE_TAG];
  delete tags[JOB_TAG];
  return {
    name: mv.name,
    version: mv.version,
    id: `azureml:${mv.name}:${mv.version}`,
    type,
    path: downloadUri ?? mv.source,
    description: mv.description,
    tags,
    stage: mv.current_stage,
    job_name: job,
    run_id: mv.run_id,
    creation_context: { created_at: new Date(Number(mv.creation_timestamp)).toISOString(), ...(mv.user_id ? { created_by: mv.user_id } : {}) },
  };
}

/**
 * Where an asset input's files are in the artifact store: an upload, a run's artifacts, a job's
 * output or a data asset. Checked to exist, so a job never starts on a missing input.
 */
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { uploadStorePath } from '../artifacts/layout.ts';
import { mlflowArtifactsPath } from '../artifacts/uri-policy.ts';
import type { DataAssetService } from '../assets/data.ts';
import type { DatastoreService } from '../assets/datastores.ts';
import type { RunService } from '../tracking/runs.ts';
import { invalid, notFound, StratusError } from '../util/errors.ts';
import type { JobStore } from './job-store.ts';

export class InputSources {
  constructor(
    private store: JobStore,
    private runs: RunService,
    private artifacts: LocalArtifactStore,
    private data: () => DataAssetService,
    private datastores: DatastoreService,
    private models?: () => { storePath(name: string, version: string): Promise<string>; show(name: string): Promise<{ version: string | number }> },
  ) {}

  /** The store path of input `input` given as `ref` (a model input's azureml:<name>:<version> names a registered model, as in Azure ML). */
  async resolve(input: string, ref: string, type?: string): Promise<string> {
    const rel = (type === 'mlflow_model' || type === 'custom_model') && this.models && /^azureml:[^/]/.test(ref)
      ? await this.modelPath(input, ref)
      : await this.storePath(input, ref);
    try {
      await this.artifacts.stat(rel);
    } catch {
      throw notFound(`Input '${input}': nothing found at '${ref}'.`);
    }
    return rel;
  }

  private async modelPath(input: string, ref: string): Promise<string> {
    const m = /^azureml:([A-Za-z0-9][\w.-]*?)(?::(\d+)|@latest)?$/.exec(ref);
    if (!m) throw invalid(`Input '${input}': cannot read model '${ref}'; use azureml:<name>:<version> or azureml:<name>@latest.`);
    const models = this.models!();
    const version = m[2] ?? String((await models.show(m[1]).catch(() => { throw notFound(`Input '${input}': model '${m[1]}' is not registered.`); })).version);
    return models.storePath(m[1], version).catch((err: StratusError) => {
      throw new StratusError(err.code, `Input '${input}': model '${ref}': ${err.message}`);
    });
  }

  private async storePath(input: string, ref: string): Promise<string> {
    const upload = uploadStorePath(ref);
    if (upload) return upload;
    if (ref.startsWith('runs:/')) {
      const m = /^runs:\/+([^/]+)\/?(.*)$/.exec(ref);
      if (!m) throw invalid(`Input '${input}': cannot read '${ref}'; use runs:/<run_id>/<path>.`);
      const info = await this.runs.getInfo(m[1]);
      if (!info.artifact_uri.startsWith('mlflow-artifacts:')) throw invalid(`Input '${input}': run ${m[1]} keeps artifacts outside this workspace.`);
      return [mlflowArtifactsPath(info.artifact_uri), m[2]].filter(Boolean).join('/');
    }
    if (ref.startsWith('azureml://jobs/')) {
      const m = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/(.*))?$/.exec(ref);
      if (!m) throw invalid(`Input '${input}': cannot read '${ref}'; use azureml://jobs/<job>/outputs/<name>.`);
      const source = await this.store.get(m[1]).catch(() => {
        throw notFound(`Input '${input}': job '${m[1]}' does not exist.`);
      });
      if (source.status !== 'Completed') throw invalid(`Input '${input}': job '${m[1]}' is ${source.status}; its outputs exist once it has Completed.`);
      return [this.store.outputPath(source, m[2]), m[3]].filter(Boolean).join('/');
    }
    const inDatastore = ref.startsWith('azureml://') ? (() => {
      try {
        return this.datastores.storePath(ref);
      } catch (err) {
        throw new StratusError((err as StratusError).code, `Input '${input}': ${(err as Error).message}`);
      }
    })() : undefined;
    if (inDatastore !== undefined) return inDatastore;
    if (ref.startsWith('azureml:')) {
      const m = /^azureml:([A-Za-z0-9][\w.-]*?)(?::([\w.-]+)|@([\w.-]+))?$/.exec(ref);
      if (!m) throw invalid(`Input '${input}': cannot read '${ref}'; use azureml:<name>:<version> or azureml:<name>@latest.`);
      return (await this.data().storePath(m[1], m[2], m[3] ?? (m[2] ? undefined : 'latest')).catch((err: StratusError) => {
        throw new StratusError(err.code, `Input '${input}': data asset '${ref}' does not exist in this workspace.`);
      })).path;
    }
    throw invalid(`Input '${input}': unsupported path '${ref}'.`);
  }
}

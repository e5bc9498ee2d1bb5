import type { DataAssetService } from '../assets/data.ts';
import type { ModelAssetService } from '../assets/models.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import type { ModelScorers } from './model-scoring.ts';
import type { ExternalScripts } from './external-scripts.ts';

/** What the SQL engine reads: data assets (tables), registered models (PREDICT, ml.models), their files; and where scripts run. */
export interface SqlDeps {
  data: DataAssetService;
  models: ModelAssetService;
  store: LocalArtifactStore;
  scorers: ModelScorers;
  scripts: ExternalScripts;
  /** Keeps a result file as a new version of a uri_file data asset. */
  saveResult(file: string, as: { name: string; version?: string; description?: string }): Promise<{ name: string; version: string }>;
}

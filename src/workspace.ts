/** Wires the store, the artifact store and the services of one workspace together. */
import path from 'node:path';
import type { Db } from './store/db.ts';
import { openStore } from './store/open.ts';
import { LocalArtifactStore } from './artifacts/local-store.ts';
import { ExperimentService } from './tracking/experiments.ts';
import { RunService } from './tracking/runs.ts';
import { LoggedModelService } from './tracking/logged-models.ts';
import { RegistryService } from './tracking/registry.ts';

export interface Workspace {
  db: Db;
  artifacts: LocalArtifactStore;
  experiments: ExperimentService;
  runs: RunService;
  loggedModels: LoggedModelService;
  registry: RegistryService;
  close(): Promise<void>;
}

export async function openWorkspace(opts: { dataDir: string; storeUrl?: string }): Promise<Workspace> {
  const db = await openStore(opts.dataDir, opts.storeUrl);
  const artifacts = new LocalArtifactStore(path.join(opts.dataDir, 'artifacts'));
  const experiments = new ExperimentService(db);
  await experiments.ensureDefault();
  const runs = new RunService(db, experiments);
  const loggedModels = new LoggedModelService(db, experiments);
  const registry = new RegistryService(db, runs, loggedModels);
  return { db, artifacts, experiments, runs, loggedModels, registry, close: () => db.close() };
}

/** Wires the store, the artifact store and the services of one workspace together. */
import path from 'node:path';
import type { Db } from './store/db.ts';
import { openStore } from './store/open.ts';
import { LocalArtifactStore } from './artifacts/local-store.ts';
import { ExperimentService } from './tracking/experiments.ts';
import { RunService } from './tracking/runs.ts';
import { ArtifactAccess } from './tracking/artifact-access.ts';
import { LoggedModelService } from './tracking/logged-models.ts';
import { RegistryService } from './tracking/registry.ts';
import { ComputeService } from './compute/computes.ts';
import { ManagedComputes } from './compute/managed.ts';
import { JupyterRuntime } from './compute/jupyter-runtime.ts';
import { SparkRuntime } from './compute/spark-runtime.ts';
import { SparkDriverProvider } from './compute/spark-provider.ts';
import { LocalProcessProvider } from './compute/local-process.ts';
import { WorkspaceFiles } from './files/workspace-files.ts';
import { DatastoreService } from './assets/datastores.ts';
import { SqlEngine } from './sql/engine.ts';
import { OnnxConversions } from './sql/onnx-conversion.ts';
import { automlDetails } from './jobs/automl-leaderboard.ts';
import { registerBuiltinModules } from './designer/builtin-modules.ts';
import { DesignerInference } from './designer/inference-deploy.ts';
import { ModelScorers } from './sql/model-scoring.ts';
import { ExternalScripts } from './sql/external-scripts.ts';
import { saveAsDataAsset } from './sql/save-result.ts';
import { LivyBatches } from './spark/livy-batches.ts';
import { LivySessions } from './spark/livy-sessions.ts';
import { DatabricksApi } from './spark/databricks.ts';
import { JobService } from './jobs/job-service.ts';
import { JobStore } from './jobs/job-store.ts';
import { CommandRunner } from './jobs/command-runner.ts';
import { InputSources } from './jobs/input-sources.ts';
import { ComputeProviders } from './compute/providers.ts';
import { EnvironmentBuilder } from './environments/builder.ts';
import os from 'node:os';
import { EnvironmentAssetService } from './assets/environments.ts';
import { DataAssetService } from './assets/data.ts';
import { ModelAssetService } from './assets/models.ts';
import { EndpointService } from './serving/endpoints.ts';
import { ComponentService } from './pipelines/components.ts';
import { PipelineRunner } from './pipelines/pipeline-runner.ts';
import { SweepRunner } from './sweeps/sweep-runner.ts';
import { ScheduleService } from './schedules/schedule-service.ts';
import { BatchEndpointService } from './serving/batch-endpoints.ts';
import { FileAuthors } from './files/file-authors.ts';
import { Access, defaultPermissionFrom } from './access/access.ts';

export interface Workspace {
  db: Db;
  artifacts: LocalArtifactStore;
  /** What clients may change in the artifact store. */
  artifactAccess: ArtifactAccess;
  experiments: ExperimentService;
  runs: RunService;
  loggedModels: LoggedModelService;
  registry: RegistryService;
  computes: ComputeService;
  jobs: JobService;
  environments: EnvironmentAssetService;
  data: DataAssetService;
  models: ModelAssetService;
  endpoints: EndpointService;
  components: ComponentService;
  schedules: ScheduleService;
  builder: EnvironmentBuilder;
  /** The file share compute instances use as their Jupyter root. */
  files: WorkspaceFiles;
  /** Datastores: the default one's files, and what azureml://datastores/… URIs name. */
  datastores: DatastoreService;
  /** SQL over the workspace (DuckDB): data assets as tables, ml.models, PREDICT. */
  sql: SqlEngine;
  /** scikit-learn models converted to ONNX at registration, and where each conversion stands. */
  conversions: OnnxConversions;
  /** Apache Livy's batches, run as spark jobs. */
  livy: LivyBatches;
  /** Apache Livy's interactive sessions: PySpark drivers that run statements. */
  livySessions: LivySessions;
  /** Databricks' cluster and run API over Spark clusters and spark jobs. */
  databricks: DatabricksApi;
  /** The designer's real-time inference pipelines, made from its trained pipelines. */
  designer: DesignerInference;
  /** Batch endpoints: deployments that score whole data assets as jobs. */
  batch: BatchEndpointService;
  /** Users, groups, roles, tokens, the audit log and MLflow's permissions. */
  access: Access;
  close(): Promise<void>;
}

/** Built environments are shared by every workspace of this user: they depend only on their spec. */
export function defaultEnvCache(): string {
  return process.env.STRATUS_ENV_CACHE || path.join(os.homedir(), '.cache', 'stratus', 'envs');
}

export async function openWorkspace(opts: { dataDir: string; storeUrl?: string; envCache?: string }): Promise<Workspace> {
  const db = await openStore(opts.dataDir, opts.storeUrl);
  const artifacts = new LocalArtifactStore(path.join(opts.dataDir, 'artifacts'));
  const experiments = new ExperimentService(db);
  await experiments.ensureDefault();
  const runs = new RunService(db, experiments);
  const loggedModels = new LoggedModelService(db, experiments);
  const registry = new RegistryService(db, runs, loggedModels, experiments);
  const artifactAccess = new ArtifactAccess(experiments, artifacts);
  const builder = new EnvironmentBuilder(opts.envCache ?? defaultEnvCache());
  const environments = new EnvironmentAssetService(db);
  const files = new WorkspaceFiles(path.join(opts.dataDir, 'files'), undefined, new FileAuthors(db, 'share'));
  const managed = new ManagedComputes(db, path.join(opts.dataDir, 'computes'));
  // Kernel specs that Spark clusters offer to every compute instance's Jupyter (notebooks attached to a cluster).
  const sharedKernels = path.join(opts.dataDir, 'jupyter');
  const spark = new SparkRuntime(builder, sharedKernels);
  managed.register('computeinstance', new JupyterRuntime(builder, environments, files.root, sharedKernels));
  managed.register('spark', spark);
  const computes = new ComputeService(db, managed, spark);
  await computes.ensureDefaults();
  const jobStore = new JobStore(db, experiments, runs);
  const datastores = new DatastoreService(path.join(opts.dataDir, 'artifacts'), new FileAuthors(db, 'workspaceblobstore'));
  const inputs: InputSources = new InputSources(jobStore, runs, artifacts, () => data, datastores, (): ModelAssetService => models);
  const commands = new CommandRunner(jobStore, runs, artifacts, computes, new ComputeProviders([new LocalProcessProvider(), new SparkDriverProvider(managed)]), builder, environments, inputs, path.join(opts.dataDir, 'jobs'));
  const jobs = new JobService(jobStore, commands, inputs, experiments);
  jobs.describeWith('automl', (row) => automlDetails(db, runs, row));
  const data: DataAssetService = new DataAssetService(db, artifacts, async (job, output) => (await jobs.outputLocation(job, output)).storePath, datastores);
  const models = new ModelAssetService(registry, artifacts, (job, output) => jobs.outputLocation(job, output));
  const endpoints = new EndpointService(db, artifacts, builder, environments, models, path.join(opts.dataDir, 'endpoints'));
  const conversions = new OnnxConversions(registry, artifacts, builder, path.join(opts.dataDir, 'sql', 'onnx'));
  conversions.watch();
  conversions.resume();
  const scorers = new ModelScorers(builder, path.join(opts.dataDir, 'sql', 'logs'), (folder) => conversions.onnxFor(folder));
  const scripts = new ExternalScripts(builder, () => (managed.context ? { MLFLOW_TRACKING_URI: managed.context.trackingUri, ...managed.context.trackingEnv } : {}));
  const sql = new SqlEngine({ data, models, store: artifacts, scorers, scripts, saveResult: (file, as) => saveAsDataAsset(artifacts, data, file, as) }, path.join(opts.dataDir, 'sql'));
  const components = new ComponentService(db, artifacts);
  await registerBuiltinModules(components);
  jobs.register('pipeline', new PipelineRunner(jobs, components));
  const sweeps = new SweepRunner(jobs, components, runs);
  jobs.register('sweep', sweeps);
  const schedules = new ScheduleService(db, jobs);
  const livy = new LivyBatches(db, jobs, computes, files.root);
  const livySessions = new LivySessions(builder, managed, files.root, path.join(opts.dataDir, 'livy-sessions'));
  const databricks = new DatabricksApi(db, computes, jobs, files.root);
  const designer = new DesignerInference(jobs, artifacts, models, endpoints);
  const batch = new BatchEndpointService(db, jobs, {
    component: (ref) => components.fromRef(ref),
    modelFolder: async (ref) => artifacts.resolve(await inputs.resolve('model', ref, 'mlflow_model')),
  }, () => endpoints.publicUrl());
  const access = new Access(db, defaultPermissionFrom(process.env));
  return {
    db, artifacts, artifactAccess, experiments, runs, loggedModels, registry, computes, jobs, environments, data, models, endpoints, components, schedules, builder, files, datastores, sql, conversions, livy, livySessions, databricks, designer, batch, access,
    async close() {
      await livySessions.closeAll();
      schedules.stop();
      await managed.stop();
      sweeps.stopAll();
      await jobs.stop();
      await endpoints.stop();
      await scorers.closeAll();
      await access.audit.close();
      await db.close();
    },
  };
}

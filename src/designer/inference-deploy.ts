/**
 * From a trained designer pipeline to a real-time endpoint in one action: the inference pipeline
 * (inference-plan.ts) is gathered with what its transformations learnt in training and Train
 * Model's model into one registered model; python/stratus_designer/endpoint.py serves it as a
 * deployment's score.py, in the designer's own curated environment, answering as Azure ML's
 * designer endpoints do ({"Inputs": {"WebServiceInput0": rows}} → {"Results": {"WebServiceOutput0": rows}}).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { exportPath } from '../artifacts/local-store.ts';
import { storeFolder } from '../artifacts/content-addressed.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { ModelAssetService } from '../assets/models.ts';
import type { EndpointService } from '../serving/endpoints.ts';
import type { PipelineJobSpec } from '../specs/pipeline-types.ts';
import { DEFAULT_PROBE } from '../specs/probe-settings.ts';
import { invalid, type StratusError } from '../util/errors.ts';
import { HARNESS } from '../util/python-harness.ts';
import { inferencePlan, type InferencePlan } from './inference-plan.ts';

export interface DeployInference {
  endpoint_name: string;
  deployment_name?: string;
  /** The registered model's name (default: `<endpoint>-inference`). */
  model_name?: string;
  /** Which Score Model step, when the pipeline has several. */
  score_step?: string;
  instance_count?: number;
}

/** The inference pipeline as the studio draws it and `show` reports it. */
export interface InferencePipeline extends InferencePlan {
  job: string;
  /** The graph's nodes, in order: Web Service Input, the replayed steps, Score Model, Web Service Output. */
  graph: string[];
}

interface TransformRecord { module: string; input_schema: { name: string; type: string }[]; state: unknown }

export class DesignerInference {
  constructor(
    private jobs: JobService,
    private store: LocalArtifactStore,
    private models: ModelAssetService,
    private endpoints: EndpointService,
  ) {}

  /** The real-time inference pipeline of a pipeline job (nothing is created). */
  async show(job: string, scoreStep?: string): Promise<InferencePipeline> {
    const row = await this.jobs.store.get(job);
    if (row.type !== 'pipeline') throw invalid(`Job '${job}' is a ${row.type} job: an inference pipeline is made from a designer pipeline job.`);
    const plan = inferencePlan(JSON.parse(row.spec) as PipelineJobSpec, scoreStep);
    return { job, ...plan, graph: ['Web Service Input', ...plan.steps.map((s) => s.title), 'Score Model', 'Web Service Output'] };
  }

  /** Registers the inference pipeline as a model and serves it on an online endpoint (created when missing), with all its traffic. */
  async deploy(job: string, opts: DeployInference) {
    const pipeline = await this.show(job, opts.score_step);
    const steps = new Map((await this.jobs.store.children(job)).map((c) => [c.step_name!, c.name]));
    const stepJob = (step: string) => {
      const name = steps.get(step);
      if (!name) throw invalid(`Step '${step}' of job '${job}' has not run: an inference pipeline is made from a pipeline whose steps completed.`);
      return name;
    };
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stratus-inference-'));
    try {
      const bundle = path.join(work, 'inference');
      const model = await this.jobs.outputLocation(stepJob(pipeline.model.step), pipeline.model.output);
      await exportPath(this.store, model.storePath, path.join(bundle, 'trained_model'));
      const trained = JSON.parse(fs.readFileSync(path.join(bundle, 'trained_model', 'designer.json'), 'utf8')) as { label_column: string | null; task: string };
      if (trained.task === 'clustering') throw invalid('The model Score Model used is a clustering model: score it with Assign Data to Clusters.');
      const replayed = [];
      for (const s of pipeline.steps) {
        const out = await this.jobs.outputLocation(stepJob(s.step), s.output);
        const file = path.join(this.store.resolve(out.storePath), '_transform.json');
        if (!fs.existsSync(file)) {
          throw invalid(`Step '${s.step}' (${s.title}) ran before Stratus kept what transformations learn: submit the pipeline again, then create its inference pipeline.`);
        }
        const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as TransformRecord;
        replayed.push({ ...s, state: kept.state, input_schema: kept.input_schema });
      }
      const scored = await this.jobs.outputLocation(stepJob(pipeline.score_step), 'scored_dataset');
      const output = JSON.parse(fs.readFileSync(path.join(this.store.resolve(scored.storePath), '_schema.json'), 'utf8')) as { columns: { name: string; type: string }[]; score_columns?: string[] };
      // What Web Service Input takes: the columns the first replayed step received, or else those Score Model received.
      const inputSchema = replayed[0]?.input_schema ?? output.columns.filter((c) => !(output.score_columns ?? []).includes(c.name));
      fs.writeFileSync(path.join(bundle, 'inference.json'), JSON.stringify({
        job, score_step: pipeline.score_step, label_column: trained.label_column, input_schema: inputSchema, output_columns: output.columns.map((c) => c.name),
        append_score_columns: pipeline.append_score_columns, steps: replayed.map(({ step, module, params, state }) => ({ step, module, params, state })),
      }, null, 1));
      const stored = await storeFolder(this.store, bundle, 'uploads');
      const modelName = opts.model_name ?? `${opts.endpoint_name}-inference`;
      const registered = await this.models.create({
        name: modelName, path: stored.ref, type: 'custom_model',
        description: `Real-time inference pipeline of designer job ${job}: ${pipeline.graph.join(' → ')}`,
        tags: { designer_job: job },
      }) as { version: string | number };
      const code = await storeFolder(this.store, this.scoringCode(work), 'snapshots');
      await this.endpoints.showEndpoint(opts.endpoint_name).catch(async (err: StratusError) => {
        if (err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
        await this.endpoints.createEndpoint({ name: opts.endpoint_name, auth_mode: 'key', description: `Designer inference pipeline of job ${job}` });
      });
      const name = opts.deployment_name ?? 'designer';
      const modelRef = `azureml:${modelName}:${registered.version}`;
      const existing = await this.endpoints.showDeployment(opts.endpoint_name, name).catch(() => undefined);
      // Deploying again (a retrained pipeline) rolls the deployment over to the new inference pipeline.
      const deployment = existing
        ? await this.endpoints.updateDeployment(opts.endpoint_name, name, { model: modelRef, code: code.hash, scoring_script: 'score.py', description: `Inference pipeline of designer job ${job}` })
        : await this.endpoints.createDeployment({
          name, endpoint_name: opts.endpoint_name, model: modelRef, code: code.hash, scoring_script: 'score.py',
          environment: { kind: 'curated', name: 'stratus-designer' }, environment_variables: {},
          instance_count: opts.instance_count ?? 1, request_settings: { request_timeout_ms: 60_000, max_concurrent_requests_per_instance: 1 },
          liveness_probe: DEFAULT_PROBE, readiness_probe: DEFAULT_PROBE, description: `Inference pipeline of designer job ${job}`, notes: [],
        }, true);
      return { inference_pipeline: pipeline, model: { name: modelName, version: String(registered.version) }, deployment, endpoint: await this.endpoints.showEndpoint(opts.endpoint_name) };
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /** The deployment's code: the designer's Python as it is now (a snapshot, so the deployment keeps it) and a score.py. */
  private scoringCode(work: string): string {
    const code = path.join(work, 'code');
    fs.mkdirSync(path.join(code, 'stratus_designer'), { recursive: true });
    const source = path.join(HARNESS, 'stratus_designer');
    for (const f of fs.readdirSync(source).filter((n) => n.endsWith('.py'))) fs.copyFileSync(path.join(source, f), path.join(code, 'stratus_designer', f));
    fs.writeFileSync(path.join(code, 'score.py'), '# A designer real-time inference pipeline (stratus_designer/endpoint.py).\nfrom stratus_designer.endpoint import init, run  # noqa: F401\n');
    return code;
  }
}

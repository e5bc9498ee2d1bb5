/**
 * Runs pipeline jobs. A pipeline is a parent job (and MLflow parent run) whose steps are child
 * jobs: a step starts once every step it reads from has Completed, so independent steps run in
 * parallel within their computes' limits. A step whose reuse hash matches an earlier Completed
 * job is recorded as reused at once, sharing that job's outputs. The runner keeps no state of its
 * own: each advance reads the children from the store, so a restarted server carries on.
 */
import { invalid } from '../util/errors.ts';
import type { InputSpec, JobSpec, OutputSpec } from '../specs/command-job.ts';
import type { ChildPlacement, JobTypeRunner, JobRow, JobService } from '../jobs/job-service.ts';
import { isTerminal } from '../specs/job-status.ts';
import type { ComponentService } from './components.ts';
import { bindingYaml, checkGraph, formatProblems, stepDependencies, topologicalOrder } from '../specs/pipeline-graph.ts';
import { explainRerun, reuseHash, reuseParts, type ReuseParts } from './reuse.ts';
import { PerJobQueue } from '../jobs/per-job-queue.ts';
import { inputTypes, LITERAL_TYPES, type ComponentSpec, type PipelineJobSpec, type StepSpec } from '../specs/pipeline-types.ts';

/** Where a step runs (or, without a step, the pipeline's own compute): the step's, else settings.default_compute, else the pipeline's, else local. */
function computeOf(spec: PipelineJobSpec, step?: StepSpec): string {
  return step?.compute ?? spec.settings.default_compute ?? spec.compute ?? 'local';
}

export class PipelineRunner implements JobTypeRunner {
  private queue = new PerJobQueue();

  constructor(private jobs: JobService, private components: ComponentService) {}

  /** Resolves registered components and checks the graph; the spec a pipeline job stores. */
  async prepare(raw: Record<string, unknown>): Promise<PipelineJobSpec> {
    const spec = raw as unknown as PipelineJobSpec;
    if (!spec.jobs || typeof spec.jobs !== 'object') throw invalid('A pipeline job needs jobs (stratus job create --file pipeline.yml builds it).');
    const jobs = await this.components.resolveSteps(spec.jobs);
    const problems = checkGraph(jobs, { parentInputs: inputTypes(spec.inputs ?? {}), parentOutputs: Object.keys(spec.outputs ?? {}) });
    if (problems.length) throw invalid(`The pipeline is not valid:\n${formatProblems(problems)}`);
    const settings = { ...spec.settings, continue_on_step_failure: !!spec.settings?.continue_on_step_failure, force_rerun: !!spec.settings?.force_rerun };
    return { ...spec, inputs: spec.inputs ?? {}, outputs: spec.outputs ?? {}, tags: spec.tags ?? {}, notes: spec.notes ?? [], settings, jobs };
  }

  async validate(raw: Record<string, unknown>): Promise<Record<string, unknown>> {
    const spec = await this.checked(raw);
    return { steps: topologicalOrder(spec.jobs).map((s) => ({ name: s, depends_on: stepDependencies(spec.jobs[s]) })) };
  }

  /** prepare() plus the computes every step names. */
  private async checked(raw: Record<string, unknown>): Promise<PipelineJobSpec> {
    const spec = await this.prepare(raw);
    for (const [name, step] of Object.entries(spec.jobs)) await this.jobs.checkCompute(computeOf(spec, step), `jobs.${name}.compute`);
    return spec;
  }

  async submit(raw: Record<string, unknown>, placement?: ChildPlacement): Promise<string> {
    const spec = await this.checked(raw);
    const compute = computeOf(spec);
    const name = await this.jobs.store.newJobName(spec.name);
    await this.jobs.store.insert({
      name, type: 'pipeline', status: 'Running', spec: { ...spec, name }, experimentName: spec.experiment_name, displayName: spec.display_name,
      description: spec.description, compute, tags: spec.tags, placement, runStatus: 'RUNNING', startedAt: Date.now(),
    });
    void this.advance(name);
    return name;
  }

  childSettled(name: string): void {
    void this.advance(name);
  }

  async resume(name: string): Promise<void> {
    void this.advance(name);
  }

  async cancel(name: string): Promise<void> {
    await this.jobs.store.settle(name, 'Canceled');
    for (const child of await this.jobs.store.children(name)) if (!isTerminal(child.status)) await this.jobs.cancel(child.name);
  }

  advance(name: string): Promise<void> {
    return this.queue.run(name, () => this.step(name), async (err) => { await this.jobs.store.settle(name, 'Failed', { error: { message: err.message } }); });
  }

  /** Starts what can start, cancels what must stop, and ends the pipeline when nothing is left. */
  private async step(name: string): Promise<void> {
    const row = await this.jobs.store.get(name);
    if (isTerminal(row.status)) return;
    const spec = JSON.parse(row.spec) as PipelineJobSpec;
    const children = new Map((await this.jobs.store.children(name)).map((c) => [c.step_name!, c]));
    const failed = [...children.values()].filter((c) => c.status === 'Failed' || c.status === 'Canceled');
    const stopping = failed.length > 0 && !spec.settings.continue_on_step_failure;
    if (stopping) {
      for (const c of children.values()) if (!isTerminal(c.status)) await this.jobs.cancel(c.name);
    } else {
      for (const stepName of topologicalOrder(spec.jobs)) {
        if (children.has(stepName)) continue;
        const deps = stepDependencies(spec.jobs[stepName]).map((d) => children.get(d));
        if (deps.some((d) => !d || d.status !== 'Completed')) continue;
        const child = await this.startStep(row, spec, stepName, children);
        children.set(stepName, child);
      }
    }
    const current = [...children.values()];
    if (current.some((c) => !isTerminal(c.status))) return;
    const steps = Object.keys(spec.jobs);
    if (steps.every((s) => children.get(s)?.status === 'Completed')) {
      const outputs: Record<string, string> = {};
      for (const [stepName, step] of Object.entries(spec.jobs)) {
        for (const [out, o] of Object.entries(step.outputs)) if (o.parent_output) outputs[o.parent_output] = this.jobs.store.outputPath(children.get(stepName)!, out);
      }
      await this.jobs.store.settle(name, 'Completed', { outputsMap: outputs });
      return;
    }
    const failures = current.filter((c) => c.status !== 'Completed').map((c) => `${c.step_name} ${c.status.toLowerCase()}${c.error ? ` (${JSON.parse(c.error).message})` : ''}`);
    const notRun = steps.filter((s) => !children.has(s));
    await this.jobs.store.settle(name, 'Failed', { error: {
      message: `Step ${failures.join(', ')}.${notRun.length ? ` Not run: ${notRun.join(', ')}.` : ''}`,
    } });
  }

  /** The concrete inputs of a step: bindings evaluated in the pipeline's context. */
  private stepInputs(spec: PipelineJobSpec, step: StepSpec, component: ComponentSpec, children: Map<string, JobRow>): Record<string, InputSpec> {
    const inputs: Record<string, InputSpec> = {};
    for (const [input, decl] of Object.entries(component.inputs)) {
      const b = step.inputs[input];
      if (!b) {
        if (decl.default !== undefined) inputs[input] = { type: 'literal', value: decl.default };
        continue;
      }
      if (b.kind === 'literal') inputs[input] = { type: 'literal', value: b.value };
      else if (b.kind === 'asset') inputs[input] = { type: b.type, path: b.path, mode: b.mode };
      else if (b.kind === 'parent_input') {
        if (spec.inputs[b.name]) inputs[input] = spec.inputs[b.name];
      } else {
        const type = (LITERAL_TYPES as readonly string[]).includes(decl.type) ? 'uri_folder' : decl.type;
        inputs[input] = { type: type as Exclude<InputSpec['type'], 'literal'>, path: `azureml://jobs/${children.get(b.step)!.name}/outputs/${b.output}` } as InputSpec;
      }
    }
    return inputs;
  }

  private async startStep(row: JobRow, spec: PipelineJobSpec, stepName: string, children: Map<string, JobRow>): Promise<JobRow> {
    const step = spec.jobs[stepName];
    const component = step.component as ComponentSpec;
    const inputs = this.stepInputs(spec, step, component, children);
    const compute = computeOf(spec, step);
    const placement: ChildPlacement = { parent: { job: row.name, runId: row.run_id }, stepName };
    const outputs = Object.fromEntries(Object.entries(component.outputs).map(([k, o]) => [k, { type: o.type }])) as Record<string, OutputSpec>;
    if (step.type === 'pipeline') {
      const child: PipelineJobSpec = {
        type: 'pipeline', display_name: step.display_name ?? stepName, tags: {}, experiment_name: spec.experiment_name, compute, settings: spec.settings,
        inputs, outputs, jobs: component.jobs ?? {}, notes: [],
      };
      return this.jobs.store.get(await this.submit(child as unknown as Record<string, unknown>, placement));
    }
    if (step.type === 'sweep') {
      const sweep = { type: 'sweep', display_name: step.display_name ?? stepName, tags: {}, experiment_name: spec.experiment_name, compute, inputs,
        step: { ...step, outputs: {}, inputs: Object.fromEntries(Object.keys(inputs).map((k) => [k, { kind: 'parent_input', name: k }])) }, notes: [] };
      return this.jobs.store.get(String((await this.jobs.submit(sweep, placement)).name));
    }
    const jobSpec: JobSpec = {
      type: component.spark ? 'spark' : 'command', ...(component.spark ? { spark: component.spark } : {}),
      display_name: step.display_name ?? stepName, tags: {}, experiment_name: spec.experiment_name, command: component.command!,
      code: component.code, environment: component.environment ?? { kind: 'host' },
      environment_variables: { ...(component.environment_variables ?? {}), ...(step.environment_variables ?? {}) },
      inputs, outputs, compute, timeout_seconds: step.timeout_seconds, notes: [],
    };
    return this.runOrReuse(jobSpec, placement, component, spec, stepName);
  }

  /** Submits the step, or records it as reused when an identical step already Completed. */
  async runOrReuse(jobSpec: JobSpec, placement: ChildPlacement, component: ComponentSpec, spec: { experiment_name: string; settings?: { force_rerun?: boolean } }, stepName: string): Promise<JobRow> {
    const identities: Record<string, string> = {};
    for (const [input, value] of Object.entries(jobSpec.inputs)) {
      if (value.type !== 'literal') identities[input] = await this.jobs.inputs.resolve(`${stepName}.${input}`, value.path);
    }
    const parts = reuseParts(jobSpec, identities);
    const hash = reuseHash(parts);
    const stepKey = component.name ? `component:${component.name}` : `step:${spec.experiment_name}/${stepName}`;
    const forced = !!spec.settings?.force_rerun;
    if (!forced && component.is_deterministic) {
      const earlier = await this.jobs.store.findReusable(hash);
      if (earlier) {
        const now = Date.now();
        return this.jobs.store.insert({
          name: await this.jobs.store.newJobName(), type: jobSpec.type, status: 'Completed', runStatus: 'FINISHED', spec: jobSpec,
          experimentName: jobSpec.experiment_name, displayName: jobSpec.display_name, compute: jobSpec.compute, tags: { 'stratus.reused_from': earlier.name },
          outputsMap: Object.fromEntries(Object.keys(jobSpec.outputs).map((o) => [o, this.jobs.store.outputPath(earlier, o)])),
          startedAt: now, endedAt: now,
          placement: { ...placement, stepKey, reuseHash: hash, info: { reused: true, reused_from: earlier.name, reason: `same component, code, environment and inputs as job ${earlier.name}`, parts } },
        });
      }
    }
    let reason: string;
    if (forced) reason = 'settings.force_rerun is true';
    else if (!component.is_deterministic) reason = 'the component is not deterministic (is_deterministic: false)';
    else {
      const last = await this.jobs.store.lastRunOf(stepKey);
      reason = explainRerun(parts, last?.step_info ? { job: last.name, parts: (JSON.parse(last.step_info) as { parts: ReuseParts }).parts } : undefined);
    }
    const name = await this.jobs.commands.submit(jobSpec, { ...placement, stepKey, reuseHash: hash, info: { reused: false, reason, parts } });
    return this.jobs.store.get(name);
  }

  /** `job show` of a pipeline: each step's job, status and reuse. */
  async describe(row: JobRow): Promise<Record<string, unknown>> {
    if (row.type !== 'pipeline') return {};
    const spec = JSON.parse(row.spec) as PipelineJobSpec;
    const children = new Map((await this.jobs.store.children(row.name)).map((c) => [c.step_name!, c]));
    const jobs: Record<string, unknown> = {};
    for (const stepName of topologicalOrder(spec.jobs)) {
      const child = children.get(stepName);
      const reuse = child?.step_info ? JSON.parse(child.step_info) as { reused: boolean; reused_from?: string; reason: string } : undefined;
      const component = spec.jobs[stepName].component as ComponentSpec;
      jobs[stepName] = {
        type: spec.jobs[stepName].type,
        component: component.name ? `azureml:${component.name}:${component.version}` : undefined,
        job_name: child?.name,
        status: child?.status ?? 'NotStarted',
        inputs: Object.fromEntries(Object.entries(spec.jobs[stepName].inputs).map(([k, b]) => [k, bindingYaml(b)])),
        depends_on: stepDependencies(spec.jobs[stepName]),
        reused: reuse?.reused,
        reused_from: reuse?.reused_from,
        reuse_reason: reuse?.reason,
      };
    }
    return {
      settings: spec.settings,
      jobs,
      // store_path: where the files are in this workspace's store (the step output each one is).
      outputs: Object.fromEntries(Object.entries(spec.outputs).map(([k, v]) => [k, { ...v, path: `azureml://jobs/${row.name}/outputs/${k}`, store_path: this.jobs.store.outputPath(row, k) }])),
    };
  }
}

/**
 * Runs sweep jobs: a parent job (and MLflow parent run) whose children are trials, each the trial
 * command with one sample of the search space as its inputs. Trials are started up to
 * max_concurrent_trials; while they run, their primary metric (read from their MLflow runs) is
 * judged by the early termination policy and trials that fall behind are canceled. When the
 * sweep ends, its best trial is named with its parameters and its outputs are the sweep's.
 */
import crypto from 'node:crypto';
import { invalid } from '../util/errors.ts';
import type { InputSpec, JobSpec, OutputSpec } from '../specs/command-job.ts';
import type { ChildPlacement, JobTypeRunner, JobRow, JobService } from '../jobs/job-service.ts';
import { isTerminal } from '../specs/job-status.ts';
import type { RunService } from '../tracking/runs.ts';
import type { ComponentService } from '../pipelines/components.ts';
import { checkGraph, formatProblems } from '../specs/pipeline-graph.ts';
import { PerJobQueue } from '../jobs/per-job-queue.ts';
import { inputTypes, type ComponentSpec, type StepSpec, type SweepJobSpec } from '../specs/pipeline-types.ts';
import { judge, type TrialHistory } from './early-termination.ts';
import { Sampler, type Observation, type Params } from './sampling.ts';

const POLL_MS = 500;

interface TrialState { params: Params; early_terminated?: string }

export class SweepRunner implements JobTypeRunner {
  private queue = new PerJobQueue();
  private timers = new Map<string, NodeJS.Timeout>();

  constructor(private jobs: JobService, private components: ComponentService, private runs: RunService) {}

  /** The trial resolved and checked against the sweep's inputs. */
  private async checked(raw: Record<string, unknown>): Promise<{ spec: SweepJobSpec; trialStep: StepSpec; compute: string }> {
    const spec = raw as unknown as SweepJobSpec;
    if (!spec.step?.sweep) throw invalid('A sweep job needs trial, search_space, objective and limits (stratus job create --file sweep.yml builds it).');
    const [trialStep] = Object.values(await this.components.resolveSteps({ trial: spec.step }));
    const component = trialStep.component as ComponentSpec;
    if (component.type !== 'command') throw invalid('A sweep trial must be a command component.');
    const problems = checkGraph({ trial: trialStep }, { parentInputs: inputTypes(spec.inputs ?? {}), parentOutputs: [] });
    if (problems.length) throw invalid(`The sweep is not valid:\n${formatProblems(problems)}`);
    const compute = spec.compute ?? 'local';
    await this.jobs.checkCompute(compute, 'compute');
    return { spec, trialStep, compute };
  }

  async validate(raw: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { spec } = await this.checked(raw);
    return { search_space: Object.keys(spec.step.sweep!.search_space), max_total_trials: spec.step.sweep!.limits.max_total_trials };
  }

  async submit(raw: Record<string, unknown>, placement?: ChildPlacement): Promise<string> {
    const { spec, trialStep, compute } = await this.checked(raw);
    const sampling = trialStep.sweep!.sampling_algorithm;
    // Without a seed each sweep draws its own trials; the drawn seed is stored so it can be replayed.
    if (sampling.seed === undefined) trialStep.sweep = { ...trialStep.sweep!, sampling_algorithm: { ...sampling, seed: crypto.randomInt(2 ** 31) } };
    const name = await this.jobs.store.newJobName(spec.name);
    await this.jobs.store.insert({
      name, type: 'sweep', status: 'Running', spec: { ...spec, name, compute, inputs: spec.inputs ?? {}, step: trialStep, tags: spec.tags ?? {}, notes: spec.notes ?? [] },
      experimentName: spec.experiment_name, displayName: spec.display_name, description: spec.description, compute, tags: spec.tags ?? {},
      placement, runStatus: 'RUNNING', startedAt: Date.now(),
    });
    this.watch(name);
    return name;
  }

  async resume(name: string): Promise<void> {
    this.watch(name);
  }

  childSettled(name: string): void {
    void this.advance(name);
  }

  async cancel(name: string): Promise<void> {
    this.unwatch(name);
    await this.jobs.store.settle(name, 'Canceled');
    for (const child of await this.jobs.store.children(name)) if (!isTerminal(child.status)) await this.jobs.cancel(child.name);
  }

  stopAll(): void {
    for (const name of [...this.timers.keys()]) this.unwatch(name);
  }

  /** Trials report metrics on their own schedule: the sweep looks at them every POLL_MS. */
  private watch(name: string): void {
    if (this.timers.has(name)) return;
    const timer = setInterval(() => void this.advance(name), POLL_MS);
    timer.unref();
    this.timers.set(name, timer);
    void this.advance(name);
  }

  private unwatch(name: string): void {
    clearInterval(this.timers.get(name));
    this.timers.delete(name);
  }

  private advance(name: string): Promise<void> {
    return this.queue.run(name, () => this.step(name), async (err) => {
      this.unwatch(name);
      await this.jobs.store.settle(name, 'Failed', { error: { message: err.message } });
    });
  }

  private async histories(spec: SweepJobSpec, trials: JobRow[]): Promise<TrialHistory[]> {
    const metric = spec.step.sweep!.objective.primary_metric;
    return Promise.all(trials.map(async (t) => ({
      name: t.name,
      running: !isTerminal(t.status),
      values: (await this.runs.metricHistory(t.run_id, metric)).metrics.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp).map((m) => Number(m.value)),
    })));
  }

  private async step(name: string): Promise<void> {
    const row = await this.jobs.store.get(name);
    if (isTerminal(row.status)) return this.unwatch(name);
    const spec = JSON.parse(row.spec) as SweepJobSpec;
    const settings = spec.step.sweep!;
    const trials = await this.jobs.store.children(name);
    const histories = await this.histories(spec, trials);
    const timedOut = settings.limits.timeout !== undefined && Date.now() - Number(row.started_at) > settings.limits.timeout * 1000;

    if (timedOut) {
      for (const t of trials) if (!isTerminal(t.status)) await this.jobs.cancel(t.name);
    } else if (settings.early_termination) {
      for (const verdict of judge(settings.early_termination, settings.objective.goal, histories)) {
        const trial = trials.find((t) => t.name === verdict.name)!;
        // The trial may have finished since its metrics were read: only a trial this stops is marked.
        if ((await this.jobs.cancel(trial.name)).status !== 'Canceled') continue;
        await this.runs.setTag(trial.run_id, 'stratus.early_termination', verdict.reason).catch(() => undefined);
        await this.jobs.store.setStepInfo(trial.name, { early_terminated: verdict.reason });
      }
    }

    const current = await this.jobs.store.children(name);
    let active = current.filter((t) => !isTerminal(t.status)).length;
    let total = current.length;
    let exhausted = false;
    if (!timedOut) {
      const sampler = new Sampler(settings);
      const observations = this.observations(current, histories);
      while (active < settings.limits.max_concurrent_trials && total < settings.limits.max_total_trials) {
        const params = sampler.next(total, observations);
        if (!params) {
          exhausted = true;
          break;
        }
        await this.startTrial(row, spec, total, params);
        active++;
        total++;
      }
    }
    if (active > 0 || (!timedOut && !exhausted && total < settings.limits.max_total_trials)) return;
    this.unwatch(name);
    await this.finish(row, spec, await this.jobs.store.children(name), timedOut);
  }

  private observations(trials: JobRow[], histories: TrialHistory[]): Observation[] {
    return trials.flatMap((t) => {
      const last = histories.find((h) => h.name === t.name)?.values.at(-1);
      return t.status === 'Completed' && last !== undefined && Number.isFinite(last) ? [{ params: this.trialState(t).params, value: last }] : [];
    });
  }

  private trialState(t: JobRow): TrialState {
    return JSON.parse(t.step_info ?? '{"params":{}}') as TrialState;
  }

  private async startTrial(row: JobRow, spec: SweepJobSpec, index: number, params: Params): Promise<void> {
    const component = spec.step.component as ComponentSpec;
    const settings = spec.step.sweep!;
    const inputs: Record<string, InputSpec> = {};
    for (const [input, decl] of Object.entries(component.inputs)) {
      const b = spec.step.inputs[input];
      if (params[input] !== undefined) inputs[input] = { type: 'literal', value: params[input] };
      else if (b?.kind === 'parent_input' && spec.inputs[b.name]) inputs[input] = spec.inputs[b.name];
      else if (b?.kind === 'literal') inputs[input] = { type: 'literal', value: b.value };
      else if (b?.kind === 'asset') inputs[input] = { type: b.type, path: b.path, mode: b.mode };
      else if (decl.default !== undefined) inputs[input] = { type: 'literal', value: decl.default };
    }
    const trialName = `${row.name}_${index}`;
    const jobSpec: JobSpec = {
      type: 'command', name: trialName, display_name: trialName, tags: {}, experiment_name: spec.experiment_name, command: component.command!,
      code: component.code, environment: component.environment ?? { kind: 'host' }, environment_variables: component.environment_variables ?? {},
      inputs, outputs: Object.fromEntries(Object.entries(component.outputs).map(([k, o]) => [k, { type: o.type }])) as Record<string, OutputSpec>,
      compute: spec.compute ?? 'local', timeout_seconds: settings.limits.trial_timeout, notes: [],
    };
    await this.jobs.commands.submit(jobSpec, { parent: { job: row.name, runId: row.run_id }, stepName: `trial_${index}`, info: { params } });
  }

  private best(spec: SweepJobSpec, trials: JobRow[], histories: TrialHistory[]) {
    const goal = spec.step.sweep!.objective.goal;
    let best: { trial: JobRow; value: number } | undefined;
    for (const t of trials) {
      if (t.status !== 'Completed') continue;
      const value = histories.find((h) => h.name === t.name)?.values.at(-1);
      if (value === undefined || !Number.isFinite(value)) continue;
      if (!best || (goal === 'maximize' ? value > best.value : value < best.value)) best = { trial: t, value };
    }
    return best;
  }

  private async finish(row: JobRow, spec: SweepJobSpec, trials: JobRow[], timedOut: boolean): Promise<void> {
    const best = this.best(spec, trials, await this.histories(spec, trials));
    const metric = spec.step.sweep!.objective.primary_metric;
    if (!best) {
      await this.jobs.store.settle(row.name, 'Failed', { error: {
        message: `No trial completed with a value for the primary metric '${metric}'${timedOut ? ' before limits.timeout' : ''}. Trials must log it with mlflow.log_metric('${metric}', value).`,
      } });
      return;
    }
    await this.runs.setTag(row.run_id, 'best_child_run_id', best.trial.run_id).catch(() => undefined);
    await this.runs.logBatch(row.run_id, [{ key: metric, value: best.value, timestamp: Date.now(), step: 0 }], [], []).catch(() => undefined);
    const outputs = Object.fromEntries(Object.keys((spec.step.component as ComponentSpec).outputs).map((o) => [o, this.jobs.store.outputPath(best.trial, o)]));
    await this.jobs.store.settle(row.name, 'Completed', { outputsMap: outputs });
  }

  /** `job show` of a sweep: the best trial with its parameters, and every trial's status and metric. */
  async describe(row: JobRow): Promise<Record<string, unknown>> {
    if (row.type !== 'sweep') return {};
    const spec = JSON.parse(row.spec) as SweepJobSpec;
    const trials = await this.jobs.store.children(row.name);
    const histories = await this.histories(spec, trials);
    const best = isTerminal(row.status) ? this.best(spec, trials, histories) : undefined;
    const settings = spec.step.sweep!;
    return {
      command: (spec.step.component as ComponentSpec).command,
      search_space: settings.search_space,
      sampling_algorithm: settings.sampling_algorithm,
      objective: settings.objective,
      limits: settings.limits,
      early_termination: settings.early_termination,
      best_trial: best ? { name: best.trial.name, run_id: best.trial.run_id, params: this.trialState(best.trial).params, [settings.objective.primary_metric]: best.value } : undefined,
      trials: trials.map((t) => {
        const state = this.trialState(t);
        return { name: t.name, status: t.status, params: state.params, [settings.objective.primary_metric]: histories.find((h) => h.name === t.name)?.values.at(-1), early_terminated: state.early_terminated };
      }),
    };
  }
}

/**
 * "Create inference pipeline", as Azure ML's designer does it: from a trained pipeline, the path
 * that feeds Score Model's dataset is kept (Web Service Input in place of its source), the
 * modules that only shape training data (Split Data, sampling, SMOTE, …) are removed, and Train
 * Model is replaced by the model it trained. What remains is replayed on each request's rows.
 * Pure: it reads the stored pipeline spec, nothing else.
 */
import type { Binding, ComponentSpec, PipelineJobSpec, StepSpec } from '../specs/pipeline-types.ts';
import { invalid } from '../util/errors.ts';
import { BUILTIN_PREFIX, MODULES } from './builtin-modules.ts';

/** Row-wise transformations, replayed on the request's rows: the input each reads them from. */
const REPLAYED: Record<string, string> = {
  select_columns_in_dataset: 'dataset', edit_metadata: 'dataset', clean_missing_data: 'dataset', normalize_data: 'dataset',
  clip_values: 'dataset', convert_to_indicator_values: 'dataset', group_data_into_bins: 'dataset',
  apply_sql_transformation: 't1', execute_python_script: 'dataframe1', execute_r_script: 'dataframe1',
};
/** Inputs of a replayed module that must be left unjoined: one request's rows are its only data. */
const ONLY_INPUT: Record<string, string[]> = { apply_sql_transformation: ['t2', 't3'], execute_python_script: ['dataframe2'], execute_r_script: ['dataframe2'] };
/** Modules that choose or add training rows: removed, the rows pass through from this input. */
const TRAINING_ONLY: Record<string, string> = { split_data: 'dataset', partition_and_sample: 'dataset', remove_duplicate_rows: 'dataset', smote: 'samples', add_rows: 'dataset1' };
const SOURCES = new Set(['import_data', 'enter_data_manually']);
const TRAINERS: Record<string, string> = { train_model: 'trained_model', tune_model_hyperparameters: 'trained_best_model' };

export interface ReplayedStep {
  step: string;
  module: string;
  title: string;
  /** The output whose folder holds what the module learnt (`_transform.json`). */
  output: string;
  /** Every parameter as the module read it in training: text, as a job's inputs are. */
  params: Record<string, string>;
}

export interface InferencePlan {
  score_step: string;
  /** The step whose trained model Score Model used, and its output. */
  model: { step: string; output: string };
  /** Where the training rows came from; Web Service Input takes its place. */
  source: string;
  /** Web Service Input → these, in order → Score Model → Web Service Output. */
  steps: ReplayedStep[];
  removed: { step: string; title: string; why: string }[];
  append_score_columns: boolean;
}

const moduleOf = (step: StepSpec): string | undefined => {
  const name = (step.component as ComponentSpec).name;
  return name?.startsWith(BUILTIN_PREFIX) ? name.slice(BUILTIN_PREFIX.length) : undefined;
};
const titleOf = (module: string | undefined, step: string) => (module && MODULES[module]?.title) || step;

/** A parameter's value as the step ran with it: its binding, the pipeline's input it names, or the component's default. */
function paramValue(spec: PipelineJobSpec, step: StepSpec, name: string): string | undefined {
  const binding = step.inputs[name];
  if (binding?.kind === 'literal') return String(binding.value);
  if (binding?.kind === 'parent_input') {
    const input = spec.inputs[binding.name];
    return input && input.type === 'literal' ? String(input.value) : undefined;
  }
  const dflt = (step.component as ComponentSpec).inputs?.[name]?.default;
  return dflt === undefined ? undefined : String(dflt);
}

function params(spec: PipelineJobSpec, step: StepSpec, module: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(MODULES[module].params)) {
    const value = paramValue(spec, step, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function inferencePlan(spec: PipelineJobSpec, scoreStep?: string): InferencePlan {
  const scorers = Object.keys(spec.jobs).filter((s) => moduleOf(spec.jobs[s]) === 'score_model');
  if (scoreStep !== undefined && !scorers.includes(scoreStep)) {
    throw invalid(`Step '${scoreStep}' is not a Score Model step of this pipeline${scorers.length ? ` (those are: ${scorers.join(', ')})` : ''}.`);
  }
  if (!scorers.length) throw invalid('An inference pipeline scores with a trained model: this pipeline has no Score Model step (builtin.score_model).');
  if (scorers.length > 1 && scoreStep === undefined) {
    throw invalid(`This pipeline scores in ${scorers.length} steps (${scorers.join(', ')}): name the one the inference pipeline keeps (score_step).`);
  }
  const score = scoreStep ?? scorers[0];
  const scoreSpec = spec.jobs[score];
  const modelBinding = scoreSpec.inputs.trained_model;
  const trainer = modelBinding?.kind === 'step_output' ? moduleOf(spec.jobs[modelBinding.step]) : undefined;
  if (modelBinding?.kind !== 'step_output' || !trainer || TRAINERS[trainer] !== modelBinding.output) {
    throw invalid(`Score Model step '${score}' must score the model of a Train Model or Tune Model Hyperparameters step of this pipeline.`);
  }
  const steps: ReplayedStep[] = [];
  const removed: InferencePlan['removed'] = [];
  let binding: Binding | undefined = scoreSpec.inputs.dataset;
  let source = '';
  // Walk back from Score Model's dataset to where the rows came from.
  for (let hops = 0; binding?.kind === 'step_output'; hops++) {
    if (hops > Object.keys(spec.jobs).length) throw invalid('The pipeline\'s graph has a cycle.');
    const name: string = binding.step;
    const step: StepSpec = spec.jobs[name];
    const module = moduleOf(step);
    if (module && REPLAYED[module]) {
      const joined = (ONLY_INPUT[module] ?? []).filter((input) => step.inputs[input]);
      if (joined.length) {
        throw invalid(`Step '${name}' (${titleOf(module, name)}) also reads ${joined.join(', ')}: an inference pipeline replays it on a request's rows alone. Leave those inputs unjoined on the path to Score Model.`);
      }
      steps.unshift({ step: name, module, title: titleOf(module, name), output: binding.output, params: params(spec, step, module) });
      binding = step.inputs[REPLAYED[module]];
    } else if (module && TRAINING_ONLY[module]) {
      removed.unshift({ step: name, title: titleOf(module, name), why: 'it chooses training rows; each request is scored whole' });
      binding = step.inputs[TRAINING_ONLY[module]];
    } else if (module && SOURCES.has(module)) {
      source = `${name} (${titleOf(module, name)})`;
      binding = undefined;
    } else {
      const what = module ? titleOf(module, name) : `component ${(step.component as ComponentSpec).name ?? 'inline'}`;
      throw invalid(`Step '${name}' (${what}) is on the path to Score Model, and an inference pipeline cannot replay it on a request's rows: ` +
        `keep to row-wise modules (${Object.keys(REPLAYED).map((m) => MODULES[m].title).join(', ')}) between the data and Score Model.`);
    }
  }
  if (binding?.kind === 'parent_input') source = `pipeline input ${binding.name}`;
  else if (binding?.kind === 'asset') source = binding.path;
  return {
    score_step: score,
    model: { step: modelBinding.step, output: modelBinding.output },
    source,
    steps,
    removed,
    append_score_columns: paramValue(spec, scoreSpec, 'append_score_columns_to_output') !== 'false',
  };
}

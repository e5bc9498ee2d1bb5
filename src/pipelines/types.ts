/**
 * The shapes a pipeline is stored in once parsed: components (reusable command or pipeline
 * definitions with typed inputs), steps that bind a component's inputs, and the pipeline job
 * itself. Every local path has been uploaded by then: `code` is a snapshot hash.
 */
import { ASSET_TYPES, type EnvironmentRef, type InputSpec, type JobHeader, type OutputSpec } from '../jobs/spec.ts';
import type { SweepSettings } from '../sweeps/types.ts';

export const LITERAL_TYPES = ['string', 'integer', 'number', 'boolean'] as const;
export { ASSET_TYPES };
export type LiteralType = (typeof LITERAL_TYPES)[number];
export type AssetType = (typeof ASSET_TYPES)[number];

export interface ComponentInput {
  type: LiteralType | AssetType;
  default?: string | number | boolean;
  optional?: boolean;
  min?: number;
  max?: number;
  enum?: (string | number)[];
  description?: string;
}

export interface ComponentOutput {
  type: OutputSpec['type'];
  description?: string;
}

export interface ComponentSpec {
  type: 'command' | 'pipeline';
  name?: string;
  version?: string;
  display_name?: string;
  description?: string;
  tags: Record<string, string>;
  inputs: Record<string, ComponentInput>;
  outputs: Record<string, ComponentOutput>;
  /** Command components. */
  command?: string;
  code?: string;
  environment?: EnvironmentRef;
  environment_variables?: Record<string, string>;
  /** false: never reuse this component's earlier results. */
  is_deterministic: boolean;
  /** Pipeline components. */
  jobs?: Record<string, StepSpec>;
  /** For pipeline components: which step output each pipeline output is. */
  output_bindings?: Record<string, Binding>;
}

/** Where a step input's value comes from. */
export type Binding =
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'asset'; type: AssetType; path: string; mode?: string }
  | { kind: 'parent_input'; name: string }
  | { kind: 'step_output'; step: string; output: string };

export interface StepSpec {
  type: 'command' | 'pipeline' | 'sweep';
  /** Inline, from a local file, or `azureml:name:version` until the server resolves it. */
  component: ComponentSpec | { ref: string };
  inputs: Record<string, Binding>;
  /** Step outputs that are the pipeline's outputs: `${{parent.outputs.x}}`. */
  outputs: Record<string, { parent_output?: string; type?: OutputSpec['type'] }>;
  compute?: string;
  display_name?: string;
  environment_variables?: Record<string, string>;
  timeout_seconds?: number;
  sweep?: SweepSettings;
}

export interface PipelineSettings {
  default_compute?: string;
  continue_on_step_failure: boolean;
  force_rerun: boolean;
}

export interface PipelineJobSpec extends JobHeader {
  type: 'pipeline';
  compute?: string;
  settings: PipelineSettings;
  /** The pipeline's own inputs, as a command job's: literals or assets. */
  inputs: Record<string, InputSpec>;
  outputs: Record<string, OutputSpec>;
  jobs: Record<string, StepSpec>;
  notes: string[];
}

export interface SweepJobSpec extends JobHeader {
  type: 'sweep';
  compute?: string;
  /** The job's own inputs: literals or assets, as a command job's. */
  inputs: Record<string, InputSpec>;
  /** The trial as a one-step graph: its component, and inputs bound to the job's inputs and the search space. */
  step: StepSpec;
  notes: string[];
}

export const isRef = (c: StepSpec['component']): c is { ref: string } => 'ref' in c;

/** The input type a literal value declares (an inline step's or a job's own input). */
export function literalType(value: unknown): ComponentInput['type'] {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return 'string';
}

/** The types of a job's own inputs, as the graph checks bindings against them. */
export function inputTypes(inputs: Record<string, InputSpec>): Record<string, ComponentInput['type']> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.type === 'literal' ? literalType(v.value) : v.type]));
}

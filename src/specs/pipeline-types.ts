/**
 * The shapes a pipeline is stored in once parsed: components (reusable command or pipeline
 * definitions with typed inputs), steps that bind a component's inputs, and the pipeline job
 * itself. Every local path has been uploaded by then: `code` is a snapshot hash.
 */
import type { z } from 'zod';
import type { InputSpec, JobHeader, OutputSpec } from './command-job.ts';
import {
  ASSET_TYPES, LITERAL_TYPES, type Binding as BindingSchema, type ComponentInput as ComponentInputSchema,
  type ComponentOutput as ComponentOutputSchema, type ComponentSpecShape, type StepSpecShape,
} from './jobs.ts';

export { ASSET_TYPES, LITERAL_TYPES };
export type LiteralType = (typeof LITERAL_TYPES)[number];
export type AssetType = (typeof ASSET_TYPES)[number];

// The shapes are written once, as the schemas the server checks them with (specs/jobs.ts).
export type ComponentInput = z.infer<typeof ComponentInputSchema>;
export type ComponentOutput = z.infer<typeof ComponentOutputSchema>;
export type ComponentSpec = ComponentSpecShape;
/** Where a step input's value comes from. */
export type Binding = z.infer<typeof BindingSchema>;
export type StepSpec = StepSpecShape;

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

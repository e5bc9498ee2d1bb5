/** Sweep settings in Azure ML's YAML shape (search_space, sampling_algorithm, objective, limits, early_termination), typed from their schema (specs/jobs.ts). */
export type { DistributionT as Distribution, EarlyTerminationT as EarlyTermination, SweepSettingsT as SweepSettings } from '../specs/jobs.ts';

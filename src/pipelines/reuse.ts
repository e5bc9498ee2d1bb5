/**
 * Step reuse: a step is the same as an earlier one when its command, code snapshot, environment,
 * environment variables, inputs (by content: uploads are content-addressed, assets by version,
 * upstream outputs by the job that really produced them) and outputs are. The parts are kept
 * readable so that a step that is not reused can say exactly what changed.
 */
import { digestOf } from './components.ts';
import type { JobSpec } from '../specs/command-job.ts';

export type ReuseParts = Record<string, string>;

/** `inputIdentity` gives each asset input's resolved store path (literals speak for themselves). */
export function reuseParts(spec: JobSpec, inputIdentity: Record<string, string>): ReuseParts {
  const parts: ReuseParts = {
    command: digestOf(spec.command).slice(0, 16),
    code: spec.code ?? 'none',
    environment: digestOf(spec.environment).slice(0, 16),
    environment_variables: digestOf(Object.entries(spec.environment_variables).sort()).slice(0, 16),
    outputs: Object.entries(spec.outputs).map(([k, v]) => `${k}:${v.type}`).sort().join(','),
  };
  for (const [name, input] of Object.entries(spec.inputs)) {
    parts[`inputs.${name}`] = input.type === 'literal' ? `value ${JSON.stringify(input.value)}` : inputIdentity[name] ?? input.path;
  }
  return parts;
}

export function reuseHash(parts: ReuseParts): string {
  return digestOf(Object.entries(parts).sort());
}

const LABELS: Record<string, string> = {
  command: 'the command changed',
  code: 'the code snapshot changed',
  environment: 'the environment changed',
  environment_variables: 'environment variables changed',
  outputs: 'the declared outputs changed',
};

/** Why a step ran instead of reusing the last run of the same step. */
export function explainRerun(parts: ReuseParts, previous: { job: string; parts: ReuseParts } | undefined): string {
  if (!previous) return 'no earlier successful run of this step';
  const changes: string[] = [];
  for (const key of new Set([...Object.keys(parts), ...Object.keys(previous.parts)])) {
    if (parts[key] === previous.parts[key]) continue;
    if (LABELS[key]) changes.push(LABELS[key]);
    else if (key.startsWith('inputs.')) {
      const input = key.slice('inputs.'.length);
      const [before, now] = [previous.parts[key], parts[key]];
      if (before === undefined) changes.push(`input '${input}' was added`);
      else if (now === undefined) changes.push(`input '${input}' was removed`);
      else if (now.startsWith('value ') && before.startsWith('value ')) changes.push(`input '${input}' changed from ${before.slice(6)} to ${now.slice(6)}`);
      else changes.push(`input '${input}' has new data (${now.startsWith('jobs/') ? 'its upstream step ran again' : now})`);
    }
  }
  return changes.length ? `compared with job ${previous.job}: ${changes.join('; ')}` : `job ${previous.job} ran with the same inputs but is not reusable`;
}

/**
 * Early termination policies, as Azure ML defines them. An interval is one logged value of the
 * primary metric; a running trial is judged at its latest interval k once k > delay_evaluation
 * and k is a multiple of evaluation_interval, against every trial that has reached k.
 *
 * - bandit: stop a trial whose value at k is outside slack_factor (ratio) or slack_amount
 *   (difference) of the best value at k.
 * - median_stopping: stop a trial whose best value so far is worse than the median of the
 *   running averages (up to k) of all trials.
 * - truncation_selection: stop a trial in the lowest truncation_percentage of values at k.
 */
import type { EarlyTermination } from './types.ts';

export interface TrialHistory {
  name: string;
  running: boolean;
  /** Primary metric values in the order they were logged. */
  values: number[];
}

export interface Verdict { name: string; reason: string }

export function judge(policy: EarlyTermination, goal: 'maximize' | 'minimize', trials: TrialHistory[]): Verdict[] {
  const better = (a: number, b: number) => (goal === 'maximize' ? a > b : a < b);
  const verdicts: Verdict[] = [];
  for (const t of trials) {
    const k = t.values.length;
    if (!t.running || k === 0 || k <= policy.delay_evaluation || k % policy.evaluation_interval !== 0) continue;
    const peers = trials.filter((p) => p.values.length >= k);
    if (peers.length < 2) continue;
    const atK = peers.map((p) => p.values[k - 1]);
    const mine = t.values[k - 1];
    if (policy.type === 'bandit') {
      const best = atK.reduce((a, b) => (better(a, b) ? a : b));
      let limit = best;
      if (policy.slack_factor !== undefined) limit = goal === 'maximize' ? best / (1 + policy.slack_factor) : best * (1 + policy.slack_factor);
      else if (policy.slack_amount !== undefined) limit = goal === 'maximize' ? best - policy.slack_amount : best + policy.slack_amount;
      if (better(limit, mine)) verdicts.push({ name: t.name, reason: `bandit at interval ${k}: ${mine} is outside the slack of the best ${best} (limit ${Number(limit.toPrecision(6))})` });
    } else if (policy.type === 'median_stopping') {
      const averages = peers.map((p) => p.values.slice(0, k).reduce((a, b) => a + b, 0) / k).sort((a, b) => a - b);
      const median = averages.length % 2 ? averages[(averages.length - 1) / 2] : (averages[averages.length / 2 - 1] + averages[averages.length / 2]) / 2;
      const bestSoFar = t.values.slice(0, k).reduce((a, b) => (better(a, b) ? a : b));
      if (better(median, bestSoFar)) verdicts.push({ name: t.name, reason: `median_stopping at interval ${k}: best ${bestSoFar} is worse than the median of running averages ${Number(median.toPrecision(6))}` });
    } else {
      const ranked = [...atK].sort((a, b) => (better(a, b) ? 1 : better(b, a) ? -1 : 0));
      const cut = Math.floor((ranked.length * (policy.truncation_percentage ?? 0)) / 100);
      if (cut > 0 && !better(mine, ranked[cut - 1]) && ranked.indexOf(mine) < cut) {
        verdicts.push({ name: t.name, reason: `truncation_selection at interval ${k}: ${mine} is in the lowest ${policy.truncation_percentage}% of ${ranked.length} trials` });
      }
    }
  }
  return verdicts;
}

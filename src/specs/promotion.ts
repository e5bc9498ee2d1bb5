/**
 * Whether a candidate model beats the one in production, as an MLOps pipeline decides before it
 * registers and deploys: on one metric, higher or lower being better, by at least a margin.
 */
export interface PromotionInput {
  metric: string;
  goal: 'maximize' | 'minimize';
  candidate: number;
  /** The production version's value of the metric, or undefined when there is none to beat. */
  production?: { version: string; value?: number };
  /** How much better the candidate must be (in the metric's units). */
  minImprovement: number;
}

export function decidePromotion(p: PromotionInput): { promote: boolean; reason: string } {
  if (!p.production) return { promote: true, reason: `no version holds the alias yet: the candidate (${p.metric} ${p.candidate}) becomes the first` };
  const current = p.production.value;
  if (current === undefined) return { promote: true, reason: `version ${p.production.version} has no ${p.metric} to compare with (its run logged none): the candidate replaces it` };
  const gain = p.goal === 'maximize' ? p.candidate - current : current - p.candidate;
  const better = gain > p.minImprovement;
  const word = p.goal === 'maximize' ? 'higher' : 'lower';
  return better
    ? { promote: true, reason: `${p.metric} ${p.candidate} is ${word} than version ${p.production.version}'s ${current}${p.minImprovement ? ` by more than ${p.minImprovement}` : ''}` }
    : { promote: false, reason: `${p.metric} ${p.candidate} is not ${word} than version ${p.production.version}'s ${current}${p.minImprovement ? ` by more than ${p.minImprovement}` : ''}: nothing registered` };
}

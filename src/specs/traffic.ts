/** Traffic rules of managed online endpoints: weights sum to 0 or 100; mirrors copy a share. */
import { invalid } from '../util/errors.ts';

export function validateTraffic(traffic: Record<string, number>, mirror: Record<string, number>, deployments: string[]): void {
  let sum = 0;
  for (const [name, pct] of Object.entries(traffic)) {
    if (!deployments.includes(name)) throw invalid(`Traffic names deployment '${name}', which does not exist. Deployments: ${deployments.join(', ') || 'none'}.`);
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw invalid(`Traffic for '${name}' must be a whole number from 0 to 100, got ${pct}.`);
    sum += pct;
  }
  if (sum !== 0 && sum !== 100) throw invalid(`Traffic must add up to 0 or 100, got ${sum} (${Object.entries(traffic).map(([k, v]) => `${k}=${v}`).join(' ')}).`);
  for (const [name, pct] of Object.entries(mirror)) {
    if (!deployments.includes(name)) throw invalid(`Mirror traffic names deployment '${name}', which does not exist.`);
    if (!Number.isInteger(pct) || pct < 0 || pct > 50) throw invalid(`Mirror traffic for '${name}' must be a whole number from 0 to 50, got ${pct}.`);
    if (pct > 0 && (traffic[name] ?? 0) > 0) throw invalid(`Deployment '${name}' cannot receive both live and mirrored traffic.`);
  }
}

/** Picks a deployment at random in proportion to the weights. */
export function pickDeployment(traffic: Record<string, number>, random = Math.random()): string | undefined {
  let point = random * 100;
  for (const [name, pct] of Object.entries(traffic)) {
    if (pct <= 0) continue;
    if (point < pct) return name;
    point -= pct;
  }
  return undefined;
}

/** Parses the CLI's "blue=90 green=10". */
export function parseTrafficArg(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([A-Za-z][\w-]*)=(\d+)$/.exec(part);
    if (!m) throw invalid(`Invalid traffic '${part}': use name=percent, e.g. "blue=90 green=10".`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

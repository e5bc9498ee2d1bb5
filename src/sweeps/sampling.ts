/**
 * Hyperparameter samplers: random (seeded), grid (every combination of choice values, in order)
 * and bayesian — a Gaussian-kernel surrogate fitted to the finished trials, maximised with an
 * upper-confidence bonus over random candidates, after a few random trials to start from.
 */
import type { Distribution, SweepSettings } from './types.ts';

export type Params = Record<string, string | number | boolean>;
export interface Observation { params: Params; value: number }

/** mulberry32: small, seedable, good enough for sampling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const quantize = (x: number, q: number) => Math.round(x / q) * q;
const tidy = (x: number) => Number(x.toPrecision(12));

export function sampleOne(d: Distribution, random: () => number): string | number | boolean {
  switch (d.type) {
    case 'choice': return d.values[Math.floor(random() * d.values.length)];
    case 'randint': return Math.floor(random() * d.upper);
    case 'uniform': return tidy(d.min_value + random() * (d.max_value - d.min_value));
    case 'loguniform': return tidy(Math.exp(d.min_value + random() * (d.max_value - d.min_value)));
    case 'quniform': return tidy(quantize(d.min_value + random() * (d.max_value - d.min_value), d.q));
    case 'qloguniform': return tidy(quantize(Math.exp(d.min_value + random() * (d.max_value - d.min_value)), d.q));
    case 'normal': return tidy(d.mu + d.sigma * gaussian(random));
    case 'lognormal': return tidy(Math.exp(d.mu + d.sigma * gaussian(random)));
    case 'qnormal': return tidy(quantize(d.mu + d.sigma * gaussian(random), d.q));
    case 'qlognormal': return tidy(quantize(Math.exp(d.mu + d.sigma * gaussian(random)), d.q));
  }
}

/** A value mapped to [0, 1] (roughly, for unbounded distributions), so distances mean the same in every dimension. */
function unit(d: Distribution, v: string | number | boolean): number {
  switch (d.type) {
    case 'choice': return d.values.length > 1 ? d.values.findIndex((x) => x === v) / (d.values.length - 1) : 0;
    case 'randint': return Number(v) / Math.max(1, d.upper - 1);
    case 'uniform': case 'quniform': return (Number(v) - d.min_value) / (d.max_value - d.min_value);
    case 'loguniform': case 'qloguniform': return (Math.log(Math.max(Number(v), 1e-300)) - d.min_value) / (d.max_value - d.min_value);
    case 'normal': case 'qnormal': return 0.5 + (Number(v) - d.mu) / (6 * d.sigma);
    case 'lognormal': case 'qlognormal': return 0.5 + (Math.log(Math.max(Number(v), 1e-300)) - d.mu) / (6 * d.sigma);
  }
}

function* grid(space: Record<string, Distribution>): Generator<Params> {
  const names = Object.keys(space);
  const values = names.map((n) => (space[n] as Extract<Distribution, { type: 'choice' }>).values);
  const index = names.map(() => 0);
  for (;;) {
    yield Object.fromEntries(names.map((n, i) => [n, values[i][index[i]]]));
    let k = names.length - 1;
    while (k >= 0 && ++index[k] === values[k].length) index[k--] = 0;
    if (k < 0) return;
  }
}

export class Sampler {
  private random: () => number;
  private space: Record<string, Distribution>;

  constructor(private settings: SweepSettings) {
    this.space = settings.search_space;
    this.random = rng(settings.sampling_algorithm.seed ?? Date.now());
  }

  /**
   * The parameters of trial number `index` (0-based), given the trials already sampled and
   * the finished ones' objective values; undefined when a grid is exhausted.
   */
  next(index: number, observations: Observation[]): Params | undefined {
    if (this.settings.sampling_algorithm.type === 'grid') {
      let i = 0;
      for (const p of grid(this.space)) if (i++ === index) return p;
      return undefined;
    }
    // Random sampling is replayable: trial n always gets the n-th draw of the seeded stream.
    if (this.settings.sampling_algorithm.type === 'random') {
      // The runner stores a seed on every sweep it submits (a drawn one when the YAML gives none).
      this.random = rng((this.settings.sampling_algorithm.seed ?? 0) * 1_000_003 + index);
      return this.draw();
    }
    const warmup = Math.max(3, Object.keys(this.space).length + 1);
    if (observations.length < warmup) return this.draw();
    return this.bayesian(observations);
  }

  private draw(): Params {
    return Object.fromEntries(Object.entries(this.space).map(([n, d]) => [n, sampleOne(d, this.random)]));
  }

  private bayesian(observations: Observation[]): Params {
    const sign = this.settings.objective.goal === 'maximize' ? 1 : -1;
    const ys = observations.map((o) => sign * o.value);
    const lo = Math.min(...ys);
    const span = Math.max(...ys) - lo || 1;
    const points = observations.map((o) => Object.entries(this.space).map(([n, d]) => unit(d, o.params[n])));
    const bandwidth = 0.15;
    let best: { params: Params; score: number } | undefined;
    for (let c = 0; c < 64; c++) {
      const params = this.draw();
      const x = Object.entries(this.space).map(([n, d]) => unit(d, params[n]));
      let weight = 0;
      let weighted = 0;
      let nearest = Infinity;
      points.forEach((p, i) => {
        const dist2 = p.reduce((s, v, k) => s + (v - x[k]) ** 2, 0);
        const w = Math.exp(-dist2 / (2 * bandwidth ** 2));
        weight += w;
        weighted += w * (ys[i] - lo) / span;
        nearest = Math.min(nearest, Math.sqrt(dist2));
      });
      const mean = weight > 1e-9 ? weighted / weight : 0.5;
      const score = mean + 0.3 * Math.min(nearest, 1) / Math.sqrt(1 + weight);
      if (!best || score > best.score) best = { params, score };
    }
    return best!.params;
  }
}

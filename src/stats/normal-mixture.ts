/**
 * Finite mixtures of normals: what integrating an unknown between-study spread on a grid leaves
 * (see prior-fit.ts and pooled-effect.ts). Moments are exact; quantiles come from bisection on the
 * mixture's CDF, which is monotone, so no approximation beyond the normal CDF's own is made.
 */
import { normalCdf } from './hierarchical.ts';

export interface Component {
  weight: number;
  mean: number;
  variance: number;
}

export function mixtureMoments(components: readonly Component[]): { mean: number; variance: number } {
  const mean = components.reduce((s, c) => s + c.weight * c.mean, 0);
  const second = components.reduce((s, c) => s + c.weight * (c.variance + c.mean * c.mean), 0);
  return { mean, variance: Math.max(0, second - mean * mean) };
}

export function mixtureCdf(components: readonly Component[], x: number): number {
  return components.reduce((s, c) => s + c.weight * normalCdf((x - c.mean) / Math.sqrt(c.variance)), 0);
}

/** The q-quantile, bracketed by 20 standard deviations of the whole mixture either side of its mean. */
export function mixtureQuantile(
  components: readonly Component[],
  q: number,
  m: { mean: number; variance: number } = mixtureMoments(components),
): number {
  let lo = m.mean - 20 * Math.sqrt(m.variance);
  let hi = m.mean + 20 * Math.sqrt(m.variance);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mixtureCdf(components, mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Weights from log weights, scaled by the largest so none underflows. */
export function normalizeLogWeights(logs: readonly number[]): number[] {
  const top = Math.max(...logs);
  const total = logs.reduce((s, l) => s + Math.exp(l - top), 0);
  return logs.map((l) => Math.exp(l - top) / total);
}

/**
 * Comparisons between tabulated posteriors, all exact up to quadrature error (about 1e-9):
 * P(X > Y), E[max(X - Y, 0)], the CDFs of X - Y and of (X - Y) / |Y| with their quantiles, and the
 * chance that each arm is best.
 *
 * Each integral runs over the nodes of one arm while the other enters through its CDF polynomial.
 * Integrating over the narrower arm keeps the integrand smooth on the panel scale; where that is
 * not possible (ratio, several arms) the edges of the narrower arms are added to the panels.
 */

import { cdf, interpolatedPdf, lowerLoss, type PosteriorTable, upperLoss } from './posterior-table.ts';
import { GL_NODES, GL_ORDER, GL_WEIGHTS, invertMonotone, normalQuantile } from './quadrature.ts';

function overNodes(t: PosteriorTable, g: (x: number) => number): number {
  let sum = 0;
  for (let i = 0; i < t.nodeX.length; i++) sum += (t.nodeW[i] ?? 0) * g(t.nodeX[i] ?? 0);
  return sum;
}

/** Integral of t's density times g, on t's panels split further at `extra` points. */
function overPanels(t: PosteriorTable, g: (x: number) => number, extra: number[]): number {
  const inside = extra.filter((x) => x > t.lo && x < t.hi);
  if (inside.length === 0) return overNodes(t, g);
  const edges = [...t.edges, ...inside].sort((a, b) => a - b);
  let sum = 0;
  for (let p = 0; p + 1 < edges.length; p++) {
    const a = edges[p] ?? 0;
    const b = edges[p + 1] ?? 0;
    if (b <= a) continue;
    const h = (b - a) / 2;
    const c = (a + b) / 2;
    for (let m = 0; m < GL_ORDER; m++) {
      const x = c + h * (GL_NODES[m] ?? 0);
      const f = interpolatedPdf(t, x);
      if (f > 0) sum += (GL_WEIGHTS[m] ?? 0) * h * f * g(x);
    }
  }
  return sum;
}

const clamp01 = (p: number): number => Math.min(1, Math.max(0, p));

/** P(X - Y <= d). */
export function differenceCdf(x: PosteriorTable, y: PosteriorTable, d: number): number {
  if (y.scale <= x.scale) return clamp01(overNodes(y, (v) => cdf(x, v + d)));
  return clamp01(overNodes(x, (v) => 1 - cdf(y, v - d)));
}

/** P(X > Y). */
export function chanceGreater(x: PosteriorTable, y: PosteriorTable): number {
  return clamp01(1 - differenceCdf(x, y, 0));
}

/** E[max(X - Y, 0)]. */
export function expectedExcess(x: PosteriorTable, y: PosteriorTable): number {
  if (y.scale <= x.scale)
    return Math.max(
      0,
      overNodes(y, (v) => upperLoss(x, v)),
    );
  return Math.max(
    0,
    overNodes(x, (v) => lowerLoss(y, v)),
  );
}

/** Points c with c + r|c| = e for each edge e of x: where x's CDF changes inside the integrand. */
function ratioPreimages(x: PosteriorTable, r: number): number[] {
  const out: number[] = [];
  for (const e of x.edges) {
    if (1 + r !== 0 && e / (1 + r) >= 0) out.push(e / (1 + r));
    if (1 - r !== 0 && e / (1 - r) < 0) out.push(e / (1 - r));
  }
  return out;
}

/** P((X - Y) / |Y| <= r): relative lift of X over Y. */
export function relativeCdf(x: PosteriorTable, y: PosteriorTable, r: number): number {
  const slope = y.lo >= 0 ? Math.abs(1 + r) : Math.max(Math.abs(1 + r), Math.abs(1 - r));
  const g = (c: number): number => cdf(x, c + r * Math.abs(c));
  const extra = 2 * x.scale < y.scale * slope ? ratioPreimages(x, r) : [];
  return clamp01(overPanels(y, g, extra));
}

/** The normal approximation only seeds the bracket; the root is found on the exact CDF. */
function seed(prob: number, centre: number, spread: number): number {
  return centre + normalQuantile(prob) * spread;
}

export function differenceQuantile(x: PosteriorTable, y: PosteriorTable, prob: number): number {
  const spread = Math.hypot(x.scale, y.scale);
  const guess = seed(prob, x.mean - y.mean, spread);
  return invertMonotone((d) => differenceCdf(x, y, d), prob, guess, spread / 4, spread * 1e-9);
}

export function relativeQuantile(x: PosteriorTable, y: PosteriorTable, prob: number): number {
  // A control whose mean is within its own spread of 0 (a mean metric centred near 0) would give
  // a seed of ~1e16 and a bracket too coarse to find the root; its spread is the better unit.
  const base = Math.max(Math.abs(y.mean), y.scale);
  const guess = base > 0 ? (x.mean - y.mean) / base : 0;
  const spread = base > 0 ? Math.hypot(x.scale, (1 + Math.abs(guess)) * y.scale) / base : 1;
  const step = Number.isFinite(spread) && spread > 0 ? spread : 1;
  return invertMonotone((r) => relativeCdf(x, y, r), prob, seed(prob, guess, step), step / 4, step * 1e-9);
}

/**
 * Chance that each arm is the best (highest, or lowest when lower is better):
 * the integral of f_k times the product over the other arms of P(arm j is worse than x).
 */
export function chanceBest(arms: readonly PosteriorTable[], higherIsBetter: boolean): number[] {
  return arms.map((k, ki) => {
    const others = arms.filter((_, j) => j !== ki);
    const extra: number[] = [];
    for (const j of others) {
      if (j.scale < k.scale / 2 && j.hi > k.lo && j.lo < k.hi) extra.push(...j.edges);
    }
    const g = (x: number): number => {
      let prod = 1;
      for (const j of others) {
        const below = cdf(j, x);
        prod *= higherIsBetter ? below : 1 - below;
        if (prod === 0) return 0;
      }
      return prod;
    };
    return clamp01(overPanels(k, g, extra));
  });
}

/**
 * Ordinal metrics (CSAT 1-5, any k-point scale): the answer shares have a flat Dirichlet(1, ..., 1)
 * prior, so the posterior is Dirichlet(1 + count_1, ..., 1 + count_k). What is compared between
 * arms is a chosen summary:
 * - `top2` (top-2-box, the share answering one of the two best points): a sum of Dirichlet shares
 *   is Beta distributed, so its posterior is exactly Beta(2 + top, k - 2 + rest);
 * - `mean` (the average score): its posterior mean and variance are exact; its distribution is a
 *   Beta on [lowest, highest score] with those two moments (the exact law of a weighted sum of
 *   Dirichlet shares has no convenient form; against 4,000,000 Dirichlet draws the moment-matched
 *   Beta's interval ends are within 0.009 points with a dozen answers, 0.001 with several hundred
 *   and 0.0003 with two thousand: an approximation, unlike the other kinds, and said so).
 * The full distribution is reported too: each share's marginal is Beta(a_j, A - a_j).
 */
import { betaTable, conversionPosterior } from './beta-binomial.ts';
import type { ArmPosterior } from './posterior.ts';
import { buildTable, quantile } from './posterior-table.ts';

export type OrdinalSummary = 'top2' | 'mean';

export interface OrdinalShare {
  /** Posterior mean of the share answering this point, and its 95% interval. */
  share: number;
  ci95: [number, number];
  count: number;
}

/** Counts per point, lowest first; `scores` are the points' values (default 1..k). */
export function ordinalPosterior(
  counts: readonly number[],
  summary: OrdinalSummary,
  scores: readonly number[] = counts.map((_, i) => i + 1),
): ArmPosterior {
  const k = counts.length;
  if (k < 3) throw new RangeError('an ordinal scale needs at least 3 points');
  const n = counts.reduce((s, c) => s + c, 0);
  if (summary === 'top2') {
    const top = (counts[k - 1] ?? 0) + (counts[k - 2] ?? 0);
    // The flat Dirichlet's top-2 share is Beta(2, k - 2) a priori.
    return conversionPosterior(n, top, { alpha: 2, beta: k - 2 });
  }
  return meanPosterior(counts, scores);
}

function meanPosterior(counts: readonly number[], scores: readonly number[]): ArmPosterior {
  const a = counts.map((c) => c + 1);
  const total = a.reduce((s, x) => s + x, 0);
  const n = counts.reduce((s, c) => s + c, 0);
  const mean = a.reduce((s, x, j) => s + x * (scores[j] ?? 0), 0) / total;
  const second = a.reduce((s, x, j) => s + x * (scores[j] ?? 0) ** 2, 0) / total;
  const variance = (second - mean * mean) / (total + 1);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  // Beta(alpha, beta) on [lo, hi] with the exact mean and variance.
  const m = (mean - lo) / (hi - lo);
  const v = variance / (hi - lo) ** 2;
  const common = (m * (1 - m)) / v - 1;
  const alpha = m * common;
  const beta = (1 - m) * common;
  const unit = betaTable(Math.max(alpha, 1), Math.max(beta, 1));
  const table = buildTable({
    density: (x) => unit.pdf((x - lo) / (hi - lo)),
    center: lo + (hi - lo) * unit.mean,
    scale: Math.sqrt(variance),
    support: [lo, hi],
  });
  return { table, estimate: mean, ci95: [quantile(table, 0.025), quantile(table, 0.975)], n, variance };
}

/** Each point's share: posterior mean and exact 95% interval of its Beta marginal. */
export function ordinalShares(counts: readonly number[]): OrdinalShare[] {
  const a = counts.map((c) => c + 1);
  const total = a.reduce((s, x) => s + x, 0);
  return counts.map((count, j) => {
    const aj = a[j] ?? 1;
    const t = betaTable(aj, total - aj);
    return { share: aj / total, ci95: [quantile(t, 0.025), quantile(t, 0.975)], count };
  });
}

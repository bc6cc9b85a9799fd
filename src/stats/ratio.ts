/**
 * Ratio metrics (contacts per customer, handle time per ticket, refunds per order): per arm the
 * ratio of the mean numerator to the mean denominator over randomisation units. Units, not events,
 * are the independent draws, so the variance comes from the delta method on the per-unit sums
 * (numerator x_i, denominator y_i), and the posterior of the ratio is the normal approximation
 * centred on the observed ratio with that variance (a flat prior). Valid once the mean denominator
 * is well away from 0, which is why a minimum number of units is required.
 */
import type { ArmPosterior } from './posterior.ts';
import { buildTable, quantile } from './posterior-table.ts';

/** Per-arm sums over units: n units, sums of x, y, x^2, y^2 and x*y. */
export interface RatioSums {
  n: number;
  sumX: number;
  sumY: number;
  sumX2: number;
  sumY2: number;
  sumXY: number;
}

/** Below this many units the delta method's normal approximation is not trusted. */
export const MIN_RATIO_N = 10;

export interface RatioEstimate {
  ratio: number;
  /** Delta-method variance of the ratio of means. */
  variance: number;
}

/** The ratio of means and its delta-method variance (sample moments with n - 1). */
export function ratioEstimate(s: RatioSums): RatioEstimate {
  const { n } = s;
  const mx = s.sumX / n;
  const my = s.sumY / n;
  const vx = Math.max(0, (s.sumX2 - n * mx * mx) / (n - 1));
  const vy = Math.max(0, (s.sumY2 - n * my * my) / (n - 1));
  const cxy = (s.sumXY - n * mx * my) / (n - 1);
  const r = mx / my;
  const variance = Math.max(0, (vx - 2 * r * cxy + r * r * vy) / (my * my * n));
  return { ratio: r, variance };
}

export function normalPosterior(mean: number, variance: number, n: number): ArmPosterior {
  const sd = Math.sqrt(variance);
  const table = buildTable({
    density: (x) => Math.exp(-0.5 * ((x - mean) / sd) ** 2),
    center: mean,
    scale: sd,
    support: [-Infinity, Infinity],
  });
  return { table, estimate: mean, ci95: [quantile(table, 0.025), quantile(table, 0.975)], n, variance };
}

export function ratioPosterior(s: RatioSums): ArmPosterior {
  const { ratio, variance } = ratioEstimate(s);
  return normalPosterior(ratio, variance, s.n);
}

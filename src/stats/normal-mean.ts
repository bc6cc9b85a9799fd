/**
 * Mean metrics (CSAT, effort, revenue): with a flat prior on the mean and the log of the standard
 * deviation, the posterior of the mean is Student-t with n - 1 degrees of freedom, centred on the
 * sample mean with scale sqrt(variance / n). The t is used at every n; it becomes the normal
 * itself as n grows, so no switch is needed.
 */
import type { ArmPosterior } from './posterior.ts';
import { buildTable, type PosteriorTable, quantile } from './posterior-table.ts';

/** Below 3 observations the t posterior has no finite expected loss (df <= 1). */
export const MIN_MEAN_N = 3;

export function studentTable(df: number, location: number, scale: number): PosteriorTable {
  const half = (df + 1) / 2;
  const density = (x: number): number => {
    const z = (x - location) / scale;
    return Math.exp(-half * Math.log1p((z * z) / df));
  };
  return buildTable({ density, center: location, scale, support: [-Infinity, Infinity] });
}

/** `variance` is the sample variance (n - 1 denominator). */
export function meanPosterior(n: number, mean: number, variance: number): ArmPosterior {
  const df = n - 1;
  const scale2 = variance / n;
  const table = studentTable(df, mean, Math.sqrt(scale2));
  return {
    table,
    estimate: mean,
    ci95: [quantile(table, 0.025), quantile(table, 0.975)],
    n,
    variance: df > 2 ? (scale2 * df) / (df - 2) : Infinity,
  };
}

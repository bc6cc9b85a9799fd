/**
 * Variance reduction with a pre-exposure covariate (CUPED, Deng et al. 2013). Each unit has the
 * outcome y and a covariate x measured before its first exposure (the same outcome over a window
 * before, or another metric), so x cannot be moved by the nudge. With theta = cov(x, y) / var(x)
 * pooled over all arms (computed without looking at which arm is which), the adjusted outcome
 * y - theta (x - mean x) has the same expected difference between arms and a variance smaller by
 * the factor 1 - rho^2. Pooling theta keeps the adjustment the same for every arm, so it cannot
 * manufacture a difference.
 */

/** Per-arm sums over units: n, sums of y, y^2, x, x^2 and x*y. */
export interface CupedSums {
  n: number;
  sumY: number;
  sumY2: number;
  sumX: number;
  sumX2: number;
  sumXY: number;
}

export interface CupedArm {
  n: number;
  /** Adjusted mean and sample variance of the adjusted outcome. */
  mean: number;
  variance: number;
  unadjustedMean: number;
  unadjustedVariance: number;
}

export interface CupedResult {
  theta: number;
  arms: Record<string, CupedArm>;
  /** 1 - (pooled adjusted variance / pooled unadjusted variance); 0 when nothing was gained. */
  varianceReduction: number;
}

const sampleVar = (n: number, sum: number, sum2: number): number =>
  n > 1 ? Math.max(0, (sum2 - (sum * sum) / n) / (n - 1)) : 0;

export function cupedAdjust(arms: Record<string, CupedSums>): CupedResult {
  const all = Object.values(arms).reduce(
    (t, a) => ({
      n: t.n + a.n,
      sumY: t.sumY + a.sumY,
      sumY2: t.sumY2 + a.sumY2,
      sumX: t.sumX + a.sumX,
      sumX2: t.sumX2 + a.sumX2,
      sumXY: t.sumXY + a.sumXY,
    }),
    { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 },
  );
  // Within-arm moments pooled, so a real effect on y does not leak into theta through arm means.
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let df = 0;
  for (const a of Object.values(arms)) {
    if (a.n < 2) continue;
    sxx += a.sumX2 - (a.sumX * a.sumX) / a.n;
    sxy += a.sumXY - (a.sumX * a.sumY) / a.n;
    syy += a.sumY2 - (a.sumY * a.sumY) / a.n;
    df += a.n - 1;
  }
  const theta = sxx > 0 ? sxy / sxx : 0;
  const meanX = all.n > 0 ? all.sumX / all.n : 0;
  const out: Record<string, CupedArm> = {};
  for (const [key, a] of Object.entries(arms)) {
    const mx = a.n > 0 ? a.sumX / a.n : 0;
    const my = a.n > 0 ? a.sumY / a.n : 0;
    const vy = sampleVar(a.n, a.sumY, a.sumY2);
    const vx = sampleVar(a.n, a.sumX, a.sumX2);
    const cxy = a.n > 1 ? (a.sumXY - (a.sumX * a.sumY) / a.n) / (a.n - 1) : 0;
    out[key] = {
      n: a.n,
      mean: my - theta * (mx - meanX),
      variance: Math.max(0, vy - 2 * theta * cxy + theta * theta * vx),
      unadjustedMean: my,
      unadjustedVariance: vy,
    };
  }
  const adjusted = df > 0 ? (syy - 2 * theta * sxy + theta * theta * sxx) / df : 0;
  const unadjusted = df > 0 ? syy / df : 0;
  const varianceReduction = unadjusted > 0 ? Math.max(0, 1 - adjusted / unadjusted) : 0;
  return { theta, arms: out, varianceReduction };
}

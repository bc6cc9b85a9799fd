/**
 * The two-part (zero / non-zero) model of a heavy-tailed outcome such as spend, where most units
 * are 0: the outcome per unit is Z = P x M, P the share of units with a non-zero outcome and M the
 * mean outcome of those units. P has the conversion posterior Beta(1 + k, 1 + n - k); M the mean
 * posterior (Student-t, k - 1 df) of the k non-zero units; the two are independent, since one is
 * about which units are non-zero and the other about their values.
 *
 * Z's density is computed exactly as the one-dimensional integral over one factor of
 * f_P(p) f_M(z / p) / p, run over the factor whose posterior is narrower relative to its mean (as
 * in compare.ts: the other factor then varies slowly across the nodes, so a coarse rule is exact
 * enough). Its mean and variance are exact: E[Z] = E[P] E[M] and
 * Var Z = Var P Var M + Var P E[M]^2 + E[P]^2 Var M.
 */
import { betaTable } from './beta-binomial.ts';
import { MIN_MEAN_N, studentTable } from './normal-mean.ts';
import type { ArmPosterior } from './posterior.ts';
import { buildTable, type PosteriorTable, quantile } from './posterior-table.ts';

export interface TwoPartData {
  n: number;
  nonZero: number;
  /** Mean and sample variance (n - 1 denominator) of the non-zero outcomes. */
  mean: number;
  variance: number;
}

/** Below this the inner rule drops a node: it cannot move the integral. */
const PRUNE = 1e-15;

/** Integral of t's density times g over t's nodes. */
function overNodes(t: PosteriorTable, g: (x: number) => number): number {
  let sum = 0;
  for (let i = 0; i < t.nodeX.length; i++) {
    const w = t.nodeW[i] ?? 0;
    if (w > PRUNE) sum += w * g(t.nodeX[i] ?? 0);
  }
  return sum;
}

/** Why an arm cannot have a two-part posterior, or null when it can. */
export function twoPartShortfall(d: TwoPartData): string | null {
  if (d.n === 0) return 'no users';
  if (d.nonZero < MIN_MEAN_N)
    return `fewer than ${MIN_MEAN_N} units with a non-zero outcome: the mean of those is too uncertain`;
  if (d.variance === 0) return 'zero variance among the non-zero outcomes: their spread is unknown';
  return null;
}

/** Posterior of the share (P) and of the non-zero mean (M), and of their product Z. */
export function twoPartPosterior(d: TwoPartData): {
  product: ArmPosterior;
  share: ArmPosterior;
  perNonZero: ArmPosterior;
} {
  const a = 1 + d.nonZero;
  const b = 1 + d.n - d.nonZero;
  const pMean = a / (a + b);
  const pVar = (a * b) / ((a + b) ** 2 * (a + b + 1));
  const df = d.nonZero - 1;
  const tScale = Math.sqrt(d.variance / d.nonZero);
  const mVar = df > 2 ? (tScale * tScale * df) / (df - 2) : Infinity;
  const share = betaTable(a, b);
  const mean = studentTable(df, d.mean, tScale);
  const cvP = Math.sqrt(pVar) / pMean;
  const cvM = Math.abs(d.mean) > 0 ? tScale / Math.abs(d.mean) : Infinity;
  let density: (z: number) => number;
  if (cvP <= cvM) {
    const inner = betaTable(a, b, true);
    density = (z) => overNodes(inner, (p) => (p > 0 ? mean.pdf(z / p) / p : 0));
  } else {
    const inner = studentTable(df, d.mean, tScale);
    density = (z) => overNodes(inner, (m) => (m !== 0 ? share.pdf(z / m) / Math.abs(m) : 0));
  }
  const zMean = pMean * d.mean;
  // The t's scale stands in for its variance where that is infinite (df <= 2): it only places panels.
  const mSpread = Number.isFinite(mVar) ? mVar : tScale * tScale;
  const zSpread = Math.sqrt(pVar * mSpread + pVar * d.mean * d.mean + pMean * pMean * mSpread);
  const table = buildTable({
    density,
    center: zMean,
    scale: zSpread,
    support: [-Infinity, Infinity],
    refine: false,
    step: 0.75,
  });
  const zVar = Number.isFinite(mVar) ? pVar * mVar + pVar * d.mean * d.mean + pMean * pMean * mVar : Infinity;
  const arm = (t: PosteriorTable, estimate: number, variance: number, n: number): ArmPosterior => ({
    table: t,
    estimate,
    ci95: [quantile(t, 0.025), quantile(t, 0.975)],
    n,
    variance,
  });
  return {
    product: arm(table, zMean, zVar, d.n),
    share: arm(share, pMean, pVar, d.n),
    perNonZero: arm(mean, d.mean, mVar, d.nonZero),
  };
}

/**
 * Conversion metrics: Beta(alpha, beta) prior, binomial likelihood, so each arm's rate has a
 * Beta(alpha + conversions, beta + n - conversions) posterior, tabulated for exact quadrature.
 */
import type { ArmPosterior } from './posterior.ts';
import { buildTable, type PosteriorTable, quantile } from './posterior-table.ts';
import { digamma, trigamma } from './special.ts';

export interface BetaPrior {
  alpha: number;
  beta: number;
}

/** Panel width (in standard deviations) of tables used only as an inner quadrature rule. */
const COARSE_STEP = 2;

export const FLAT_BETA_PRIOR: BetaPrior = { alpha: 1, beta: 1 };

/**
 * Beta(a, b) for a, b >= 1 (the schema refuses priors below 1, whose density is unbounded at 0
 * or 1). The log-density is taken relative to the mode through log1p of the relative distance,
 * which keeps full precision when a and b are 10^8 and the posterior is 10^-5 wide.
 */
export function betaTable(a: number, b: number, coarse = false): PosteriorTable {
  const mode = a === 1 && b === 1 ? 0.5 : a === 1 ? 0 : b === 1 ? 1 : (a - 1) / (a + b - 2);
  const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
  const density = (x: number): number => {
    if (x < 0 || x > 1) return 0;
    let log = 0;
    if (a !== 1) log += (a - 1) * Math.log1p((x - mode) / mode);
    if (b !== 1) log += (b - 1) * Math.log1p(-(x - mode) / (1 - mode));
    return Math.exp(log);
  };
  return buildTable({
    density,
    center: mode,
    scale: sd,
    support: [0, 1],
    ...(coarse ? { step: COARSE_STEP, refine: false } : {}),
  });
}

export function conversionPosterior(n: number, conversions: number, prior: BetaPrior): ArmPosterior {
  const a = prior.alpha + conversions;
  const b = prior.beta + n - conversions;
  const table = betaTable(a, b);
  return {
    table,
    estimate: a / (a + b),
    ci95: [quantile(table, 0.025), quantile(table, 0.975)],
    n,
    variance: (a * b) / ((a + b) * (a + b) * (a + b + 1)),
    // E[1/p] = (a + b - 1) / (a - 1) for a Beta(a, b); infinite when a <= 1.
    ...(a > 1 ? { meanReciprocal: (a + b - 1) / (a - 1) } : {}),
    logOdds: { mean: digamma(a) - digamma(b), variance: trigamma(a) + trigamma(b) },
  };
}

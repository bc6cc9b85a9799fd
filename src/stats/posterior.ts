import type { PosteriorTable } from './posterior-table.ts';

/** One arm's posterior for one metric, as the comparisons need it. */
export interface ArmPosterior {
  readonly table: PosteriorTable;
  /** Exact posterior mean, in the metric's units. */
  readonly estimate: number;
  readonly ci95: [number, number];
  readonly n: number;
  /** Posterior variance; Infinity where it does not exist (t with 2 degrees of freedom). */
  readonly variance: number;
  /** E[1/X], where it is finite; gives the exact mean of the ratio variant / control. */
  readonly meanReciprocal?: number;
  /** Conversion only: exact posterior mean and variance of log(p / (1 - p)). */
  readonly logOdds?: { mean: number; variance: number };
}

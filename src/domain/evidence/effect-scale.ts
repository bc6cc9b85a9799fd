import type { VariantResult } from '../../stats/index.js';

/**
 * How one experiment's effect is put beside another's: as a relative lift, or in points (NPS,
 * whose control can sit near 0, where a ratio means nothing; and satisfaction scores in the
 * portfolio, which are read in their own units).
 */
export type EffectScale = 'relative' | 'points';

/** z of the 97.5% normal quantile: a 95% interval is estimate +- Z95 sd. */
export const Z95 = 1.959963984540054;

export interface NormalEffect {
  /** Positive is better for the customer (the sign is turned for lower-is-better metrics). */
  estimate: number;
  variance: number;
}

/**
 * A variant's lift as a normal effect: the readout's lift mean, with the variance of a normal whose
 * 95% interval is as wide as the readout's. Ratios have skewed intervals, so this is the usual
 * meta-analytic approximation, not the posterior itself.
 */
export function betterEffect(
  arm: Pick<VariantResult, 'absoluteLift' | 'relativeLift'>,
  scale: EffectScale,
  lowerIsBetter: boolean,
): NormalEffect {
  const lift = scale === 'relative' ? arm.relativeLift : arm.absoluteLift;
  const sd = (lift.ci95[1] - lift.ci95[0]) / (2 * Z95);
  return { estimate: lowerIsBetter ? -lift.mean : lift.mean, variance: sd * sd };
}

/** A better-signed figure back in the metric's own direction. */
export function inMetricDirection(x: number, lowerIsBetter: boolean): number {
  return lowerIsBetter ? -x : x;
}

/** A better-signed interval back in the metric's own direction (its ends swap when the sign turns). */
export function intervalInMetricDirection(
  ci: readonly [number, number],
  lowerIsBetter: boolean,
): [number, number] {
  return lowerIsBetter ? [-ci[1], -ci[0]] : [ci[0], ci[1]];
}

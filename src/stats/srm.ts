/**
 * Sample-ratio mismatch: a chi-square goodness-of-fit test of exposures against the configured
 * weights. A mismatch means assignment or logging is broken, so no other result can be trusted.
 */
import jStat from 'jstat';

export const SRM_P_THRESHOLD = 0.001;

export interface SrmArm {
  exposures: number;
  weight: number;
}

export interface SrmResult {
  pValue: number;
  mismatch: boolean;
  chiSquare: number;
  df: number;
}

/**
 * With phases, each phase's exposures are compared with that phase's weights and the chi-square
 * statistics (and degrees of freedom) add up: an arm ramped to 0 keeps its earlier exposures
 * without failing the check, and traffic to an arm while its weight was 0 still fails it.
 */
export function phasedSampleRatioMismatch(
  phases: readonly { weights: Record<string, number>; exposures: Record<string, number> }[],
  threshold = SRM_P_THRESHOLD,
): SrmResult {
  let chiSquare = 0;
  let df = 0;
  for (const phase of phases) {
    const keys = new Set([...Object.keys(phase.weights), ...Object.keys(phase.exposures)]);
    const arms = [...keys].map((k) => ({
      weight: phase.weights[k] ?? 0,
      exposures: phase.exposures[k] ?? 0,
    }));
    if (arms.every((a) => a.exposures === 0)) continue;
    const one = sampleRatioMismatch(arms, threshold);
    if (one.pValue === 0 && one.mismatch && one.chiSquare === 0) return { ...one, df: df + one.df };
    chiSquare += one.chiSquare;
    df += one.df;
  }
  if (df < 1) return { pValue: 1, mismatch: false, chiSquare: 0, df: 0 };
  const upper = 1 - jStat.chisquare.cdf(chiSquare, df);
  const pValue = Number.isFinite(upper) ? Math.min(1, Math.max(0, upper)) : 0;
  return { pValue, mismatch: pValue < threshold, chiSquare, df };
}

export function sampleRatioMismatch(arms: readonly SrmArm[], threshold = SRM_P_THRESHOLD): SrmResult {
  const total = arms.reduce((s, a) => s + a.exposures, 0);
  const weightSum = arms.reduce((s, a) => s + a.weight, 0);
  // Arms meant to get no traffic are only evidence of a mismatch when they got some.
  const zeroWeightHit = arms.some((a) => a.weight === 0 && a.exposures > 0);
  const tested = arms.filter((a) => a.weight > 0);
  const df = tested.length - 1;
  if (zeroWeightHit) return { pValue: 0, mismatch: true, chiSquare: 0, df: Math.max(df, 0) };
  if (total === 0 || df < 1 || weightSum <= 0)
    return { pValue: 1, mismatch: false, chiSquare: 0, df: Math.max(df, 0) };
  let chiSquare = 0;
  for (const a of tested) {
    const expected = (total * a.weight) / weightSum;
    chiSquare += (a.exposures - expected) ** 2 / expected;
  }
  const upper = 1 - jStat.chisquare.cdf(chiSquare, df);
  const pValue = Number.isFinite(upper) ? Math.min(1, Math.max(0, upper)) : 0;
  return { pValue, mismatch: pValue < threshold, chiSquare, df };
}

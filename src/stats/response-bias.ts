/**
 * Survey response bias: a nudge can change who answers a survey, not only how satisfied people
 * are. For every survey metric the share of exposed units who answered is compared across arms
 * with a chi-square test of homogeneity (arms x answered / did not answer). A small p-value means
 * the arms' respondents are not comparable, so the survey metric's difference may be selection.
 */
import jStat from 'jstat';

export const RESPONSE_BIAS_P_THRESHOLD = 0.001;

export interface ResponseArm {
  exposed: number;
  responded: number;
}

export interface ResponseBiasResult {
  pValue: number;
  chiSquare: number;
  df: number;
  biased: boolean;
  /** Response share per arm, in the order given. */
  shares: number[];
}

export function responseBias(
  arms: readonly ResponseArm[],
  threshold = RESPONSE_BIAS_P_THRESHOLD,
): ResponseBiasResult {
  const shares = arms.map((a) => (a.exposed > 0 ? a.responded / a.exposed : 0));
  const used = arms.filter((a) => a.exposed > 0);
  const exposed = used.reduce((s, a) => s + a.exposed, 0);
  const responded = used.reduce((s, a) => s + a.responded, 0);
  const df = used.length - 1;
  if (df < 1 || responded === 0 || responded === exposed) {
    return { pValue: 1, chiSquare: 0, df: Math.max(0, df), biased: false, shares };
  }
  const p = responded / exposed;
  let chiSquare = 0;
  for (const a of used) {
    const expectYes = a.exposed * p;
    const expectNo = a.exposed * (1 - p);
    chiSquare += (a.responded - expectYes) ** 2 / expectYes;
    chiSquare += (a.exposed - a.responded - expectNo) ** 2 / expectNo;
  }
  const pValue = 1 - jStat.chisquare.cdf(chiSquare, df);
  return { pValue, chiSquare, df, biased: pValue < threshold, shares };
}

/**
 * How numbers are written on the pages. The browser tests format the API's JSON with these same
 * functions and compare the text, so a page can never drift from the API by rounding differently.
 */
import {
  absoluteLift,
  countText,
  estimateText,
  lossText,
  percent,
  relativeLift,
} from '../../stats/format.js';

// The figures come from the readout formatter shared with the summary and the CSV.
export const chance = percent;
export const relative = relativeLift;
export const absolute = absoluteLift;
export const estimate = estimateText;
export const count = countText;
export const loss = lossText;

export function relativeInterval(ci: readonly [number, number] | null | undefined): string {
  if (!ci) return '–';
  return `${relative(ci[0])} to ${relative(ci[1])}`;
}

export function pValue(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export type EffectClass = 'win' | 'lean-win' | 'flat' | 'lean-loss' | 'loss' | 'none';

/**
 * The colour of an effect from the chance that the variant beats control (the engine already turns
 * the direction for metrics where lower is better): 95% either way is a clear result, 80% a lean.
 */
export function effectClass(chanceToBeat: number | null | undefined): EffectClass {
  if (chanceToBeat === null || chanceToBeat === undefined || !Number.isFinite(chanceToBeat)) return 'none';
  if (chanceToBeat >= 0.95) return 'win';
  if (chanceToBeat >= 0.8) return 'lean-win';
  if (chanceToBeat <= 0.05) return 'loss';
  if (chanceToBeat <= 0.2) return 'lean-loss';
  return 'flat';
}

export const actionLabels: Record<string, string> = {
  ship: 'Ship',
  'keep-control': 'Keep control',
  'keep-running': 'Keep running',
  'stop-guardrail': 'Stop: guardrail',
  'stop-srm': 'Stop: traffic split',
};

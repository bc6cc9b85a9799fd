/**
 * How numbers are written on the pages. The browser tests format the API's JSON with these same
 * functions and compare the text, so a page can never drift from the API by rounding differently.
 * Each takes the reader's wording or language last; English when left out.
 */
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import {
  absoluteLift,
  countText,
  estimateText,
  lossText,
  percent,
  pValueText,
  relativeLift,
} from '../../stats/format.js';
import { ENGLISH, type Wording } from '../../stats/wording.js';

// The figures come from the readout formatter shared with the summary and the CSV.
export const chance = percent;
export const relative = relativeLift;
export const absolute = absoluteLift;
export const estimate = estimateText;
export const count = countText;
export const loss = lossText;

export function relativeInterval(
  ci: readonly [number, number] | null | undefined,
  i: I18n = ENGLISH_I18N,
): string {
  if (!ci) return '–';
  return i.t('range', { low: relative(ci[0], i.wording), high: relative(ci[1], i.wording) });
}

export function pValue(p: number, w: Wording = ENGLISH): string {
  return pValueText(p, w);
}

export function dateTime(iso: string | null | undefined, i: I18n = ENGLISH_I18N): string {
  return i.dateTime(iso);
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

const actionKeys = {
  ship: 'action.ship',
  'keep-control': 'action.keepControl',
  'keep-running': 'action.keepRunning',
  'stop-guardrail': 'action.stopGuardrail',
  'stop-srm': 'action.stopSrm',
} as const;

/** The short label of a decision, in the reader's language; an unknown action as it is. */
export function actionLabel(action: string, i: I18n = ENGLISH_I18N): string {
  const key = actionKeys[action as keyof typeof actionKeys];
  return key ? i.t(key) : action;
}

const statusKeys = {
  draft: 'status.draft',
  running: 'status.running',
  paused: 'status.paused',
  stopped: 'status.stopped',
  concluded: 'status.concluded',
} as const;

/** An experiment's status as a badge reads it. */
export function statusLabel(status: string, i: I18n = ENGLISH_I18N): string {
  const key = statusKeys[status as keyof typeof statusKeys];
  return key ? i.t(key) : status;
}

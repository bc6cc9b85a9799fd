/**
 * How numbers are written on the pages. The browser tests format the API's JSON with these same
 * functions and compare the text, so a page can never drift from the API by rounding differently.
 */
const signed = (x: number, digits: number): string =>
  `${x > 0 ? '+' : x < 0 ? '-' : '±'}${Math.abs(x).toFixed(digits)}`;

/** A probability as a percentage with one decimal: 0.9734 -> "97.3%". */
export function chance(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  return `${(p * 100).toFixed(1)}%`;
}

/** A relative lift (0.042) as "+4.2%". */
export function relative(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return `${signed(x * 100, 1)}%`;
}

export function relativeInterval(ci: readonly [number, number] | null | undefined): string {
  if (!ci) return '–';
  return `${relative(ci[0])} to ${relative(ci[1])}`;
}

/** An absolute lift in the metric's units: conversion in percentage points, NPS in points. */
export function absolute(kind: string, x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (kind === 'conversion') return `${signed(x * 100, 2)} pp`;
  if (kind === 'nps') return `${signed(x, 1)} pts`;
  return signed(x, 3);
}

/** An estimate in the metric's units: a rate as a percentage, NPS as a score, a mean with 3 decimals. */
export function estimate(kind: string, x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (kind === 'conversion') return `${(x * 100).toFixed(2)}%`;
  if (kind === 'nps') return x.toFixed(1);
  return x.toFixed(3);
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
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

/** An expected loss (never negative) in the metric's units. */
export function loss(kind: string, x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (kind === 'conversion') return `${(x * 100).toFixed(3)} pp`;
  if (kind === 'nps') return `${x.toFixed(2)} pts`;
  return x.toFixed(4);
}

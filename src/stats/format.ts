/**
 * How a readout's figures are written for people, with their units: rates in percent and their
 * differences in percentage points, means and NPS in points, relative lifts in percent. The
 * summary sentence, the dashboard, the PDF and the CSV all call these, so a figure reads the same
 * wherever it is read. Each takes the reader's wording last (English when left out).
 */
import type { Kind } from './evidence.ts';
import { ENGLISH, type Wording } from './wording.ts';

const valid = (x: number | null | undefined): x is number =>
  x !== null && x !== undefined && Number.isFinite(x);
const DASH = '–';

/** Signed with a fixed number of decimals; "±0.0" when it rounds to nothing. */
export function signed(x: number, digits: number, w: Wording = ENGLISH): string {
  const text = w.fixed(Math.abs(x), digits);
  if (Number(Math.abs(x).toFixed(digits)) === 0) return `±${text}`;
  return `${x > 0 ? '+' : '-'}${text}`;
}

/** A value in percent, signed the same way: "+4.2%", "±0.0%", "-1,2 %". */
export function signedPercent(hundredths: number, digits: number, w: Wording = ENGLISH): string {
  const text = w.percent(Math.abs(hundredths), digits);
  if (Number(Math.abs(hundredths).toFixed(digits)) === 0) return `±${text}`;
  return `${hundredths > 0 ? '+' : '-'}${text}`;
}

/** The unit word of a difference in this kind of metric. */
export function differenceUnit(kind: Kind | string, w: Wording = ENGLISH): string {
  return kind === 'conversion' ? w.t('unit.percentagePoints') : w.t('unit.points');
}

/** A probability as a percentage with one decimal: 0.9734 -> "97.3%". */
export function percent(p: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(p)) return DASH;
  return w.percent(p * 100, 1);
}

/** A relative lift (0.042) as "+4.2%". */
export function relativeLift(x: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(x)) return DASH;
  return signedPercent(x * 100, 1, w);
}

/** An estimate in the metric's units: a rate in percent, a mean or an NPS in points. */
export function estimateText(
  kind: Kind | string,
  x: number | null | undefined,
  w: Wording = ENGLISH,
): string {
  if (!valid(x)) return DASH;
  if (kind === 'conversion') return w.percent(x * 100, 1);
  return w.t('figure.points', { value: w.fixed(x, kind === 'nps' ? 1 : 2) });
}

/** An absolute lift: percentage points for a rate, points for a mean or an NPS. */
export function absoluteLift(
  kind: Kind | string,
  x: number | null | undefined,
  w: Wording = ENGLISH,
): string {
  if (!valid(x)) return DASH;
  if (kind === 'conversion') return w.t('figure.percentagePoints', { value: signed(x * 100, 2, w) });
  return w.t('figure.points', { value: signed(x, kind === 'nps' ? 1 : 2, w) });
}

/** An expected loss (never negative), in the same unit as an absolute lift. */
export function lossText(kind: Kind | string, x: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(x)) return DASH;
  if (kind === 'conversion') return w.t('figure.percentagePoints', { value: w.fixed(x * 100, 3) });
  return w.t('figure.points', { value: w.fixed(x, 3) });
}

export function countText(n: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(n)) return DASH;
  return w.count(Math.round(n));
}

/** What an estimate was computed from: "10 of 16 converted", "16 answers", "16 answers (NPS)". */
export function basisText(
  kind: Kind | string,
  c: { n: number; conversions?: number | undefined } | undefined,
  w: Wording = ENGLISH,
): string {
  if (!c) return DASH;
  if (kind === 'conversion')
    return w.t('basis.conversions', { conversions: countText(c.conversions ?? 0, w), n: countText(c.n, w) });
  return w.t('basis.answers', { n: Math.round(c.n) });
}

/**
 * A number for a file that people open in a spreadsheet: six significant digits at most, so
 * 0.6999999999999993 is written 0.7 and a count stays whole.
 */
export function rounded(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  return Number(x.toPrecision(6));
}

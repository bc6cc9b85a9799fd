/**
 * How a readout's figures are written for people, with their units: rates in percent and their
 * differences in percentage points, means and NPS in points, relative lifts in percent. The
 * summary sentence, the dashboard, the PDF and the CSV all call these, so a figure reads the same
 * wherever it is read.
 */
import type { Kind } from './evidence.ts';

const valid = (x: number | null | undefined): x is number =>
  x !== null && x !== undefined && Number.isFinite(x);
const DASH = '–';

/** Signed with a fixed number of decimals; "±0.0" when it rounds to nothing. */
export function signed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return `±${text}`;
  return `${x > 0 ? '+' : '-'}${text}`;
}

/** The unit word of a difference in this kind of metric. */
export function differenceUnit(kind: Kind | string): string {
  return kind === 'conversion' ? 'percentage points' : 'points';
}

/** A probability as a percentage with one decimal: 0.9734 -> "97.3%". */
export function percent(p: number | null | undefined): string {
  if (!valid(p)) return DASH;
  return `${(p * 100).toFixed(1)}%`;
}

/** A relative lift (0.042) as "+4.2%". */
export function relativeLift(x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  return `${signed(x * 100, 1)}%`;
}

/** An estimate in the metric's units: a rate in percent, a mean or an NPS in points. */
export function estimateText(kind: Kind | string, x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  if (kind === 'conversion') return `${(x * 100).toFixed(1)}%`;
  if (kind === 'nps') return `${x.toFixed(1)} points`;
  return `${x.toFixed(2)} points`;
}

/** An absolute lift: percentage points for a rate, points for a mean or an NPS. */
export function absoluteLift(kind: Kind | string, x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  if (kind === 'conversion') return `${signed(x * 100, 2)} percentage points`;
  if (kind === 'nps') return `${signed(x, 1)} points`;
  return `${signed(x, 2)} points`;
}

/** An expected loss (never negative), in the same unit as an absolute lift. */
export function lossText(kind: Kind | string, x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  if (kind === 'conversion') return `${(x * 100).toFixed(3)} percentage points`;
  return `${x.toFixed(3)} points`;
}

export function countText(n: number | null | undefined): string {
  if (!valid(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}

/** What an estimate was computed from: "10 of 16 converted", "16 answers", "16 answers (NPS)". */
export function basisText(
  kind: Kind | string,
  c: { n: number; conversions?: number | undefined } | undefined,
): string {
  if (!c) return DASH;
  if (kind === 'conversion') return `${countText(c.conversions ?? 0)} of ${countText(c.n)}`;
  return `${countText(c.n)} ${c.n === 1 ? 'answer' : 'answers'}`;
}

/**
 * A number for a file that people open in a spreadsheet: six significant digits at most, so
 * 0.6999999999999993 is written 0.7 and a count stays whole.
 */
export function rounded(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  return Number(x.toPrecision(6));
}

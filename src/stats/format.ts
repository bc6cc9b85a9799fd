/**
 * How a readout's figures are written for people, with their units: rates in percent and their
 * differences in percentage points, scores and NPS in points, amounts and ratios as plain numbers,
 * relative lifts in percent. The summary sentence, the dashboard, the PDF and the CSV all call
 * these, so a figure reads the same wherever it is read. Each takes a display unit, a statistic's
 * name (its default unit) or a metric result (its unit, else its statistic's), and the reader's
 * wording last (English when left out).
 */
import type { DisplayUnit } from './metric-input.schema.ts';
import { ENGLISH, type Wording } from './wording.ts';

const valid = (x: number | null | undefined): x is number =>
  x !== null && x !== undefined && Number.isFinite(x);
const DASH = '–';

/** A display unit, a statistic's name, or a metric result carrying them. */
export type UnitOf = string | { kind: string; unit?: string | undefined; summary?: string | undefined };

const defaults: Record<string, DisplayUnit> = {
  conversion: 'rate',
  mean: 'score',
  nps: 'nps',
  ratio: 'ratio',
  revenue: 'amount',
  ordinal: 'score',
};
const units = new Set<string>(['rate', 'score', 'nps', 'amount', 'ratio']);

/** The display unit of a metric result, of a statistic's name, or the unit itself. */
export function unitOf(u: UnitOf): DisplayUnit {
  if (typeof u === 'string') return units.has(u) ? (u as DisplayUnit) : (defaults[u] ?? 'score');
  if (u.unit && units.has(u.unit)) return u.unit as DisplayUnit;
  if (u.kind === 'ordinal' && u.summary === 'top2') return 'rate';
  return defaults[u.kind] ?? 'score';
}

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

/** The unit word of a difference in this kind of metric (none for amounts and ratios). */
export function differenceUnit(kind: UnitOf, w: Wording = ENGLISH): string {
  const u = unitOf(kind);
  if (u === 'rate') return w.t('unit.percentagePoints');
  return u === 'score' || u === 'nps' ? w.t('unit.points') : '';
}

/** A probability as a percentage with one decimal: 0.9734 -> "97.3%". */
/** A p-value as the readouts write it: "0.0123", or "1.2e-5" below 1e-4, in the reader's digits. */
export function pValueText(p: number, w: Wording = ENGLISH): string {
  if (!(p < 1e-4)) return w.fixed(p, 4);
  const [mantissa = '', exponent = ''] = p.toExponential(1).split('e');
  return `${w.fixed(Number(mantissa), 1)}e${exponent}`;
}

export function percent(p: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(p)) return DASH;
  return w.percent(p * 100, 1);
}

/** A relative lift (0.042) as "+4.2%". */
export function relativeLift(x: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(x)) return DASH;
  return signedPercent(x * 100, 1, w);
}

/** An estimate in the metric's units: a rate in percent, a score or an NPS in points, an amount or a ratio. */
export function estimateText(kind: UnitOf, x: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(x)) return DASH;
  const u = unitOf(kind);
  if (u === 'rate') return w.percent(x * 100, 1);
  if (u === 'amount') return w.fixed(x, 2);
  if (u === 'ratio') return w.fixed(x, 3);
  return w.t('figure.points', { value: w.fixed(x, u === 'nps' ? 1 : 2) });
}

/** An absolute lift: percentage points for a rate, points for a score or an NPS, plain for the others. */
export function absoluteLift(kind: UnitOf, x: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(x)) return DASH;
  const u = unitOf(kind);
  if (u === 'rate') return w.t('figure.percentagePoints', { value: signed(x * 100, 2, w) });
  if (u === 'amount') return signed(x, 2, w);
  if (u === 'ratio') return signed(x, 3, w);
  return w.t('figure.points', { value: signed(x, u === 'nps' ? 1 : 2, w) });
}

/** An expected loss (never negative), in the same unit as an absolute lift. */
export function lossText(kind: UnitOf, x: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(x)) return DASH;
  const u = unitOf(kind);
  if (u === 'rate') return w.t('figure.percentagePoints', { value: w.fixed(x * 100, 3) });
  if (u === 'amount') return w.fixed(x, 3);
  if (u === 'ratio') return w.fixed(x, 4);
  return w.t('figure.points', { value: w.fixed(x, 3) });
}

export function countText(n: number | null | undefined, w: Wording = ENGLISH): string {
  if (!valid(n)) return DASH;
  return w.count(Math.round(n));
}

/** What an estimate was computed from: "10 of 16" converted, "16 answers", "1,200 units". */
export function basisText(
  kind: UnitOf,
  c: { n: number; conversions?: number | undefined; nonZero?: number | undefined } | undefined,
  w: Wording = ENGLISH,
): string {
  if (!c) return DASH;
  const statistic = typeof kind === 'string' ? kind : kind.kind;
  if (statistic === 'conversion')
    return w.t('basis.conversions', { conversions: countText(c.conversions ?? 0, w), n: countText(c.n, w) });
  if (statistic === 'revenue' || statistic === 'ratio') {
    const units = w.t('basis.units', { n: Math.round(c.n) });
    if (c.nonZero === undefined) return units;
    return w.t('basis.unitsNonZero', { units, nonZero: countText(c.nonZero, w) });
  }
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

/**
 * How a readout's figures are written for people, with their units: rates in percent and their
 * differences in percentage points, scores and NPS in points, amounts and ratios as plain numbers,
 * relative lifts in percent. The summary sentence, the dashboard, the PDF and the CSV all call
 * these, so a figure reads the same wherever it is read. Each takes a display unit, a statistic's
 * name (its default unit) or a metric result (its unit, else its statistic's).
 */
import type { DisplayUnit } from './metric-input.schema.ts';

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
export function signed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return `±${text}`;
  return `${x > 0 ? '+' : '-'}${text}`;
}

/** The unit word of a difference in this kind of metric (none for amounts and ratios). */
export function differenceUnit(kind: UnitOf): string {
  const u = unitOf(kind);
  if (u === 'rate') return 'percentage points';
  return u === 'score' || u === 'nps' ? 'points' : '';
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

/** An estimate in the metric's units: a rate in percent, a score or an NPS in points, an amount or a ratio. */
export function estimateText(kind: UnitOf, x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  const u = unitOf(kind);
  if (u === 'rate') return `${(x * 100).toFixed(1)}%`;
  if (u === 'nps') return `${x.toFixed(1)} points`;
  if (u === 'amount') return x.toFixed(2);
  if (u === 'ratio') return x.toFixed(3);
  return `${x.toFixed(2)} points`;
}

/** An absolute lift: percentage points for a rate, points for a score or an NPS, plain for the others. */
export function absoluteLift(kind: UnitOf, x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  const u = unitOf(kind);
  if (u === 'rate') return `${signed(x * 100, 2)} percentage points`;
  if (u === 'nps') return `${signed(x, 1)} points`;
  if (u === 'amount') return signed(x, 2);
  if (u === 'ratio') return signed(x, 3);
  return `${signed(x, 2)} points`;
}

/** An expected loss (never negative), in the same unit as an absolute lift. */
export function lossText(kind: UnitOf, x: number | null | undefined): string {
  if (!valid(x)) return DASH;
  const u = unitOf(kind);
  if (u === 'rate') return `${(x * 100).toFixed(3)} percentage points`;
  if (u === 'amount') return x.toFixed(3);
  if (u === 'ratio') return x.toFixed(4);
  return `${x.toFixed(3)} points`;
}

export function countText(n: number | null | undefined): string {
  if (!valid(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}

/** What an estimate was computed from: "10 of 16" converted, "16 answers", "1,200 units". */
export function basisText(
  kind: UnitOf,
  c: { n: number; conversions?: number | undefined; nonZero?: number | undefined } | undefined,
): string {
  if (!c) return DASH;
  const statistic = typeof kind === 'string' ? kind : kind.kind;
  if (statistic === 'conversion') return `${countText(c.conversions ?? 0)} of ${countText(c.n)}`;
  if (statistic === 'revenue' || statistic === 'ratio') {
    const nonZero = c.nonZero !== undefined ? `, ${countText(c.nonZero)} not 0` : '';
    return `${countText(c.n)} ${c.n === 1 ? 'unit' : 'units'}${nonZero}`;
  }
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

/**
 * Ordinal: a k-point answer (CSAT 1-5, effort 1-7, any scale of whole points), counted per point
 * rather than averaged as if the points were evenly spaced. Each unit's first answer on the scale
 * in the window adds one to its point; the engine's Dirichlet posterior gives every arm's mean
 * score, top-2-box share and share of every point, and compares arms on the chosen summary.
 */
import { z } from 'zod';
import { isVariantResult, type MetricResult } from '../../stats/index.js';
import { eventField, valued } from '../events.js';
import { eachVariant, type MetricCommon, type MetricKind, type PortfolioLift, perVariant } from '../kind.js';

const fields = {
  kind: z.literal('ordinal'),
  event: eventField(),
  scale: z
    .strictObject({ min: z.number().int(), max: z.number().int() })
    .refine((s) => s.max - s.min >= 2 && s.max - s.min <= 100, {
      message: 'needs 3 to 101 points: max - min from 2 to 100',
    })
    .default({ min: 1, max: 5 })
    .describe('the lowest and highest point; every whole number between is a point (default 1-5)'),
  summary: z
    .enum(['top2', 'mean'])
    .default('top2')
    .describe('compared between arms: top-2-box share (default) or mean score'),
};
export type OrdinalMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;

export interface OrdinalCounts {
  n: number;
  /** Answers per point, lowest first. */
  categories: number[];
}

const points = (def: OrdinalMetric): number[] =>
  Array.from({ length: def.scale.max - def.scale.min + 1 }, (_, i) => def.scale.min + i);

const satisfactionEvents = new Set(['csat', 'nps', 'ces']);

/** z of the 97.5% normal quantile. */
const Z95 = 1.959963984540054;
/** The portfolio's CSAT scale: mean CSAT metrics are answers 1-5, so ordinal CSAT joins them there. */
const CSAT_POINTS = 4;

/**
 * The lift in mean score, in points of the metric's scale. The portfolio pools CSAT by mean score
 * whatever summary the readout compares, because a mean CSAT metric keeps no distribution that
 * could give a top-2-box. With the top-2-box compared, the engine reports each arm's mean-score
 * posterior and the arms are independent, so the difference is taken as normal with the summed
 * variances of intervals as wide as theirs (the meta-analytic approximation the portfolio uses
 * for every experiment).
 */
function meanScoreLift(
  def: OrdinalMetric,
  result: MetricResult,
  variant: string,
  control: string,
): PortfolioLift | null {
  if (def.summary === 'mean') {
    const arm = result.variants[variant];
    if (!arm || !isVariantResult(arm)) return null;
    return { mean: arm.absoluteLift.mean, ci95: [arm.absoluteLift.ci95[0], arm.absoluteLift.ci95[1]] };
  }
  const v = result.ordinal?.arms[variant]?.mean;
  const c = result.ordinal?.arms[control]?.mean;
  if (!v || !c) return null;
  const sd = (e: { ci95: [number, number] }) => (e.ci95[1] - e.ci95[0]) / (2 * Z95);
  const mean = v.estimate - c.estimate;
  const half = Z95 * Math.hypot(sd(v), sd(c));
  return { mean, ci95: [mean - half, mean + half] };
}

export const ordinal = {
  kind: 'ordinal',
  description: 'k-point answer (CSAT 1-5) as a distribution: mean score, top-2-box share, every point',
  fields,
  countFields: { categories: z.array(z.number().int().min(0)).optional() },
  csvColumns: ['categories', 'top2_share', 'mean_score'],
  events: (def) => [{ name: def.event, valued: true }],
  fingerprint: (def) => [def.key, def.kind, def.event, def.windowHours, def.scale.min, def.scale.max],
  outcome(def, unit) {
    // The first answer that is a point of the scale; an answer off the scale is not an answer to it.
    const first = valued(unit.counted, def.event).find(
      (e) =>
        Number.isInteger(e.value) &&
        (e.value as number) >= def.scale.min &&
        (e.value as number) <= def.scale.max,
    );
    if (!first) return null;
    const score = first.value as number;
    return {
      entry: { at: first.occurredAt, value: score, events: 1, eventId: first.id },
      tally: [[`p${score - def.scale.min}`, 1]],
    };
  },
  counts: (def, variants) =>
    eachVariant(variants, ({ stat }) => {
      const categories = points(def).map((_, i) => stat(`p${i}`));
      return { n: categories.reduce((s, c) => s + c, 0), categories };
    }),
  engineInput: (def, counts) => ({
    kind: 'ordinal',
    summary: def.summary,
    scores: points(def),
    data: perVariant(counts.variants, (c) => ({ counts: c.categories })),
  }),
  family: (def) => (satisfactionEvents.has(def.event) ? 'satisfaction' : 'other'),
  answersOnly: () => true,
  portfolio: (def) => (def.event === 'csat' ? 'csat' : def.event === 'ces' ? 'effort' : null),
  portfolioLift(def, result, variant, control) {
    const lift = meanScoreLift(def, result, variant, control);
    if (!lift || def.event !== 'csat') return lift;
    // A CSAT asked on another scale (1-7, 0-10) is stretched onto 1-5: one point of 1-7 is 4/6 of one.
    const k = CSAT_POINTS / (def.scale.max - def.scale.min);
    return { mean: lift.mean * k, ci95: [lift.ci95[0] * k, lift.ci95[1] * k] };
  },
  planBasis(def, c) {
    if (!c || c.n < 2) return { kind: def.summary === 'top2' ? 'conversion' : 'mean' };
    const top = (c.categories.at(-1) ?? 0) + (c.categories.at(-2) ?? 0);
    if (def.summary === 'top2') return { kind: 'conversion', baseline: top / c.n };
    const scores = points(def);
    const mean = c.categories.reduce((s, k, i) => s + k * (scores[i] ?? 0), 0) / c.n;
    const second = c.categories.reduce((s, k, i) => s + k * (scores[i] ?? 0) ** 2, 0) / c.n;
    return { kind: 'mean', baseline: mean, sd: Math.sqrt(Math.max(0, second - mean * mean)) || 1 };
  },
  csv(def, c) {
    if (c.n === 0) return { categories: c.categories.join(';') };
    const scores = points(def);
    const top = (c.categories.at(-1) ?? 0) + (c.categories.at(-2) ?? 0);
    return {
      // Answers per point, lowest first: "3;5;10;40;45" for a 1-5 scale.
      categories: c.categories.join(';'),
      top2_share: top / c.n,
      mean_score: c.categories.reduce((s, k, i) => s + k * (scores[i] ?? 0), 0) / c.n,
    };
  },
} satisfies MetricKind<OrdinalMetric, OrdinalCounts>;

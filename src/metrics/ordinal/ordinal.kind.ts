/**
 * Ordinal: a k-point answer (CSAT 1-5, effort 1-7, any scale of whole points), counted per point
 * rather than averaged as if the points were evenly spaced. Each unit's first answer on the scale
 * in the window adds one to its point; the engine's Dirichlet posterior gives every arm's mean
 * score, top-2-box share and share of every point, and compares arms on the chosen summary.
 */
import { z } from 'zod';
import { eventField, valued } from '../events.js';
import { eachVariant, type MetricCommon, type MetricKind, perVariant } from '../kind.js';

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

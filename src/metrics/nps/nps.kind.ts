/**
 * NPS: each unit's first 0-10 answer in the window, bucketed into detractors (0-6), passives (7-8)
 * and promoters (9-10); the engine's Dirichlet posterior gives NPS = 100 x (promoters - detractors).
 */
import { z } from 'zod';
import { unusedAggregation } from '../conversion/conversion.kind.js';
import { eventField, valued } from '../events.js';
import { eachVariant, type MetricCommon, type MetricKind, perVariant } from '../kind.js';

const fields = {
  kind: z.literal('nps'),
  event: eventField(),
  aggregation: unusedAggregation(),
};
export type NpsMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;
export interface NpsCounts {
  n: number;
  detractors: number;
  passives: number;
  promoters: number;
}

/** Detractor 0-6, passive 7-8, promoter 9-10 (the standard NPS buckets). */
export function npsBucket(score: number): 'detractors' | 'passives' | 'promoters' {
  if (score >= 9) return 'promoters';
  if (score >= 7) return 'passives';
  return 'detractors';
}

const count = () => z.number().int().min(0).optional();

export const nps = {
  kind: 'nps',
  description: 'Net Promoter Score from the first 0-10 answer per unit',
  fields,
  countFields: { detractors: count(), passives: count(), promoters: count() },
  csvColumns: ['detractors', 'passives', 'promoters'],
  events: (def) => [{ name: def.event, valued: true }],
  fingerprint: (def) => [def.key, def.kind, def.event, def.windowHours, def.aggregation ?? null],
  outcome(def, unit) {
    const first = valued(unit.counted, def.event)[0];
    if (!first) return null;
    const score = first.value as number;
    return {
      entry: { at: first.occurredAt, value: score, events: 1, eventId: first.id },
      tally: [[npsBucket(score), 1]],
    };
  },
  counts: (_def, variants) =>
    eachVariant(variants, ({ stat }) => {
      const detractors = stat('detractors');
      const passives = stat('passives');
      const promoters = stat('promoters');
      return { n: detractors + passives + promoters, detractors, passives, promoters };
    }),
  engineInput: (_def, counts) => ({
    kind: 'nps',
    data: perVariant(counts.variants, (c) => ({
      detractors: c.detractors,
      passives: c.passives,
      promoters: c.promoters,
    })),
  }),
  family: () => 'satisfaction',
  portfolio: () => 'nps',
  answersOnly: () => true,
  planBasis(_def, c) {
    if (!c || c.n === 0) return { kind: 'nps' };
    const pd = c.detractors / c.n;
    const pr = c.promoters / c.n;
    return { kind: 'nps', baseline: 100 * (pr - pd), sd: 100 * Math.sqrt(pr + pd - (pr - pd) ** 2) || 75 };
  },
  csv: (_def, c) => ({ detractors: c.detractors, passives: c.passives, promoters: c.promoters }),
} satisfies MetricKind<NpsMetric, NpsCounts>;

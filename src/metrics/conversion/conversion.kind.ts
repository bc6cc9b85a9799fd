/**
 * Conversion: the share of exposed units with at least one matching event in the window. Each
 * unit counts once, at its first matching event; the engine's exact Beta-Binomial analyses it.
 */
import { z } from 'zod';
import { eventField, eventMatches } from '../events.js';
import { eachVariant, type MetricCommon, type MetricKind, perVariant } from '../kind.js';

/** Accepted and ignored, so definitions written when every kind had this field stay valid. */
export const unusedAggregation = () =>
  z.enum(['first', 'sum']).optional().describe('not used by this kind (mean metrics only)');

const fields = {
  kind: z.literal('conversion'),
  event: eventField(),
  aggregation: unusedAggregation(),
};
export type ConversionMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;
export interface ConversionCounts {
  n: number;
  conversions: number;
}

export const conversion = {
  kind: 'conversion',
  description: 'share of exposed units with the event at least once in the window',
  fields,
  countFields: { conversions: z.number().int().min(0).optional() },
  csvColumns: ['conversions'],
  events: (def) => [{ name: def.event, valued: false }],
  fingerprint: (def) => [def.key, def.kind, def.event, def.windowHours, def.aggregation ?? null],
  outcome(def, unit) {
    const first = unit.counted.find((e) => eventMatches(def.event, e));
    if (!first) return null;
    return {
      entry: { at: first.occurredAt, value: 1, events: 1, eventId: first.id },
      tally: [['conversions', 1]],
    };
  },
  // A conversion counts once per unit, so it can never exceed the exposed count.
  counts: (_def, variants) =>
    eachVariant(variants, ({ stat, exposed }) => ({
      n: exposed,
      conversions: Math.min(stat('conversions'), exposed),
    })),
  engineInput: (_def, counts) => ({
    kind: 'conversion',
    data: perVariant(counts.variants, (c) => ({ n: c.n, conversions: c.conversions })),
  }),
  family: () => 'conversion',
  portfolio: () => 'conversion',
  planBasis: (_def, c) =>
    c && c.n > 0 ? { kind: 'conversion', baseline: c.conversions / c.n } : { kind: 'conversion' },
  csv: (_def, c) => ({ conversions: c.conversions }),
} satisfies MetricKind<ConversionMetric, ConversionCounts>;

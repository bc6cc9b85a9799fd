/**
 * Ratio: per exposed unit a numerator and a denominator (each the count of an event, or the sum of
 * its values, in the window), and per arm the ratio of the means, e.g. contacts per order or
 * handle minutes per ticket. Units, not events, are the independent draws, so each unit adds its
 * numerator x, denominator y and x^2, y^2, xy to the counters, and the engine's delta method turns
 * them into the ratio's posterior (stats/ratio.ts).
 */
import { z } from 'zod';
import { ratioEstimate } from '../../stats/index.js';
import { eventField, eventMatches, hasValue } from '../events.js';
import { eachVariant, type MetricCommon, type MetricKind, type OutcomeEvent, perVariant } from '../kind.js';

const aggregation = () =>
  z.enum(['count', 'sum']).default('count').describe('count the events (default) or sum their values');

const fields = {
  kind: z.literal('ratio'),
  event: eventField().describe('the numerator: event counted (or summed) per unit, e.g. contact'),
  aggregation: aggregation(),
  denominator: z
    .strictObject({ event: eventField().describe('e.g. order'), aggregation: aggregation() })
    .describe('the denominator: event counted (or summed) per unit'),
};
export type RatioMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;

export interface RatioCounts {
  n: number;
  numerator: number;
  denominator: number;
  numeratorSquares: number;
  denominatorSquares: number;
  crossProducts: number;
}

function total(events: readonly OutcomeEvent[], event: string, how: 'count' | 'sum'): OutcomeEvent[] {
  return events.filter((e) => eventMatches(event, e) && (how === 'count' || hasValue(e)));
}

const amount = (events: OutcomeEvent[], how: 'count' | 'sum') =>
  how === 'count' ? events.length : events.reduce((s, e) => s + (e.value as number), 0);

export const ratio = {
  kind: 'ratio',
  description: 'ratio of two per-unit sums (contacts per order), analysed with the delta method',
  fields,
  countFields: {
    numerator: z.number().optional(),
    denominator: z.number().optional(),
    numeratorSquares: z.number().optional(),
    denominatorSquares: z.number().optional(),
    crossProducts: z.number().optional(),
  },
  csvColumns: ['numerator', 'denominator'],
  events: (def) => [
    { name: def.event, valued: def.aggregation === 'sum' },
    { name: def.denominator.event, valued: def.denominator.aggregation === 'sum' },
  ],
  fingerprint: (def) => [
    def.key,
    def.kind,
    def.event,
    def.aggregation,
    def.denominator.event,
    def.denominator.aggregation,
    def.windowHours,
  ],
  outcome(def, unit) {
    const top = total(unit.counted, def.event, def.aggregation);
    const bottom = total(unit.counted, def.denominator.event, def.denominator.aggregation);
    const x = amount(top, def.aggregation);
    const y = amount(bottom, def.denominator.aggregation);
    const first = [...top, ...bottom].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())[0];
    if (!first) return null;
    return {
      entry: { at: first.occurredAt, value: x, events: top.length + bottom.length, eventId: first.id },
      tally: [
        ['x', x],
        ['y', y],
        ['xx', x * x],
        ['yy', y * y],
        ['xy', x * y],
      ],
    };
  },
  // Every exposed unit is a draw, the ones without events as (0, 0).
  counts: (_def, variants) =>
    eachVariant(variants, ({ stat, exposed }) => ({
      n: exposed,
      numerator: stat('x'),
      denominator: stat('y'),
      numeratorSquares: stat('xx'),
      denominatorSquares: stat('yy'),
      crossProducts: stat('xy'),
    })),
  engineInput: (_def, counts) => ({
    kind: 'ratio',
    data: perVariant(counts.variants, (c) => ({
      n: c.n,
      sumX: c.numerator,
      sumY: c.denominator,
      sumX2: c.numeratorSquares,
      sumY2: c.denominatorSquares,
      sumXY: c.crossProducts,
    })),
  }),
  family: () => 'other',
  // Pooled on the relative scale: contacts per customer and minutes per ticket differ in level.
  portfolio: () => 'ratio',
  planBasis(_def, c) {
    if (!c || c.n < 2 || !(c.denominator > 0)) return { kind: 'mean' };
    const e = ratioEstimate({
      n: c.n,
      sumX: c.numerator,
      sumY: c.denominator,
      sumX2: c.numeratorSquares,
      sumY2: c.denominatorSquares,
      sumXY: c.crossProducts,
    });
    // One unit's sd on the ratio's scale: the delta-method variance times n.
    return { kind: 'mean', baseline: e.ratio, sd: Math.sqrt(e.variance * c.n) || 1 };
  },
  csv: (_def, c) => ({ numerator: c.numerator, denominator: c.denominator }),
} satisfies MetricKind<RatioMetric, RatioCounts>;

/**
 * Mean: the average of a numeric outcome. Survey scores (CSAT, effort, custom scores) take each
 * unit's first answer in the window and average over the units that answered; sums (spend, minutes)
 * add up every value in the window and average over all exposed units, a unit without events
 * counting 0. The engine gives each arm's mean a Student-t posterior from n, mean and variance.
 */
import { z } from 'zod';
import { eventField, valued } from '../events.js';
import { eachVariant, type MetricCommon, type MetricFamily, type MetricKind, perVariant } from '../kind.js';

const fields = {
  kind: z.literal('mean'),
  event: eventField(),
  aggregation: z
    .enum(['first', 'sum'])
    .optional()
    .describe('first answer per unit (surveys, the default) or the sum of the values per exposed unit'),
};
export type MeanMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;

/** Per-variant counts of a mean: n, the sums, and the mean and sample variance they give. */
export interface MeanCounts {
  n: number;
  sum: number;
  sumSquares: number;
  mean: number;
  variance: number;
}

export const meanCountFields = {
  sum: z.number().optional(),
  sumSquares: z.number().optional(),
  mean: z.number().optional(),
  variance: z.number().optional(),
};

/**
 * Definitions written before revenue was a kind of its own summed `revenue` events without
 * saying so; they still do. Everything else reads the explicit aggregation.
 */
export function aggregationOf(def: Pick<MeanMetric, 'event' | 'aggregation'>): 'first' | 'sum' {
  if (def.aggregation) return def.aggregation;
  return def.event === 'revenue' ? 'sum' : 'first';
}

/** Sample variance (n - 1 denominator) from sums; clamped at 0 against rounding. */
export function varianceFromSums(n: number, sum: number, sumSquares: number): number {
  if (n < 2) return 0;
  return Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
}

export function meanCounts(n: number, sum: number, sumSquares: number): MeanCounts {
  return { n, sum, sumSquares, mean: n > 0 ? sum / n : 0, variance: varianceFromSums(n, sum, sumSquares) };
}

const satisfactionEvents = new Set(['csat', 'nps', 'ces']);

export function meanFamily(def: MeanMetric): MetricFamily {
  if (satisfactionEvents.has(def.event)) return 'satisfaction';
  return aggregationOf(def) === 'sum' ? 'revenue' : 'other';
}

export const mean = {
  kind: 'mean',
  description: 'average score per answering unit (first answer) or average sum per exposed unit',
  fields,
  countFields: meanCountFields,
  csvColumns: ['mean', 'variance'],
  events: (def) => [{ name: def.event, valued: true }],
  fingerprint: (def) => [def.key, def.kind, def.event, def.windowHours, def.aggregation ?? null],
  outcome(def, unit) {
    const values = valued(unit.counted, def.event);
    const first = values[0];
    if (!first) return null;
    if (aggregationOf(def) === 'sum') {
      const total = values.reduce((s, e) => s + (e.value as number), 0);
      return {
        entry: { at: first.occurredAt, value: total, events: values.length, eventId: first.id },
        tally: [
          ['sum', total],
          ['sumSquares', total * total],
        ],
      };
    }
    const x = first.value as number;
    return {
      entry: { at: first.occurredAt, value: x, events: 1, eventId: first.id },
      // n is written even when the answer is 0, so a zero answer still counts as an answer.
      tally: [
        ['n', 1],
        ['sum', x],
        ['sumSquares', x * x],
      ],
    };
  },
  // Sums are per exposed unit (no event is a 0); survey means are per answer.
  counts: (def, variants) =>
    eachVariant(variants, ({ stat, exposed }) =>
      meanCounts(aggregationOf(def) === 'sum' ? exposed : stat('n'), stat('sum'), stat('sumSquares')),
    ),
  engineInput: (_def, counts) => ({
    kind: 'mean',
    data: perVariant(counts.variants, (c) => ({ n: c.n, mean: c.mean, variance: c.variance })),
  }),
  family: meanFamily,
  planBasis: (_def, c) =>
    c && c.n > 1 ? { kind: 'mean', baseline: c.mean, sd: Math.sqrt(c.variance) || 1 } : { kind: 'mean' },
  csv: (_def, c) => ({ mean: c.mean, variance: c.variance }),
} satisfies MetricKind<MeanMetric, MeanCounts>;

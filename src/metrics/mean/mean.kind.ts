/**
 * Mean: the average of a numeric outcome. Survey scores (CSAT, effort, custom scores) take each
 * unit's first answer in the window and average over the units that answered; sums (spend, minutes)
 * add up every value in the window and average over all exposed units, a unit without events
 * counting 0. The engine gives each arm's mean a Student-t posterior from n, mean and variance.
 */
import { z } from 'zod';
import {
  type CovariateCounts,
  covariateCountFields,
  covariateCounts,
  covariateField,
  covariateTally,
  covariateValue,
  cupedInput,
} from '../covariate.js';
import { eventField, valued } from '../events.js';
import {
  eachVariant,
  type MetricCommon,
  type MetricFamily,
  type MetricKind,
  type OutcomeEvent,
  perVariant,
} from '../kind.js';

const fields = {
  kind: z.literal('mean'),
  event: eventField(),
  aggregation: z
    .enum(['first', 'sum'])
    .optional()
    .describe('first answer per unit (surveys, the default) or the sum of the values per exposed unit'),
  covariate: covariateField(),
};
export type MeanMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;

/** Per-variant counts of a mean: n, the sums, and the mean and sample variance they give. */
export interface MeanCounts extends CovariateCounts {
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

/** A unit's value over `events`: its first answer, or the sum of the values (null when none). */
function unitValue(def: MeanMetric, events: readonly OutcomeEvent[]): number | null {
  const values = valued(events, def.event);
  if (values.length === 0) return null;
  if (aggregationOf(def) === 'first') return values[0]?.value as number;
  return values.reduce((s, e) => s + (e.value as number), 0);
}

export const mean = {
  kind: 'mean',
  description: 'average score per answering unit (first answer) or average sum per exposed unit',
  fields,
  countFields: { ...meanCountFields, ...covariateCountFields },
  csvColumns: ['mean', 'variance', 'covariate_mean'],
  events: (def) => [{ name: def.event, valued: true }],
  // The covariate joins the fingerprint only when set, so definitions without one keep theirs.
  fingerprint: (def) => [
    def.key,
    def.kind,
    def.event,
    def.windowHours,
    def.aggregation ?? null,
    ...(def.covariate ? [def.covariate] : []),
  ],
  outcome(def, unit) {
    const values = valued(unit.counted, def.event);
    const first = values[0];
    const sum = aggregationOf(def) === 'sum';
    // A sum counts every exposed unit, so with a covariate a unit without events still adds its x.
    if (!first && !(sum && def.covariate)) return null;
    const y = unitValue(def, unit.counted) ?? 0;
    const x = def.covariate ? covariateValue(def.covariate, unit, (pre) => unitValue(def, pre)) : 0;
    const cov = def.covariate ? covariateTally(x, y) : [];
    if (!first) return { tally: cov };
    if (sum) {
      return {
        entry: { at: first.occurredAt, value: y, events: values.length, eventId: first.id },
        tally: [['sum', y], ['sumSquares', y * y], ...cov],
      };
    }
    return {
      entry: { at: first.occurredAt, value: y, events: 1, eventId: first.id },
      // n is written even when the answer is 0, so a zero answer still counts as an answer.
      tally: [['n', 1], ['sum', y], ['sumSquares', y * y], ...cov],
    };
  },
  // Sums are per exposed unit (no event is a 0); survey means are per answer.
  counts: (def, variants) =>
    eachVariant(variants, ({ stat, exposed }) => ({
      ...meanCounts(aggregationOf(def) === 'sum' ? exposed : stat('n'), stat('sum'), stat('sumSquares')),
      ...(def.covariate ? covariateCounts(stat) : {}),
    })),
  engineInput: (def, counts) => ({
    kind: 'mean',
    data: perVariant(counts.variants, (c) => ({ n: c.n, mean: c.mean, variance: c.variance })),
    ...(def.covariate ? { cuped: cupedInput(def.covariate, counts.variants) } : {}),
  }),
  family: meanFamily,
  portfolio: (def) => (def.event === 'csat' ? 'csat' : def.event === 'ces' ? 'effort' : null),
  answersOnly: (def) => aggregationOf(def) === 'first',
  planBasis: (_def, c) =>
    c && c.n > 1 ? { kind: 'mean', baseline: c.mean, sd: Math.sqrt(c.variance) || 1 } : { kind: 'mean' },
  csv: (def, c) => ({
    mean: c.mean,
    variance: c.variance,
    ...(def.covariate && c.n > 0 ? { covariate_mean: (c.covariateSum ?? 0) / c.n } : {}),
  }),
} satisfies MetricKind<MeanMetric, MeanCounts>;

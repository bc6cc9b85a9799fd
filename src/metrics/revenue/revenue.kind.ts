/**
 * Revenue: the amount per exposed unit, the sum of the values of its revenue events in the window
 * (a unit without any counts 0). Amounts are heavy-tailed (in Hillstrom's data about 99% of units
 * spend nothing and a few spend hundreds), so two options: `winsorize` caps every unit's amount at
 * a percentile of the pooled amounts (winsorize.ts), and `split` analyses the amount as the share
 * of units with a non-zero amount times the mean amount of those (the engine's two-part model).
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
import { type MetricCommon, type MetricKind, perVariant } from '../kind.js';
import { meanCountFields, varianceFromSums } from '../mean/mean.kind.js';
import { bucketTally, capOf, capped, histogramOf } from './winsorize.js';

const fields = {
  kind: z.literal('revenue'),
  event: eventField().default('revenue'),
  winsorize: z
    .strictObject({
      percentile: z
        .number()
        .gt(0.5)
        .lt(1)
        .describe('e.g. 0.99: amounts above the 99th percentile count as it'),
      ignoreZeros: z
        .boolean()
        .default(true)
        .describe('the percentile of the non-zero amounts (default), or of every exposed unit'),
    })
    .optional()
    .describe('cap each unit at a percentile of the pooled amounts, computed without looking at arms'),
  split: z
    .boolean()
    .default(false)
    .describe('two-part model: share of units with a non-zero amount x mean amount of those'),
  covariate: covariateField(),
};
export type RevenueMetric = z.output<z.ZodObject<typeof fields>> & MetricCommon;

export interface RevenueCounts extends CovariateCounts {
  n: number;
  nonZero: number;
  /** After winsorisation, when the metric asks for it. */
  sum: number;
  sumSquares: number;
  mean: number;
  variance: number;
  /** Units whose amount was above the cap. */
  cappedUnits?: number;
}

/** The cap a snapshot's counts were winsorised with. */
const winsorizedSchema = z
  .object({
    percentile: z.number(),
    ignoreZeros: z.boolean(),
    cap: z.number().nullable().describe('null when the percentile is not a positive amount: nothing capped'),
  })
  .optional();

export const revenue = {
  kind: 'revenue',
  description:
    'amount per exposed unit, optionally winsorised at a pooled percentile or split zero / non-zero',
  fields,
  countFields: {
    ...meanCountFields,
    nonZero: z.number().int().min(0).optional(),
    cappedUnits: z.number().int().min(0).optional(),
    ...covariateCountFields,
  },
  metricCountFields: { winsorized: winsorizedSchema },
  csvColumns: ['mean', 'variance', 'non_zero', 'cap', 'capped_units', 'covariate_mean'],
  check(def, ctx) {
    // CUPED needs x times the amount per unit; a capped amount is only known per bucket, not per unit.
    if (def.covariate && (def.winsorize || def.split))
      ctx.addIssue({
        code: 'custom',
        path: ['covariate'],
        message: 'cannot be combined with winsorize or split',
      });
  },
  events: (def) => [{ name: def.event, valued: true }],
  fingerprint: (def) => [
    def.key,
    def.kind,
    def.event,
    def.windowHours,
    def.winsorize !== undefined,
    def.covariate ?? null,
  ],
  outcome(def, unit) {
    const values = valued(unit.counted, def.event);
    const first = values[0];
    const total = values.reduce((s, e) => s + (e.value as number), 0);
    // Every exposed unit counts, so with a covariate a unit without events still adds its x.
    const cov = def.covariate
      ? covariateTally(
          covariateValue(def.covariate, unit, (pre) => {
            const v = valued(pre, def.event);
            return v.length > 0 ? v.reduce((s, e) => s + (e.value as number), 0) : null;
          }),
          total,
        )
      : [];
    if (!first) return cov.length > 0 ? { tally: cov } : null;
    return {
      entry: { at: first.occurredAt, value: total, events: values.length, eventId: first.id },
      tally: [
        ...cov,
        ['sum', total],
        ['sumSquares', total * total],
        ['nz', total !== 0 ? 1 : 0],
        // Buckets only where a cap will be needed, so other revenue metrics keep few counters.
        ...(def.winsorize ? bucketTally(total) : []),
      ],
    };
  },
  counts(def, variants) {
    const rule = def.winsorize;
    const histograms = rule ? perVariant(variants, (v) => histogramOf(v.stat)) : {};
    const positive = Object.values(histograms).reduce(
      (s, h) => s + [...h.values()].reduce((t, b) => t + b.n, 0),
      0,
    );
    const exposed = Object.values(variants).reduce((s, v) => s + v.exposed, 0);
    const cap = rule
      ? capOf(Object.values(histograms), rule.percentile, rule.ignoreZeros ? 0 : exposed - positive)
      : { cap: null, bucket: null };
    const out: Record<string, RevenueCounts> = {};
    for (const [key, { stat, exposed: n }] of Object.entries(variants)) {
      const raw = { sum: stat('sum'), sumSquares: stat('sumSquares') };
      const h = histograms[key];
      const { sum, sumSquares, units } = h ? capped(raw, h, cap) : { ...raw, units: 0 };
      out[key] = {
        n,
        nonZero: stat('nz'),
        sum,
        sumSquares,
        mean: n > 0 ? sum / n : 0,
        variance: varianceFromSums(n, sum, sumSquares),
        ...(rule ? { cappedUnits: units } : {}),
        ...(def.covariate ? covariateCounts(stat) : {}),
      };
    }
    return {
      variants: out,
      ...(rule
        ? {
            metric: {
              winsorized: { percentile: rule.percentile, ignoreZeros: rule.ignoreZeros, cap: cap.cap },
            },
          }
        : {}),
    };
  },
  engineInput: (def, counts) => ({
    kind: 'revenue',
    model: def.split ? 'two-part' : 'mean',
    data: perVariant(counts.variants, (c) => ({
      n: c.n,
      nonZero: c.nonZero,
      sum: c.sum,
      sumSquares: c.sumSquares,
    })),
    ...(def.covariate ? { cuped: cupedInput(def.covariate, counts.variants) } : {}),
  }),
  family: () => 'revenue',
  planBasis: (_def, c) =>
    c && c.n > 1 ? { kind: 'mean', baseline: c.mean, sd: Math.sqrt(c.variance) || 1 } : { kind: 'mean' },
  csv(def, c, metric) {
    const w = (metric as { winsorized?: { cap: number | null } } | undefined)?.winsorized;
    return {
      mean: c.mean,
      variance: c.variance,
      non_zero: c.nonZero,
      ...(w ? { cap: w.cap ?? undefined, capped_units: c.cappedUnits } : {}),
      ...(def.covariate && c.n > 0 ? { covariate_mean: (c.covariateSum ?? 0) / c.n } : {}),
    };
  },
} satisfies MetricKind<RevenueMetric, RevenueCounts>;

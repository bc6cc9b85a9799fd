import { z } from 'zod';
import {
  metricFamilies,
  portfolioMeasures,
  portfolioScales,
  satisfactionMeasures,
} from '../../metrics/kind.js';
import { metricKinds } from '../../metrics/registry.js';
import { actionSchema } from '../../stats/readout.schema.js';
import { channelSchema } from './common.schema.js';
import { experimentStatusSchema, metricRoles } from './experiment.schema.js';
import { nudgeTypes } from './nudge.schema.js';

/**
 * What leadership compares across experiments. Each metric kind says which family a metric of it
 * belongs to (src/metrics): `conversion` and `satisfaction` are ranked; revenue and others are
 * shown but not ranked.
 */
export { metricFamilies };
export const metricFamilySchema = z.enum(metricFamilies);
export type MetricFamily = z.infer<typeof metricFamilySchema>;

const interval = z.tuple([z.number(), z.number()]);

/** One variant's measured effect on one metric, from the experiment's latest ok snapshot. */
export const liftSchema = z.object({
  metric: z.string(),
  kind: z.enum(metricKinds),
  role: z.enum(metricRoles),
  family: metricFamilySchema,
  lowerIsBetter: z.boolean(),
  variant: z.string(),
  chanceToBeatControl: z.number(),
  absoluteLift: z.object({ mean: z.number(), ci95: interval }),
  relativeLift: z.object({ mean: z.number(), ci95: interval }),
  portfolio: z
    .object({
      measure: z.enum(portfolioMeasures),
      lift: z.object({ mean: z.number(), ci95: interval }),
    })
    .nullable()
    .describe(
      "the portfolio measure the metric counts for (its kind says which) and the lift on that measure's scale, in the metric's own direction; null when the portfolio does not pool it",
    ),
});
export type Lift = z.infer<typeof liftSchema>;

export const experimentBriefSchema = z.object({
  key: z.string(),
  name: z.string(),
  nudge: z.string(),
  nudgeType: z.enum(nudgeTypes).nullable(),
  status: experimentStatusSchema,
  phase: z.number().int(),
  computedAt: z.iso.datetime().nullable().describe('time of the latest ok snapshot'),
  exposures: z.number().int().min(0),
  decision: z
    .object({ action: actionSchema, variant: z.string().optional(), summary: z.string() })
    .nullable(),
  /** Lifts on conversion and satisfaction metrics and on those the portfolio pools, every non-control variant. */
  lifts: z.array(liftSchema),
});
export type ExperimentBrief = z.infer<typeof experimentBriefSchema>;

/** GET /v1/journeys/:key/summary */
export const journeySummarySchema = z.object({
  journey: z.object({
    key: z.string(),
    name: z.string(),
    stages: z.array(z.object({ key: z.string(), name: z.string() })),
  }),
  touchpoints: z.array(
    z.object({
      key: z.string(),
      name: z.string(),
      stage: z.string(),
      channel: channelSchema,
      nudges: z.array(z.object({ key: z.string(), name: z.string(), type: z.enum(nudgeTypes) })),
      experiments: z.array(experimentBriefSchema),
    }),
  ),
});
export type JourneySummary = z.infer<typeof journeySummarySchema>;

export type { PortfolioMeasure } from '../../metrics/kind.js';
/**
 * What the portfolio compares, each in its own unit (the measures and their scales are listed in
 * src/metrics/kind.ts; each metric kind says which measure a metric counts for). Every figure is
 * signed so that positive is better for the customer (less effort, fewer contacts count as better).
 */
export { portfolioMeasures, portfolioScales, satisfactionMeasures };

/**
 * One measure pooled over the experiments of a row: each experiment's leading variant (the
 * shipped one when decided, otherwise the one most likely to beat control) enters with its lift
 * and the variance of its interval; the random-effects model weighs them by precision and
 * integrates the spread between experiments (src/stats/pooled-effect.ts).
 */
export const pooledEffectSchema = z.object({
  unit: z
    .enum(['relative', 'points'])
    .describe('relative lift, or points of the metric (NPS points for NPS)'),
  experiments: z.number().int().min(0),
  estimate: z.number().nullable().describe('posterior mean of the common effect; null without experiments'),
  ci95: interval.nullable(),
  chanceBetter: z.number().nullable().describe('posterior chance that the common effect is better than none'),
  spread: z.number().nullable().describe("posterior mean sd of the experiments' true effects around it"),
  items: z.array(
    z.object({
      experiment: z.string(),
      variant: z.string(),
      metric: z.string(),
      estimate: z.number(),
      ci95: interval,
      chanceToBeatControl: z.number(),
    }),
  ),
});
export type PooledEffect = z.infer<typeof pooledEffectSchema>;

export const portfolioEntrySchema = z.object({
  experiments: z.array(z.string()),
  conversion: pooledEffectSchema.describe('conversion metrics: relative lift of the rate'),
  csat: pooledEffectSchema.describe(
    'CSAT: difference in mean score, in points of the 1-5 scale. Mean CSAT metrics enter as they are; ordinal CSAT metrics enter by their mean score whichever summary their readout compares (top-2-box cannot be had from a mean metric), stretched onto 1-5 when asked on another scale',
  ),
  nps: pooledEffectSchema.describe('NPS metrics: difference in NPS points (-100 to 100)'),
  effort: pooledEffectSchema.describe(
    'customer effort (mean or ordinal metrics on ces answers): difference in mean score, in points of its own scale, signed so that less effort is positive',
  ),
  ratio: pooledEffectSchema.describe(
    'ratio metrics (contacts per customer, handle time per ticket): relative change of the ratio, signed by lowerIsBetter so that positive is better; never mixed with conversion',
  ),
});
export type PortfolioEntry = z.infer<typeof portfolioEntrySchema>;

/**
 * GET /v1/portfolio: rankings by the chance of improving satisfaction (the mean of that chance over
 * CSAT, NPS and effort where measured), then of raising conversion, then of improving ratios, best
 * first.
 */
export const portfolioSchema = z.object({
  computedAt: z.iso.datetime(),
  touchpoints: z.array(
    portfolioEntrySchema.extend({
      key: z.string(),
      name: z.string(),
      journey: z.string(),
      stage: z.string(),
      channel: channelSchema,
    }),
  ),
  nudgeTypes: z.array(portfolioEntrySchema.extend({ type: z.enum(nudgeTypes) })),
  channels: z.array(portfolioEntrySchema.extend({ channel: channelSchema })),
});
export type Portfolio = z.infer<typeof portfolioSchema>;

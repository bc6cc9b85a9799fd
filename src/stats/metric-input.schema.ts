/**
 * One metric of the analysis input: its statistic (`kind`) and the sufficient statistics of every
 * variant. The statistics are the engine's own vocabulary, like gbstats' statistic classes: a
 * metric kind of the application picks one of them (see src/metrics) and feeds it.
 */
import { z } from 'zod';

export const required =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'required' : `must be ${what}`;
export const finite = (what = 'a finite number') => z.number({ error: required(what) });
export const text = () => z.string({ error: required('a string') }).min(1, 'must not be empty');
export const count = () => finite().int('must be a whole number').min(0, 'must be >= 0');
export const probability = () => finite().gt(0, 'must be > 0').lt(1, 'must be < 1');

/** The engine's statistics, one per way of describing an arm. */
export const statisticKinds = ['conversion', 'mean', 'nps', 'ratio', 'ordinal', 'revenue'] as const;
export type StatisticKind = (typeof statisticKinds)[number];

/** How figures are written for people (see format.ts); each statistic has a default. */
export const displayUnits = ['rate', 'score', 'nps', 'amount', 'ratio'] as const;
export type DisplayUnit = (typeof displayUnits)[number];

export const conversionDataSchema = z
  .strictObject({ n: count(), conversions: count() })
  .superRefine((d, ctx) => {
    // Compared only with a valid n, so a negative n gets one message rather than two.
    if (Number.isInteger(d.n) && d.n >= 0 && d.conversions > d.n) {
      ctx.addIssue({ code: 'custom', path: ['conversions'], message: `must be <= n (${d.n})` });
    }
  });

export const meanDataSchema = z.strictObject({
  n: count(),
  mean: finite(),
  /** Sample variance, with the n - 1 denominator. */
  variance: finite().min(0, 'must be >= 0'),
});

export const npsDataSchema = z.strictObject({
  detractors: count(),
  passives: count(),
  promoters: count(),
});

/** Per-unit sums of a ratio: x the numerator, y the denominator of each of n units. */
export const ratioDataSchema = z.strictObject({
  n: count(),
  sumX: finite(),
  sumY: finite(),
  sumX2: finite().min(0, 'must be >= 0'),
  sumY2: finite().min(0, 'must be >= 0'),
  sumXY: finite(),
});

/** Answers per point of the scale, lowest point first. */
export const ordinalDataSchema = z.strictObject({
  counts: z
    .array(count(), { error: required('a list of counts') })
    .min(3, 'needs at least 3 points')
    .max(101, 'at most 101 points'),
});

/** Amounts per unit, most of them often 0: n units, how many are not 0, and the sums over all. */
export const revenueDataSchema = z
  .strictObject({
    n: count(),
    nonZero: count(),
    sum: finite(),
    sumSquares: finite().min(0, 'must be >= 0'),
  })
  .superRefine((d, ctx) => {
    if (Number.isInteger(d.n) && d.n >= 0 && d.nonZero > d.n) {
      ctx.addIssue({ code: 'custom', path: ['nonZero'], message: `must be <= n (${d.n})` });
    }
  });

/** CUPED: per variant, sums over the same units of the covariate x, x^2 and x times the outcome. */
export const covariateSumsSchema = z.strictObject({
  sumX: finite(),
  sumX2: finite().min(0, 'must be >= 0'),
  sumXY: finite(),
});

const metricBase = {
  key: text(),
  name: z.string({ error: 'must be a string' }).optional(),
  role: z.enum(['primary', 'guardrail', 'secondary'], { error: 'must be primary, guardrail or secondary' }),
  /**
   * Guardrails: a drop (or rise, when lower is better) larger than this counts as harm, in the
   * metric's units. When absent, 1% of the decision scale (see DEFAULT_MARGIN in evidence.ts).
   */
  margin: finite().min(0, 'must be >= 0').optional(),
  lowerIsBetter: z.boolean({ error: 'must be true or false' }).default(false),
  /** How its figures are written; absent, the statistic's own (rate, score, NPS points, ...). */
  unit: z.enum(displayUnits, { error: `must be one of ${displayUnits.join(', ')}` }).optional(),
};

export const betaPriorSchema = z.strictObject({
  alpha: finite().min(1, 'must be >= 1'),
  beta: finite().min(1, 'must be >= 1'),
});

const byVariant = <T extends z.ZodType>(schema: T) =>
  z.record(z.string(), schema, { error: required('an object keyed by variant') });

/** Variance reduction with a pre-exposure covariate: each arm's mean is adjusted (see cuped.ts). */
const cupedInput = z
  .strictObject({
    /** What the covariate is, for people (echoed in the readout). */
    label: z.string({ error: 'must be a string' }).max(200).optional(),
    data: byVariant(covariateSumsSchema),
  })
  .optional();

function cupedCovers(
  m: { data: Record<string, unknown>; cuped?: { data: Record<string, unknown> } | undefined },
  ctx: z.RefinementCtx,
) {
  if (!m.cuped) return;
  for (const k of Object.keys(m.data)) {
    if (!Object.hasOwn(m.cuped.data, k))
      ctx.addIssue({
        code: 'custom',
        path: ['cuped', 'data', k],
        message: 'missing: every variant needs sums',
      });
  }
}

const meanMetric = z
  .strictObject({
    ...metricBase,
    kind: z.literal('mean'),
    data: byVariant(meanDataSchema),
    cuped: cupedInput,
  })
  .superRefine(cupedCovers);

const revenueMetric = z
  .strictObject({
    ...metricBase,
    kind: z.literal('revenue'),
    /** The mean per unit, or the two-part model: share of units not at 0 x mean of those (two-part.ts). */
    model: z.enum(['mean', 'two-part'], { error: 'must be mean or two-part' }).default('mean'),
    data: byVariant(revenueDataSchema),
    cuped: cupedInput,
  })
  .superRefine((m, ctx) => {
    cupedCovers(m, ctx);
    if (m.cuped && m.model === 'two-part')
      ctx.addIssue({ code: 'custom', path: ['cuped'], message: 'applies to the mean model only' });
  });

const ordinalMetric = z
  .strictObject({
    ...metricBase,
    kind: z.literal('ordinal'),
    /** Compared between arms: the top-2-box share or the mean score. */
    summary: z.enum(['top2', 'mean'], { error: 'must be top2 or mean' }).default('top2'),
    /** The points' values, lowest first; absent, 1 to k. */
    scores: z.array(finite()).min(3, 'needs at least 3 points').optional(),
    data: byVariant(ordinalDataSchema),
  })
  .superRefine((m, ctx) => {
    const sizes = Object.values(m.data).map((d) => d.counts.length);
    const k = m.scores?.length ?? sizes[0];
    Object.entries(m.data).forEach(([v, d]) => {
      if (k !== undefined && d.counts.length !== k)
        ctx.addIssue({
          code: 'custom',
          path: ['data', v, 'counts'],
          message: `must have ${k} points like the others`,
        });
    });
    const scores = m.scores ?? [];
    if (scores.some((s, i) => i > 0 && s <= (scores[i - 1] ?? s)))
      ctx.addIssue({ code: 'custom', path: ['scores'], message: 'must increase' });
  });

export const metricSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      ...metricBase,
      kind: z.literal('conversion'),
      prior: betaPriorSchema.default({ alpha: 1, beta: 1 }),
      data: byVariant(conversionDataSchema),
    }),
    meanMetric,
    z.strictObject({ ...metricBase, kind: z.literal('nps'), data: byVariant(npsDataSchema) }),
    z.strictObject({ ...metricBase, kind: z.literal('ratio'), data: byVariant(ratioDataSchema) }),
    ordinalMetric,
    revenueMetric,
  ],
  { error: `kind must be ${statisticKinds.slice(0, -1).join(', ')} or ${statisticKinds.at(-1)}` },
);

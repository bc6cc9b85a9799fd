import { z } from 'zod';
import { LANGUAGES } from '../../i18n/languages.js';
import { metricCountFields, metricKinds, variantCountFields } from '../../metrics/registry.js';
import { readoutSchema } from '../../stats/readout.schema.js';
import { evidenceSchema } from './evidence.schema.js';
import { experimentStatusSchema, metricRoles } from './experiment.schema.js';
import { identityConflictsSchema } from './identity.schema.js';

/**
 * A snapshot is one refresh of one experiment: the sufficient statistics read from the exposures
 * (`counts`), the stats engine's readout of them, optional segment breakdowns, and when it ran.
 * Failed refreshes are stored too (status `failed`, no readout) so the failure is on record, but
 * `latest` and `history` only ever show `ok` snapshots: a failure never hides the last good one.
 */

export const snapshotTriggerSchema = z.enum(['schedule', 'manual', 'import']);

/**
 * Per variant: what the readout was computed from. Which fields are set depends on the metric kind;
 * each kind declares its own (see src/metrics).
 */
export const variantCountsSchema = z.object({
  /** Customers counted for this metric: all exposed (conversion, revenue sums) or those who answered. */
  n: z.number().int().min(0),
  ...variantCountFields,
});
export type VariantCounts = z.infer<typeof variantCountsSchema>;

export const metricCountsSchema = z.object({
  kind: z.enum(metricKinds),
  role: z.enum(metricRoles),
  variants: z.record(z.string(), variantCountsSchema),
  ...metricCountFields,
});
export type MetricCounts = z.infer<typeof metricCountsSchema>;

export const countsSchema = z.object({
  /** Exposed (non-QA) customers per variant in the current phase. */
  exposures: z.record(z.string(), z.number().int().min(0)),
  metrics: z.record(z.string(), metricCountsSchema),
});
export type Counts = z.infer<typeof countsSchema>;

/** One attribute value's own readout; `readout` is null when that segment cannot be analysed yet. */
export const segmentResultSchema = z.object({
  value: z.string(),
  exposures: z.record(z.string(), z.number().int().min(0)),
  readout: readoutSchema.nullable(),
  reason: z.string().optional().describe('why there is no readout for this segment'),
});
export type SegmentResult = z.infer<typeof segmentResultSchema>;

export const segmentsSchema = z.object({
  /** Always true: many slices make some look like winners by chance; these are leads, not decisions. */
  exploratory: z.literal(true),
  /** How many segment x variant comparisons on the primary metric were made (a multiple-comparison warning). */
  comparisons: z.number().int().min(0),
  attributes: z.record(z.string(), z.array(segmentResultSchema)),
});
export type Segments = z.infer<typeof segmentsSchema>;

export const snapshotSchema = z.object({
  id: z.string().describe('snp_...'),
  experiment: z.string().describe('experiment key'),
  experimentId: z.string(),
  phase: z.number().int().min(0),
  experimentStatus: experimentStatusSchema,
  status: z.enum(['ok', 'failed']),
  trigger: snapshotTriggerSchema,
  computedAt: z.iso.datetime(),
  durationMs: z.number().min(0),
  counts: countsSchema.nullable(),
  readout: readoutSchema.nullable(),
  segments: segmentsSchema.nullable(),
  evidence: evidenceSchema
    .optional()
    .describe('survey response bias and the prior on the primary metric, when there are any'),
  error: z.string().optional().describe('why a failed refresh failed'),
  identityConflicts: identityConflictsSchema
    .optional()
    .describe('units that were two ids (POST /v1/identities): split, merged, refused claims, examples'),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

/** The evidence over time: one point per ok snapshot, small enough to chart hundreds of them. */
export const historyPointSchema = z.object({
  id: z.string(),
  computedAt: z.iso.datetime(),
  phase: z.number().int().min(0),
  exposures: z.record(z.string(), z.number().int().min(0)),
  decision: readoutSchema.shape.decision,
  /**
   * The decision sentence in each other language, written when the point was stored (a point is
   * too small to word again later); the readout puts the one asked for in `decision.summary`.
   * Absent on points stored before, which stay in English.
   */
  summaries: z
    .partialRecord(z.enum(LANGUAGES), z.string())
    .optional()
    .describe('the decision sentence in the other languages, by language'),
  /** metric key -> non-control variant key -> the figures charted over time. */
  metrics: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        n: z.number(),
        estimate: z.number().nullable(),
        chanceToBeatControl: z.number().nullable(),
        relativeLift: z.object({ mean: z.number(), ci95: z.tuple([z.number(), z.number()]) }).nullable(),
      }),
    ),
  ),
});
export type HistoryPoint = z.infer<typeof historyPointSchema>;

/** GET /v1/experiments/:key/readout */
export const readoutResponseSchema = z.object({
  experiment: z.object({
    key: z.string(),
    name: z.string(),
    status: experimentStatusSchema,
    phase: z.number().int(),
    control: z.string(),
    touchpoint: z.string(),
    nudge: z.string(),
  }),
  latest: snapshotSchema.nullable(),
  /** The most recent failed refresh after the latest ok one, if any. */
  lastFailure: z.object({ computedAt: z.iso.datetime(), error: z.string() }).nullable(),
  history: z.array(historyPointSchema),
  identityConflicts: identityConflictsSchema
    .nullable()
    .optional()
    .describe(
      "the latest snapshot's identity figures: linked ids shown two variants, merged, refused claims",
    ),
  /**
   * The language of the decision sentences in `latest` (its readout's and its segments'); every
   * other field is language-neutral. English when the snapshot was stored before sentences could
   * be worded again. History points carry the sentence in this language when they were stored
   * with it, else in English as it was written then.
   */
  language: z.enum(LANGUAGES).optional(),
  /**
   * Events this experiment's customers sent under a name close to one a metric reads, which no
   * metric counted: most often a misspelt name in the sender or in the definition.
   */
  eventSuggestions: z
    .array(
      z.object({
        metric: z.string(),
        expected: z.string().describe('the event name the metric reads'),
        seen: z.string().describe('the near-miss name that arrived'),
        events: z.number().int(),
      }),
    )
    .optional(),
});
export type ReadoutResponse = z.infer<typeof readoutResponseSchema>;

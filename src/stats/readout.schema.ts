/** The shape of a readout, for the HTTP layer's responses and the OpenAPI document. */
import { z } from 'zod';
import { displayUnits, statisticKinds } from './metric-input.schema.ts';

const interval = z.tuple([z.number(), z.number()]);
const lift = z.object({ mean: z.number(), ci95: interval });

export const controlResultSchema = z.object({
  status: z.literal('ok'),
  n: z.number(),
  estimate: z.number(),
  ci95: interval,
});

export const variantResultSchema = z.object({
  status: z.literal('ok'),
  n: z.number(),
  estimate: z.number(),
  ci95: interval,
  chanceToBeatControl: z.number(),
  chanceToBeBest: z.number(),
  absoluteLift: lift,
  relativeLift: lift,
  expectedLoss: z.object({ ship: z.number(), keep: z.number() }),
  chanceOfHarm: z.number(),
  /** Guardrails under the sequential rule: Bayes factor for harm beyond the margin. */
  harmEvidence: z.number().optional(),
  notes: z.array(z.string()).optional(),
});

export const insufficientResultSchema = z.object({
  status: z.literal('insufficient-data'),
  n: z.number(),
  reason: z.string(),
});

export const armResultSchema = z.union([variantResultSchema, controlResultSchema, insufficientResultSchema]);

const estimate = z.object({ estimate: z.number(), ci95: interval });

/** Ordinal metrics: every arm's mean score, top-2-box share and the share of every point. */
export const ordinalReportSchema = z.object({
  scores: z.array(z.number()),
  arms: z.record(
    z.string(),
    z.object({
      mean: estimate,
      top2: estimate,
      shares: z.array(z.object({ score: z.number(), count: z.number(), share: z.number(), ci95: interval })),
    }),
  ),
});

/** Two-part metrics: per arm the share with a non-zero outcome and the mean of those outcomes. */
export const twoPartReportSchema = z.object({
  arms: z.record(z.string(), z.object({ share: estimate, perNonZero: estimate.nullable() })),
});

/** CUPED: the adjustment, what it gained, and the unadjusted figures beside the adjusted ones. */
export const cupedReportSchema = z.object({
  label: z.string().optional(),
  /** Slope of the outcome on the covariate, pooled within arms. */
  theta: z.number(),
  /** 1 - adjusted variance / unadjusted variance, pooled within arms. */
  varianceReduction: z.number(),
  arms: z.record(
    z.string(),
    z.object({
      n: z.number(),
      covariateMean: z.number(),
      adjusted: z.number(),
      unadjusted: estimate.nullable(),
    }),
  ),
  /** Each variant minus the control without the adjustment (the readout's lifts are adjusted). */
  unadjustedLift: z.record(z.string(), lift),
});

export const metricResultSchema = z.object({
  kind: z.enum(statisticKinds),
  /** How the figures are written (percent, points, amounts, ...); absent in older readouts. */
  unit: z.enum(displayUnits).optional(),
  /** Ordinal metrics: the summary compared between arms. */
  summary: z.enum(['top2', 'mean']).optional(),
  role: z.enum(['primary', 'guardrail', 'secondary']),
  name: z.string(),
  lowerIsBetter: z.boolean(),
  margin: z.number(),
  status: z.enum(['ok', 'insufficient-data']),
  variants: z.record(z.string(), armResultSchema),
  ordinal: ordinalReportSchema.optional(),
  twoPart: twoPartReportSchema.optional(),
  cuped: cupedReportSchema.optional(),
});

export const actionSchema = z.enum(['ship', 'keep-control', 'keep-running', 'stop-guardrail', 'stop-srm']);

const shrunkArmSchema = z.object({
  /** The arm's own estimate and the hierarchical model's, in the metric's units. */
  raw: z.number(),
  shrunk: z.number(),
  ci95: interval,
  /** Lift over the control: relative for conversion, absolute for mean and NPS. */
  rawLift: z.number(),
  shrunkLift: z.number(),
  chanceToBeBest: z.number(),
});

/** Many-arm studies: the empirical-Bayes hierarchical model of the primary metric. */
export const hierarchicalSchema = z.object({
  metric: z.string(),
  liftKind: z.enum(['relative', 'absolute']),
  /** Estimated sd of the variants' true effects (log-odds for conversion). */
  spread: z.number(),
  leader: z.string(),
  arms: z.record(z.string(), shrunkArmSchema),
});

/**
 * One thing that keeps an experiment running, as data, so every place that writes it (the summary,
 * the page, the PDF, the CSV, in any language) words the same facts.
 */
export const holdReasonSchema = z.discriminatedUnion('code', [
  z.object({ code: z.literal('no-data'), metric: z.string() }),
  z.object({
    code: z.literal('min-sample'),
    metric: z.string(),
    minSample: z.number(),
    smallest: z.number(),
  }),
  z.object({ code: z.literal('chance'), chance: z.number(), needed: z.number() }),
  z.object({
    code: z.literal('loss'),
    kind: z.enum(statisticKinds),
    unit: z.enum(displayUnits).optional(),
    loss: z.number(),
    tolerance: z.number(),
  }),
  z.object({
    code: z.literal('sequential'),
    /** Customers per arm still needed if today's effect held; absent when it points the other way. */
    morePerArm: z.number().optional(),
  }),
  z.object({ code: z.literal('guardrail-harm'), metric: z.string() }),
  z.object({ code: z.literal('guardrail-missing'), metric: z.string() }),
  z.object({ code: z.literal('not-conclusive') }),
]);
export type HoldReason = z.infer<typeof holdReasonSchema>;

export const readoutSchema = z.object({
  srm: z.object({ pValue: z.number(), mismatch: z.boolean(), chiSquare: z.number(), df: z.number() }),
  metrics: z.record(z.string(), metricResultSchema),
  hierarchical: hierarchicalSchema.optional(),
  /** Variant key to the name people gave it (from the nudge), for everything written for people. */
  variantNames: z.record(z.string(), z.string()).optional(),
  decision: z.object({
    action: actionSchema,
    variant: z.string().optional(),
    summary: z.string(),
    /** Keep running: every reason it is not yet a ship, in the order the summary gives them. */
    reasons: z.array(holdReasonSchema).optional(),
    /**
     * What the summary speaks of, kept so it can be worded again in another language: the variant
     * it is about, the guardrail that stopped it, and the guardrails holding that variant back.
     */
    basis: z
      .object({
        focus: z.string().optional(),
        harmedGuardrail: z.string().optional(),
        blockedBy: z.array(z.string()),
      })
      .optional(),
  }),
});

export type ControlResult = z.infer<typeof controlResultSchema>;
export type VariantResult = z.infer<typeof variantResultSchema>;
export type InsufficientResult = z.infer<typeof insufficientResultSchema>;
export type ArmResult = z.infer<typeof armResultSchema>;
export type MetricResult = z.infer<typeof metricResultSchema>;
export type Action = z.infer<typeof actionSchema>;
export type Readout = z.infer<typeof readoutSchema>;
export type HierarchicalResult = z.infer<typeof hierarchicalSchema>;

export function isVariantResult(r: ArmResult | undefined): r is VariantResult {
  return r !== undefined && r.status === 'ok' && 'chanceToBeatControl' in r;
}

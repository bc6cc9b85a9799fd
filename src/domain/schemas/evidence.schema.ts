import { z } from 'zod';
import { keySchema } from './common.schema.js';
import { nudgeTypes } from './nudge.schema.js';

/**
 * Evidence a readout takes from beyond its own comparison of arms: whether survey answers came
 * back alike from every arm, and what past experiments (or a template's published study) lead us
 * to expect of the primary metric's effect. Stored on each snapshot beside the engine's readout.
 */

const interval = z.tuple([z.number(), z.number()]);

/**
 * `experiment.prior`: an informative prior on the primary metric's effect. `past-nudges` fits one
 * from the concluded experiments of the same nudge type and metric kind; `template` is the
 * template's published effect discounted for publication bias (set by instantiate); `none` opts out
 * when the nudge type is listed in PAST_NUDGE_PRIORS.
 */
export const experimentPriorSchema = z.discriminatedUnion('from', [
  z.strictObject({ from: z.literal('past-nudges') }),
  z.strictObject({
    from: z.literal('template'),
    template: keySchema.describe('key of the template the prior comes from'),
    relativeLift: z
      .number()
      .min(-1)
      .max(10)
      .describe('expected relative lift of the primary metric, in its own direction, after the discount'),
    sd: z.number().positive().max(10).describe('sd of the prior on the relative lift'),
    publishedRelativeLift: z.number().optional().describe('the relative lift the study published'),
  }),
  z.strictObject({ from: z.literal('none') }),
]);
export type ExperimentPrior = z.infer<typeof experimentPriorSchema>;

/** One survey metric: who answered out of who was exposed, per arm, and the chi-square test across arms. */
export const responseBiasSchema = z.object({
  metric: z.string().describe("the metric's name"),
  arms: z.record(
    z.string(),
    z.object({
      exposed: z.number().int().min(0),
      answered: z.number().int().min(0),
      share: z.number().describe('answered / exposed (0 with no exposures)'),
    }),
  ),
  chiSquare: z.number(),
  df: z.number().int().min(0),
  pValue: z.number(),
  threshold: z.number().describe('p-value below which the metric is flagged'),
  flagged: z.boolean().describe('the share who answered differs between arms'),
});
export type ResponseBias = z.infer<typeof responseBiasSchema>;

const effectSchema = z.object({ estimate: z.number(), sd: z.number(), ci95: interval });

/**
 * What a prior's note says, kept beside the English note so a reader in another language gets the
 * same note in theirs. Evidence stored before it was kept has only the English note.
 */
export const priorNoteFactsSchema = z.discriminatedUnion('says', [
  z.object({
    says: z.literal('template'),
    template: z.string(),
    relativeLift: z.number(),
    sd: z.number(),
    publishedRelativeLift: z.number().optional(),
  }),
  z.object({ says: z.literal('template-in-points'), template: z.string(), metric: z.string() }),
  z.object({ says: z.literal('nudge-missing'), nudge: z.string() }),
  z.object({
    says: z.literal('past-nudges'),
    nudgeType: z.string(),
    found: z.number().int().min(0),
    measure: z.object({ kind: z.string(), event: z.string().optional() }),
  }),
]);
export type PriorNoteFacts = z.infer<typeof priorNoteFactsSchema>;

export const priorEvidenceSchema = z.object({
  from: z.enum(['past-nudges', 'template']),
  metric: z.string().describe('key of the metric the prior is on: the primary'),
  scale: z
    .enum(['relative', 'points'])
    .describe('relative lift (conversion, mean), or points (NPS, whose control may sit at 0)'),
  used: z.boolean(),
  note: z.string().describe('what the prior is and where it came from, or why none was used'),
  noteFacts: priorNoteFactsSchema.optional().describe('what `note` says, to word it in other languages'),
  nudgeType: z.enum(nudgeTypes).optional(),
  minExperiments: z.number().int().optional().describe('past-nudges: how many are needed'),
  /** past-nudges: each concluded experiment's effect, in this metric's direction. */
  sources: z.array(
    z.object({
      experiment: z.string(),
      variant: z.string(),
      metric: z.string(),
      estimate: z.number(),
      sd: z.number(),
    }),
  ),
  template: z.string().optional(),
  prior: effectSchema
    .nullable()
    .describe("the prior on the next experiment's effect; null when none is used"),
  /** Per non-control variant: the experiment's own estimate, with the prior, and the difference. */
  variants: z.record(z.string(), z.object({ without: effectSchema, with: effectSchema, moved: z.number() })),
});
export type PriorEvidence = z.infer<typeof priorEvidenceSchema>;

export const evidenceSchema = z.object({
  /** Survey metrics (NPS, and means over answers such as CSAT and effort), by metric key. */
  responseBias: z.record(z.string(), responseBiasSchema).optional(),
  prior: priorEvidenceSchema.optional(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

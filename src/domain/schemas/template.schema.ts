import { z } from 'zod';
import { channelSchema, keySchema, timestampsSchema } from './common.schema.js';
import { nudgeTypes } from './nudge.schema.js';

/** One arm as published: every figure the source did not give is null (unknown), never guessed. */
export const publishedArmSchema = z.strictObject({
  name: z.string().min(1).max(300),
  n: z.number().int().min(0).nullable(),
  successes: z.number().int().min(0).nullable(),
  rate: z.number().min(0).max(1).nullable(),
});

/**
 * A nudge that worked (or was tested) elsewhere, as a starting point: the principle, where it fits in
 * a journey, the published study with its arm figures and links, and the nudge to instantiate.
 */
export const templateInputSchema = z.strictObject({
  key: keySchema,
  name: z.string().min(1).max(160),
  type: z.enum(nudgeTypes),
  principle: z.string().min(1).max(500),
  description: z.string().min(1).max(2000),
  fit: z.strictObject({
    stages: z
      .array(keySchema)
      .min(1)
      .max(7)
      .describe('journey stages it suits: discover, consider, apply, ...'),
    channels: z.array(channelSchema).min(1).max(8),
    where: z.string().min(1).max(500).describe('the kind of touchpoint it fits, in plain words'),
  }),
  evidence: z.strictObject({
    study: z.string().min(1).max(200).describe('id of the study in the evidence data file'),
    citation: z.string().min(1).max(1000),
    outcome: z.string().min(1).max(500),
    randomized: z.boolean(),
    armSizesKnown: z.boolean(),
    totalN: z.number().int().min(0).nullable(),
    arms: z.array(publishedArmSchema).max(60),
    control: z
      .number()
      .int()
      .min(0)
      .nullable()
      .describe('index of the comparison arm; null when none was published'),
    treatment: z.number().int().min(0).nullable().describe('index of the arm the nudge follows'),
    lowerIsBetter: z.boolean().default(false),
    sources: z.array(z.url()).max(20).describe('links as found; empty when the evidence file has none'),
    replicatedBy: z
      .array(z.string().min(1).max(200))
      .max(20)
      .default([])
      .describe('ids of other studies finding the same'),
  }),
  nudge: z.strictObject({
    variants: z
      .array(z.strictObject({ key: keySchema, name: z.string().min(1).max(120), payload: z.unknown() }))
      .min(2)
      .max(10)
      .describe('the first is the control'),
  }),
  metric: z.strictObject({
    key: keySchema,
    event: z.string().min(1).max(120),
    name: z.string().max(120).optional(),
  }),
  hypothesis: z.string().min(1).max(1500),
});
export type TemplateInput = z.infer<typeof templateInputSchema>;

export const storedTemplateSchema = templateInputSchema
  .extend({ id: z.string() })
  .extend(timestampsSchema.shape);
export type StoredTemplate = z.infer<typeof storedTemplateSchema>;

export const evidenceGrades = ['A', 'B', 'C', 'D'] as const;

export const templateViewSchema = storedTemplateSchema.extend({
  publishedEffect: z
    .object({
      controlRate: z.number(),
      treatmentRate: z.number(),
      absolutePoints: z.number().describe('treatment minus control, in percentage points'),
      relative: z.number().describe('treatment / control - 1'),
    })
    .nullable()
    .describe('null when the source gave no rate for the two arms'),
  grade: z.object({
    grade: z.enum(evidenceGrades),
    randomized: z.boolean(),
    armSizesKnown: z.boolean(),
    replicated: z.boolean(),
    reasons: z.array(z.string()),
  }),
  prior: z
    .object({
      expectedRelativeLift: z.number(),
      sd: z
        .number()
        .describe(
          'sd of the prior on the relative lift: the larger of the expected lift and 8% (the nudge-unit mean)',
        ),
      discount: z.number().describe('share of the published effect expected at scale'),
      basis: z.string(),
    })
    .nullable()
    .describe('what to expect from the published effect after publication bias; null without an effect'),
});
export type TemplateView = z.infer<typeof templateViewSchema>;

export const instantiateInputSchema = z.strictObject({
  touchpoint: keySchema,
  owner: z.string().min(1).max(120),
  nudgeKey: keySchema.optional().describe('default: <template>-<touchpoint>'),
  experimentKey: keySchema.optional().describe('default: the nudge key with -test'),
  usePrior: z
    .boolean()
    .default(false)
    .describe(
      "make the discounted published effect the experiment's prior on its primary metric, and state it in the hypothesis",
    ),
});
export type InstantiateInput = z.infer<typeof instantiateInputSchema>;

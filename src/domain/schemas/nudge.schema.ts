import { z } from 'zod';
import { keySchema, timestampsSchema } from './common.schema.js';

export const weekdaySchema = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/** What a variant of each nudge type shows. Each type has its own shape. */
export const defaultPayloadSchema = z.strictObject({
  option: z.string().min(1).max(200).describe('the pre-selected option'),
  mode: z.enum(['opt-in', 'opt-out']),
  label: z.string().max(500).optional(),
});
export const framingPayloadSchema = z.strictObject({
  frame: z.enum(['neutral', 'gain', 'loss', 'social-norm', 'authority', 'scarcity', 'anchoring']),
  message: z.string().min(1).max(1000),
});
export const timingPayloadSchema = z.strictObject({
  delayMinutes: z
    .number()
    .int()
    .min(0)
    .max(60 * 24 * 90)
    .default(0),
  localHour: z
    .number()
    .int()
    .min(0)
    .max(23)
    .optional()
    .describe('deliver at this hour in the customer time zone'),
  weekdays: z.array(weekdaySchema).min(1).max(7).optional().describe('deliver only on these local weekdays'),
  message: z.string().max(1000).optional(),
});
export const reminderPayloadSchema = z.strictObject({
  message: z.string().min(1).max(1000),
  afterHours: z
    .number()
    .min(0)
    .max(24 * 90),
  maxReminders: z.number().int().min(0).max(10).default(1),
});
export const socialProofPayloadSchema = z.strictObject({
  message: z.string().min(1).max(1000),
  statistic: z.string().max(200).optional(),
});

export const nudgeTypes = ['default', 'framing', 'timing', 'reminder', 'social-proof'] as const;
export type NudgeType = (typeof nudgeTypes)[number];

export const payloadSchemas = {
  default: defaultPayloadSchema,
  framing: framingPayloadSchema,
  timing: timingPayloadSchema,
  reminder: reminderPayloadSchema,
  'social-proof': socialProofPayloadSchema,
} as const;

function variantsOf<P extends z.ZodType>(payload: P) {
  return z
    .array(
      z.strictObject({
        key: keySchema.describe('e.g. control, loss'),
        name: z.string().min(1).max(120).describe('as readouts name the variant'),
        payload: payload.describe('what the variant shows; its fields depend on the nudge type'),
      }),
    )
    .min(2)
    .max(25)
    .describe('what each arm shows, the control included')
    .refine((v) => new Set(v.map((x) => x.key)).size === v.length, 'variant keys must be unique');
}

const nudgeBase = {
  key: keySchema.describe('the nudge, e.g. repayment-frequency-default'),
  touchpoint: keySchema.describe('key of the touchpoint the nudge is bound to'),
  name: z.string().min(1).max(120),
  principle: z.string().min(1).max(500).describe('the behavioural principle behind the nudge'),
  description: z.string().max(2000).optional(),
};

export const nudgeInputSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...nudgeBase, type: z.literal('default'), variants: variantsOf(defaultPayloadSchema) }),
  z.strictObject({ ...nudgeBase, type: z.literal('framing'), variants: variantsOf(framingPayloadSchema) }),
  z.strictObject({ ...nudgeBase, type: z.literal('timing'), variants: variantsOf(timingPayloadSchema) }),
  z.strictObject({ ...nudgeBase, type: z.literal('reminder'), variants: variantsOf(reminderPayloadSchema) }),
  z.strictObject({
    ...nudgeBase,
    type: z.literal('social-proof'),
    variants: variantsOf(socialProofPayloadSchema),
  }),
]);
export type NudgeInput = z.infer<typeof nudgeInputSchema>;
export type NudgeVariant = NudgeInput['variants'][number];

export const nudgeSchema = z.intersection(
  nudgeInputSchema,
  z.object({ id: z.string() }).extend(timestampsSchema.shape),
);
export type Nudge = z.infer<typeof nudgeSchema>;

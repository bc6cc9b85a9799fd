import { z } from 'zod';
import { channelSchema, keySchema } from '../schemas/common.schema.js';

const attributeValue = z.union([
  z.string().max(500),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string().max(500), z.number()])).max(100),
]);

export const assignmentRequestSchema = z
  .strictObject({
    customerId: z.string().min(1).max(200),
    touchpoint: keySchema.optional(),
    touchpoints: z.array(keySchema).min(1).max(50).optional(),
    channel: channelSchema,
    attributes: z
      .record(z.string().max(100), attributeValue)
      .default({})
      .describe(
        'passed to targeting; `timezone` (IANA) places timing nudges, the unit attribute (e.g. accountId) randomises B2B experiments',
      ),
  })
  .superRefine((body, ctx) => {
    if (!body.touchpoint && !body.touchpoints) {
      ctx.addIssue({ code: 'custom', path: ['touchpoint'], message: 'give touchpoint or touchpoints' });
    }
    if (body.touchpoint && body.touchpoints) {
      ctx.addIssue({
        code: 'custom',
        path: ['touchpoints'],
        message: 'give touchpoint or touchpoints, not both',
      });
    }
  });
export type AssignmentRequest = z.infer<typeof assignmentRequestSchema>;

export const notInReasons = [
  'not-running',
  'missing-unit',
  'targeting',
  'namespace',
  'coverage',
  'holdout',
  'fatigue',
] as const;

export const experimentAssignmentSchema = z.object({
  experiment: z.string(),
  touchpoint: z.string(),
  inExperiment: z.boolean(),
  variant: z
    .string()
    .nullable()
    .describe('null when the customer is not in the experiment: show the default'),
  payload: z.unknown().describe('what the variant shows (the nudge variant payload); null when not in'),
  reason: z.enum(notInReasons).optional().describe('why the customer is not in the experiment'),
  qa: z.boolean().optional().describe('forced by a QA override; excluded from analysis'),
  deliverAt: z.iso.datetime().optional().describe('timing nudges: when to deliver'),
});
export type ExperimentAssignment = z.infer<typeof experimentAssignmentSchema>;

export const assignmentResponseSchema = z.object({
  customerId: z.string(),
  resolvedCustomerId: z
    .string()
    .optional()
    .describe('the customer this id is linked to (POST /v1/identities); its variants are answered'),
  assignments: z.array(experimentAssignmentSchema),
});
export type AssignmentResponse = z.infer<typeof assignmentResponseSchema>;

import { z } from 'zod';
import { keySchema, timestampsSchema } from './common.schema.js';

/** The longest window a policy may count over; older contacts are forgotten. */
export const MAX_WINDOW_DAYS = 90;

/**
 * A fatigue cap: at most `maxContacts` nudged contacts per customer within `windowDays`, across
 * every channel, on one journey's touchpoints (or all of them for a global policy). A contact is a
 * touchpoint that answered the customer at least one experiment variant, control included, counted
 * once per touchpoint and UTC day, so reloading a page does not use the cap up.
 */
export const fatiguePolicyInputSchema = z.strictObject({
  key: keySchema,
  name: z.string().min(1).max(160),
  journey: keySchema
    .optional()
    .describe('the journey whose touchpoints count and are capped; absent: a global policy'),
  maxContacts: z.number().int().min(1).max(1000).describe('nudged contacts a customer may get in the window'),
  windowDays: z.number().int().min(1).max(MAX_WINDOW_DAYS).describe('days the contacts are counted over'),
  active: z.boolean().default(true).describe('an inactive policy neither counts nor caps'),
  description: z.string().max(2000).optional(),
});
export type FatiguePolicyInput = z.infer<typeof fatiguePolicyInputSchema>;

export const fatiguePolicySchema = fatiguePolicyInputSchema
  .extend({ id: z.string() })
  .extend(timestampsSchema.shape);
export type FatiguePolicy = z.infer<typeof fatiguePolicySchema>;

export const fatigueStateSchema = z.object({
  customerId: z.string(),
  policies: z.array(
    z.object({
      key: z.string(),
      journey: z.string().nullable(),
      contacts: z.number().int().min(0).describe('contacts counted in the current window'),
      maxContacts: z.number().int(),
      windowDays: z.number().int(),
      capped: z.boolean(),
    }),
  ),
  attributes: z
    .object({ fatigueCapped: z.array(z.string()) })
    .describe('pass these to a GrowthBook SDK evaluating locally, which cannot apply the cap itself'),
});
export type FatigueState = z.infer<typeof fatigueStateSchema>;

import { z } from 'zod';
import { channelSchema, keySchema, timestampsSchema } from './common.schema.js';

export const touchpointInputSchema = z.strictObject({
  key: keySchema.describe(
    'the touchpoint, e.g. home-loan.apply.payment-plan; apps name it when they ask for an assignment',
  ),
  journey: keySchema.describe('key of the journey'),
  stage: keySchema.describe('key of a stage of that journey'),
  channel: channelSchema.describe('where the customer meets it'),
  name: z.string().min(1).max(120),
  description: z.string().max(2000).optional(),
});
export type TouchpointInput = z.infer<typeof touchpointInputSchema>;

export const touchpointSchema = touchpointInputSchema
  .extend({ id: z.string() })
  .extend(timestampsSchema.shape);
export type Touchpoint = z.infer<typeof touchpointSchema>;

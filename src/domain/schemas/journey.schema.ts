import { z } from 'zod';
import { keySchema, timestampsSchema } from './common.schema.js';

export const journeyInputSchema = z.strictObject({
  key: keySchema.describe('the journey, e.g. home-loan'),
  name: z.string().min(1).max(120).describe('as the dashboard shows it'),
  description: z.string().max(2000).optional(),
  industry: z.string().max(80).optional().describe('e.g. banking, telecom, retail'),
  stages: z
    .array(
      z.strictObject({
        key: keySchema.describe('e.g. consider, apply'),
        name: z.string().min(1).max(80),
      }),
    )
    .min(1)
    .max(20)
    .describe('the stages in the order customers pass them (the columns of the journey map)')
    .refine((s) => new Set(s.map((x) => x.key)).size === s.length, 'stage keys must be unique'),
});
export type JourneyInput = z.infer<typeof journeyInputSchema>;

export const journeySchema = journeyInputSchema.extend({ id: z.string() }).extend(timestampsSchema.shape);
export type Journey = z.infer<typeof journeySchema>;

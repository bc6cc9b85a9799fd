import { z } from 'zod';
import { keySchema, timestampsSchema } from './common.schema.js';

export const journeyInputSchema = z.strictObject({
  key: keySchema,
  name: z.string().min(1).max(120),
  description: z.string().max(2000).optional(),
  industry: z.string().max(80).optional(),
  stages: z
    .array(z.strictObject({ key: keySchema, name: z.string().min(1).max(80) }))
    .min(1)
    .max(20)
    .refine((s) => new Set(s.map((x) => x.key)).size === s.length, 'stage keys must be unique'),
});
export type JourneyInput = z.infer<typeof journeyInputSchema>;

export const journeySchema = journeyInputSchema.extend({ id: z.string() }).extend(timestampsSchema.shape);
export type Journey = z.infer<typeof journeySchema>;

import { z } from 'zod';
import { keySchema } from '../domain/schemas/common.schema.js';

/** `:key` of a journey, touchpoint, nudge or experiment. */
export const keyParams = z.object({ key: keySchema });

/** Optimistic concurrency on writes: the version the caller last read. */
export const versionQuery = z.strictObject({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('expected current version (optimistic concurrency)'),
});

import { z } from 'zod';

/** Ids as the assignment and event routes take them. */
const idSchema = z.string().min(1).max(200);

export const identityLinkSchema = z.strictObject({
  anonymousId: idSchema.describe('the anonymous or device id the app used before the customer was known'),
  customerId: idSchema.describe('the customer id it belongs to from now on'),
});
export type IdentityLinkInput = z.infer<typeof identityLinkSchema>;

export const keptVariantSchema = z.object({
  experiment: z.string().describe('experiment or holdout key'),
  variant: z.string(),
});

export const identityLinkResponseSchema = z.object({
  anonymousId: z.string(),
  customerId: z.string(),
  linkedAt: z.iso.datetime(),
  created: z.boolean().describe('false when the link existed already (linking twice changes nothing)'),
  kept: z
    .array(keptVariantSchema)
    .describe('the variant both ids get from now on, per started experiment the customer has one in'),
  splits: z
    .array(z.object({ experiment: z.string(), kept: z.string(), alsoShown: z.string() }))
    .describe('experiments where the two ids had been shown different variants (reported in the readout)'),
});
export type IdentityLinkResponse = z.infer<typeof identityLinkResponseSchema>;

export const stickyBucketDocSchema = z.object({
  attributeName: z.string(),
  attributeValue: z.string(),
  assignments: z.record(z.string(), z.string()).describe('`<experiment key>__<phase>` -> variant key'),
});

export const identityViewSchema = z.object({
  id: z.string(),
  customerId: z.string().describe('the customer the id resolves to (the id itself when it is not an alias)'),
  aliases: z.array(z.string()),
  linked: z.boolean().describe('false for an id that was never linked'),
  stickyBucketAssignmentDocs: z
    .record(z.string(), stickyBucketDocSchema)
    .describe(
      "GrowthBook sticky-bucket documents for an SDK evaluating locally: pass customerId and these (the SDK's stickyBucketAssignmentDocs)",
    ),
});
export type IdentityView = z.infer<typeof identityViewSchema>;

/** What a readout says about units that were two ids. */
export const identityConflictsSchema = z.object({
  splitUnits: z
    .number()
    .int()
    .min(0)
    .describe('units whose ids had been shown different variants when linked; counted once, in the first'),
  mergedUnits: z
    .number()
    .int()
    .min(0)
    .describe('units exposed under two ids with the same variant, counted once'),
  refusedClaims: z
    .number()
    .int()
    .min(0)
    .describe('links refused because the id belonged to another customer, where an id was exposed here'),
  examples: z.array(
    z.object({
      kind: z.enum(['split', 'claim']),
      anonymousId: z.string(),
      customerId: z.string(),
      claimedBy: z.string().optional(),
      variants: z.record(z.string(), z.string()).optional(),
      at: z.iso.datetime(),
    }),
  ),
});
export type IdentityConflicts = z.infer<typeof identityConflictsSchema>;

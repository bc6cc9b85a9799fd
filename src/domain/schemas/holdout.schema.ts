import { z } from 'zod';
import { keySchema, timestampsSchema } from './common.schema.js';
import { decisionSettingsSchema, experimentStatusSchema, metricSchema } from './experiment.schema.js';

/** The two arms of every holdout: the held-out units (the comparison's control) and everybody else. */
export const HOLDOUT_ARM = 'holdout';
export const NUDGED_ARM = 'nudged';

/**
 * A holdout keeps a stable share of units on the default experience on every touchpoint it covers
 * (every touchpoint of one journey, or all of them), so the programme's cumulative effect can be
 * measured against them.
 */
export const holdoutFields = {
  key: keySchema,
  name: z.string().min(1).max(160),
  journey: keySchema
    .optional()
    .describe('the journey whose touchpoints it covers; absent: a global holdout covering every journey'),
  share: z
    .number()
    .gt(0)
    .max(0.5)
    .describe('share of units held out (hashed independently of every experiment)'),
  unit: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
    .default('customerId')
    .describe('randomisation unit attribute'),
  owner: z.string().min(1).max(120).optional(),
  description: z.string().max(2000).optional(),
  metrics: z
    .array(metricSchema)
    .min(1)
    .max(30)
    .optional()
    .describe(
      "outcomes compared; absent: the metrics of the experiments on the journey's touchpoints when the holdout is created",
    ),
  decision: decisionSettingsSchema.default({}),
};

export type HoldoutFields = z.infer<z.ZodObject<typeof holdoutFields>>;

export function checkHoldoutFields(h: HoldoutFields, ctx: z.RefinementCtx): void {
  const metrics = h.metrics ?? [];
  if (metrics.filter((m) => m.role === 'primary').length > 1) {
    ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'at most one primary metric' });
  }
  const keys = metrics.map((m) => m.key);
  if (new Set(keys).size !== keys.length) {
    ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'metric keys must be unique' });
  }
}

export const holdoutInputSchema = z.strictObject(holdoutFields).superRefine(checkHoldoutFields);
export type HoldoutInput = z.infer<typeof holdoutInputSchema>;

export const holdoutSchema = z
  .object({
    id: z.string(),
    status: experimentStatusSchema,
    phase: z.number().int().min(0).describe('0 while draft, 1 once started'),
    metrics: z.array(metricSchema).min(1),
    startedAt: z.iso.datetime().optional(),
    pausedAt: z.iso.datetime().optional(),
    stoppedAt: z.iso.datetime().optional(),
    concludedAt: z.iso.datetime().optional(),
    conclusion: z.string().max(2000).optional(),
  })
  .extend(timestampsSchema.shape)
  .and(holdoutInputSchema);
export type Holdout = z.infer<typeof holdoutSchema>;

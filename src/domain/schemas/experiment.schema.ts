import { z } from 'zod';
import { metricDefinitionSchema } from '../../metrics/registry.js';
import { checkCondition } from '../assignment/condition-check.js';
import { keySchema, timestampsSchema } from './common.schema.js';
import { experimentPriorSchema } from './evidence.schema.js';

export const experimentStatuses = ['draft', 'running', 'paused', 'stopped', 'concluded'] as const;
export const experimentStatusSchema = z.enum(experimentStatuses);
export type ExperimentStatus = z.infer<typeof experimentStatusSchema>;

export const metricRoles = ['primary', 'guardrail', 'secondary'] as const;

/** The fields every metric has; each kind adds its own (see src/metrics and its registry). */
const metricBaseFields = {
  key: keySchema,
  name: z.string().max(120).optional().describe('as readouts name the metric (default: its key)'),
  role: z
    .enum(metricRoles)
    .describe('primary: the one the decision is about; guardrail: must not be harmed; secondary: reported'),
  windowHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(168)
    .describe('attribution window after exposure'),
  lowerIsBetter: z.boolean().default(false),
  margin: z
    .number()
    .min(0)
    .optional()
    .describe(
      'guardrails: harm is a move in the bad direction beyond this (default: 1% of the metric scale, see DECISION_RULE.md)',
    ),
};

export const metricSchema = metricDefinitionSchema(metricBaseFields);
export type Metric = z.infer<typeof metricSchema>;

export const decisionSettingsSchema = z.strictObject({
  chanceToBeatControl: z
    .number()
    .min(0.5)
    .max(1)
    .optional()
    .describe('chance to beat control needed on the primary metric to ship (default 0.95)'),
  lossTolerance: z
    .number()
    .min(0)
    .optional()
    .describe('largest expected loss of shipping, relative to control'),
  harmThreshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('guardrails: the chance of harm at which a variant is held back'),
  minSample: z.number().int().min(0).optional().describe('exposed units every arm needs before a decision'),
});

export const experimentVariantSchema = z.strictObject({
  key: keySchema.describe('key of a variant of the nudge'),
  weight: z
    .number()
    .min(0)
    .max(1)
    .describe("its share of the experiment's customers; the weights add up to 1"),
});

/**
 * GrowthBook condition syntax: a JSON object of attribute tests ($eq, $in, $gt, $and, ...). Unknown
 * operators, saved groups and patterns that could take exponential time are refused here, when the
 * experiment is saved, rather than found on every evaluation.
 */
export const conditionSchema = z.record(z.string(), z.unknown()).superRefine((condition, ctx) => {
  for (const issue of checkCondition(condition, '')) {
    const path = issue.path.replace(/^\./, '');
    ctx.addIssue({ code: 'custom', path: path ? [path] : [], message: issue.reason });
  }
});

export const qaOverrideSchema = z.strictObject({
  customerId: z.string().min(1).max(200),
  variant: keySchema,
});

/** The fields a strategist writes; lifecycle fields (status, phase, dates) are set by the service. */
export const experimentFields = {
  key: keySchema.describe('the experiment, e.g. repayment-frequency-default-2026q4'),
  name: z.string().min(1).max(160),
  nudge: keySchema.describe('key of the nudge under test; the touchpoint is the nudge touchpoint'),
  owner: z.string().min(1).max(120).describe('who answers for it: a team or an e-mail address'),
  hypothesis: z.string().min(1).max(2000).describe('what should change and why, in plain words'),
  control: keySchema.describe('key of the control variant'),
  variants: z
    .array(experimentVariantSchema)
    .min(2)
    .max(25)
    .describe('every variant of the nudge, with its weight'),
  coverage: z.number().min(0).max(1).default(1).describe('share of eligible customers in the experiment'),
  targeting: conditionSchema
    .optional()
    .describe(
      'who is eligible: a GrowthBook condition on customer attributes, e.g. { plan: { $in: [gold] } }',
    ),
  unit: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
    .default('customerId')
    .describe('randomisation unit attribute, e.g. accountId for B2B journeys'),
  overlap: z
    .boolean()
    .default(false)
    .describe('may run at the same time as other overlap-allowed experiments'),
  qaOverrides: z
    .array(qaOverrideSchema)
    .max(1000)
    .default([])
    .describe('customers who always get a given variant, for testing; not counted in readouts'),
  metrics: z
    .array(metricSchema)
    .min(1)
    .max(30)
    .describe('at most one primary, any guardrails and secondaries'),
  decision: decisionSettingsSchema
    .default({})
    .describe('overrides of the decision rule (src/stats/DECISION_RULE.md)'),
  refreshSchedule: z.string().max(100).optional().describe('cron expression overriding the default'),
  prior: experimentPriorSchema
    .optional()
    .describe(
      'informative prior on the primary metric: {from: past-nudges}, {from: template, ...} (set by instantiate) or {from: none}',
    ),
};

type ExperimentFields = z.infer<z.ZodObject<typeof experimentFields>>;

/** Cross-field rules shared by the API input and the experiments-as-code file schema. */
export function checkExperimentFields(exp: ExperimentFields, ctx: z.RefinementCtx): void {
  const keys = exp.variants.map((v) => v.key);
  if (new Set(keys).size !== keys.length) {
    ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variant keys must be unique' });
  }
  if (!keys.includes(exp.control)) {
    ctx.addIssue({ code: 'custom', path: ['control'], message: 'must be one of the variants' });
  }
  const total = exp.variants.reduce((s, v) => s + v.weight, 0);
  if (Math.abs(total - 1) > 1e-6) {
    ctx.addIssue({
      code: 'custom',
      path: ['variants'],
      message: `weights must add up to 1 (got ${total})`,
    });
  }
  const primaries = exp.metrics.filter((m) => m.role === 'primary').length;
  if (primaries > 1) {
    ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'at most one primary metric' });
  }
  const metricKeys = exp.metrics.map((m) => m.key);
  if (new Set(metricKeys).size !== metricKeys.length) {
    ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'metric keys must be unique' });
  }
  exp.qaOverrides.forEach((o, i) => {
    if (!keys.includes(o.variant)) {
      ctx.addIssue({
        code: 'custom',
        path: ['qaOverrides', i, 'variant'],
        message: 'must be one of the variants',
      });
    }
  });
}

export const experimentInputSchema = z.strictObject(experimentFields).superRefine(checkExperimentFields);
export type ExperimentInput = z.infer<typeof experimentInputSchema>;

export const experimentSchema = z
  .object({
    id: z.string(),
    touchpoint: keySchema,
    status: experimentStatusSchema,
    phase: z
      .number()
      .int()
      .min(0)
      .describe(
        '0 while draft; 1 on the first start; increments when a paused experiment whose variants or weights (or nudge, control, unit) changed is resumed; exposures and readouts are per phase',
      ),
    newPhaseOnResume: z
      .boolean()
      .optional()
      .describe('set while paused when variants or weights changed: resuming starts a new phase'),
    startedAt: z.iso.datetime().optional().describe('first start'),
    pausedAt: z.iso.datetime().optional().describe('while paused: when it was paused'),
    stoppedAt: z.iso.datetime().optional(),
    concludedAt: z.iso.datetime().optional(),
    conclusion: z.string().max(2000).optional(),
    shippedVariant: keySchema.optional().describe('the variant chosen for everyone at conclusion'),
  })
  .extend(timestampsSchema.shape)
  .and(experimentInputSchema);
export type Experiment = z.infer<typeof experimentSchema>;

import { z } from 'zod';

export const alertKinds = ['srm', 'guardrail-harm', 'decision-reached', 'refresh-failing'] as const;
export const alertKindSchema = z.enum(alertKinds);
export type AlertKind = z.infer<typeof alertKindSchema>;

/**
 * One alert per condition (`condition` is unique while open): a condition that stays true keeps
 * its open alert (lastSeenAt moves), and raises a new one only after it has cleared.
 */
export const alertSchema = z.object({
  id: z.string().describe('alr_000000000001, ...: ordered by when the alert opened'),
  kind: alertKindSchema,
  experiment: z.string(),
  condition: z.string().describe('what is deduplicated, e.g. srm:<experiment>:<phase>'),
  status: z.enum(['open', 'cleared']),
  message: z.string().describe('what happened, in `language`'),
  /** The language of `message`: English unless another was asked for and the alert has it. */
  language: z.string().optional(),
  messages: z
    .record(z.string(), z.string())
    .optional()
    .describe('the same message in the other languages (pt, ru, uk, ro), rewritten with it'),
  details: z.record(z.string(), z.unknown()),
  openedAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  clearedAt: z.iso.datetime().nullable(),
});
export type Alert = z.infer<typeof alertSchema>;

export const alertQuerySchema = z.object({
  status: z.enum(['open', 'cleared', 'all']).default('open'),
  experiment: z.string().max(80).optional(),
  before: z
    .string()
    .regex(/^alr_\d{12}$/, 'must be an alert id (the last one of the previous page)')
    .optional()
    .describe('only alerts opened before this one (pages: pass the last id of the previous page)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AlertQuery = z.infer<typeof alertQuerySchema>;

/** The JSON body POSTed to every configured webhook URL. */
export const alertWebhookBodySchema = z.object({
  type: z.enum(['alert.opened', 'alert.cleared']),
  alert: alertSchema,
});
export type AlertWebhookBody = z.infer<typeof alertWebhookBodySchema>;

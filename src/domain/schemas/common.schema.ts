import { z } from 'zod';

/** Human keys: lower-case words joined by '-', '_' or '.', e.g. `home-loan`, `apply.payment-plan`. */
export const keySchema = z
  .string()
  .min(2)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"');

export const channelSchema = z.enum(['web', 'app', 'email', 'sms', 'push', 'call-centre', 'branch', 'chat']);
export type Channel = z.infer<typeof channelSchema>;

export const idPrefixes = {
  journey: 'jrn_',
  touchpoint: 'tpt_',
  nudge: 'ndg_',
  experiment: 'exp_',
  holdout: 'hld_',
  fatigue: 'ftg_',
  template: 'tpl_',
  apiKey: 'key_',
} as const;

export type EntityKind = keyof typeof idPrefixes;

/** What the service stores beside every definition's own fields. */
export const timestampsSchema = z.object({
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().min(1),
  source: z
    .string()
    .max(1000)
    .optional()
    .describe(
      'the definitions file that manages it (e.g. experiments/retail-checkout.yaml), set by npm run sync; absent for definitions made through the API or the workspace',
    ),
});

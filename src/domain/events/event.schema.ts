import { z } from 'zod';
import { channelSchema, keySchema } from '../schemas/common.schema.js';

export const MAX_EVENTS_PER_BATCH = 1000;
/** Clocks drift; an event more than this far in the future is a bug on the sender's side. */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Events older than five years are refused: no readout looks that far back, and year-0001 dates are sender bugs. */
export const MAX_PAST_DAYS = 5 * 365;
const MAX_PAST_MS = MAX_PAST_DAYS * 24 * 3600_000;

const propertyKey = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^$.][^.]*$/, 'must not start with "$" or contain "."');

const base = {
  eventId: z.string().min(1).max(200).describe('idempotency key, e.g. the survey response id'),
  customerId: z.string().min(1).max(200),
  occurredAt: z.iso
    .datetime({ offset: true })
    .refine(
      (s) => Date.parse(s) <= Date.now() + MAX_FUTURE_MS,
      'must not be more than 5 minutes in the future',
    )
    .refine(
      (s) => Date.parse(s) >= Date.now() - MAX_PAST_MS,
      `must not be more than ${MAX_PAST_DAYS} days in the past`,
    ),
  touchpoint: keySchema.optional(),
  channel: channelSchema.optional(),
  properties: z
    .record(propertyKey, z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
    .refine((p) => Object.keys(p).length <= 50, 'at most 50 properties')
    .optional(),
};

const name = z.string().min(1).max(120);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const eventInputSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('conversion'), name }),
  z.strictObject({ ...base, type: z.literal('csat'), value: z.number().int().min(1).max(5) }),
  z.strictObject({ ...base, type: z.literal('nps'), value: z.number().int().min(0).max(10) }),
  z.strictObject({ ...base, type: z.literal('ces'), value: z.number().int().min(1).max(7) }),
  z.strictObject({
    ...base,
    type: z.literal('revenue'),
    amount: finite.min(-1e12).max(1e12).describe('negative for refunds'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  }),
  z.strictObject({ ...base, type: z.literal('metric'), name, value: finite }),
]);
export type EventInput = z.infer<typeof eventInputSchema>;

/**
 * The envelope of `POST /v1/events`: one event or `{events: [...]}`. Each event is judged alone
 * (`eventInputSchema`), so a bad one is listed as rejected and the others are stored.
 */
const eventItem = z
  .unknown()
  .describe(
    'one event: {eventId, customerId, occurredAt, type, ...}; type conversion (name), csat (value 1-5), nps (0-10), ces (1-7), revenue (amount, currency) or metric (name, value); validated alone, so a bad event is rejected and the others are stored',
  );
export const eventBatchSchema = z.union([
  z.strictObject({ events: z.array(eventItem).min(1).max(MAX_EVENTS_PER_BATCH) }),
  z.record(z.string(), z.unknown()).describe(eventItem.description ?? ''),
]);

export const rejectedEventSchema = z.object({
  index: z.number().int(),
  code: z.literal('validation_failed'),
  field: z.string(),
  message: z.string(),
});

export const eventsResponseSchema = z.object({
  accepted: z.number().int().describe('events stored by this request'),
  duplicates: z.number().int().describe('events already stored, or repeated inside this batch'),
  rejected: z.array(rejectedEventSchema),
  unmatched: z
    .array(z.object({ name: z.string(), events: z.number().int() }))
    .describe(
      'names (or survey types) of valid events that no running or recently ended experiment reads: stored, but counted by no metric',
    ),
});
export type EventsResponse = z.infer<typeof eventsResponseSchema>;

import { z } from 'zod';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';

const auditQuerySchema = z.strictObject({
  kind: z.enum(['journey', 'touchpoint', 'nudge', 'experiment', 'api-key']).optional(),
  key: z.string().max(80).optional(),
  actor: z.string().max(80).optional(),
  action: z.string().max(40).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  before: z
    .string()
    .regex(/^aud_\d{12}$/, 'must be an audit entry id (the `next` of a previous page)')
    .optional()
    .describe('only entries recorded before this one'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string().describe('name of the API key that made the change'),
  actorKeyId: z.string(),
  source: z
    .string()
    .optional()
    .describe('where the change came from: api, dashboard, sync, cli or system (absent on older entries)'),
  action: z.string(),
  kind: z.string(),
  key: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});

/** The audit log, newest first: admin and strategist only. */
export function auditRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      tag: 'audit',
      summary: 'Changes to definitions and keys, newest first',
      description:
        'Every change to a definition or key, newest first: who (key name, `sync`, `cli`), when, what, before and after. One call looks at no more than 5,000 entries; `next` goes on from where it stopped.',
      access: { via: 'key', roles: ['strategist'] },
      query: auditQuerySchema,
      responses: {
        200: z.object({
          items: z.array(auditEntrySchema),
          next: z
            .string()
            .nullable()
            .describe('pass as `before` for the next page; null at the start of the log'),
        }),
      },
    }).handle(async ({ query }) => ({ status: 200, body: await services.audit.list(query) })),
  ];
}

import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

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
  action: z.string(),
  kind: z.string(),
  key: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});

/** The audit log, newest first: admin and strategist only. */
export function auditRoutes(services: Services): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/v1/audit',
    tag: 'audit',
    summary: 'Changes to definitions and keys, newest first',
    roles: ['strategist'],
    query: auditQuerySchema,
    response: z.object({
      items: z.array(auditEntrySchema),
      next: z
        .string()
        .nullable()
        .describe('pass as `before` for the next page; null at the start of the log'),
    }),
  });
  router.get('/v1/audit', requireRole(services.apiKeys, 'strategist'), async (req, res) => {
    const filter = parseOrThrow(auditQuerySchema, req.query);
    res.json(await services.audit.list(filter));
  });
  return router;
}

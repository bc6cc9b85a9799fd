import { Router } from 'express';
import { z } from 'zod';
import { fatigueStateSchema } from '../../domain/schemas/fatigue-policy.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

const params = z.object({ customerId: z.string().min(1).max(200) });
const roles = ['app', 'strategist', 'viewer'] as const;

/** `GET /v1/fatigue/:customerId`: the cap state, for apps whose GrowthBook SDK evaluates locally. */
export function fatigueStateRoutes(services: Services): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/v1/fatigue/:customerId',
    tag: 'fatigue',
    summary: "A customer's nudged contacts against each active fatigue policy, and the SDK attribute",
    roles,
    params,
    response: fatigueStateSchema,
  });
  router.get('/v1/fatigue/:customerId', requireRole(services.apiKeys, ...roles), async (req, res) => {
    const { customerId } = parseOrThrow(params, req.params);
    res.setHeader('Cache-Control', 'no-store').json(await services.fatigueState(customerId));
  });
  return router;
}

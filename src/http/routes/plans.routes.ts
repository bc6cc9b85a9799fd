import { Router } from 'express';
import { z } from 'zod';
import { experimentPlanSchema, planQuerySchema } from '../../domain/planning.service.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { planInputSchema, planSchema } from '../../stats/index.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

const keyParams = z.object({ key: keySchema });
const readers = ['viewer', 'strategist'] as const;

/** Planning: minimum detectable effect and expected days to a decision. */
export function plansRoutes(services: Services): Router {
  const router = Router();
  const read = requireRole(services.apiKeys, ...readers);

  documentRoute({
    method: 'get',
    path: '/v1/experiments/:key/plan',
    tag: 'readouts',
    summary:
      'Plan of an experiment: traffic measured from its snapshots (or entered), MDE and expected days to decide',
    roles: readers,
    params: keyParams,
    query: planQuerySchema,
    response: experimentPlanSchema,
    errors: ['not_found', 'validation_failed'],
  });
  router.get('/v1/experiments/:key/plan', read, async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    const query = parseOrThrow(planQuerySchema, req.query);
    res.json(await services.planning.forExperiment(key, query));
  });

  documentRoute({
    method: 'post',
    path: '/v1/plans',
    tag: 'readouts',
    summary: 'Plan a draft: traffic, baseline and lift entered; MDE and expected days to decide',
    roles: readers,
    body: planInputSchema,
    response: planSchema,
    errors: ['validation_failed'],
  });
  router.post('/v1/plans', read, (req, res) => {
    const body = parseOrThrow(planInputSchema, req.body);
    res.json(services.planning.draft(body));
  });

  return router;
}

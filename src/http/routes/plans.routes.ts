import { experimentPlanSchema, planQuerySchema } from '../../domain/planning.service.js';
import type { Services } from '../../domain/services.js';
import { planInputSchema, planSchema } from '../../stats/index.js';
import { defineRoute, type Route } from '../route.js';
import { keyParams } from '../route-params.js';

const readers = { via: 'key', roles: ['viewer', 'strategist'] } as const;

/** Planning: minimum detectable effect and expected days to a decision. */
export function plansRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/experiments/:key/plan',
      tag: 'readouts',
      summary:
        'Plan of an experiment: traffic measured from its snapshots (or entered), MDE and expected days to decide',
      access: readers,
      params: keyParams,
      query: planQuerySchema,
      responses: { 200: experimentPlanSchema },
      errors: ['not_found'],
    }).handle(async ({ params, query }) => ({
      status: 200,
      body: await services.planning.forExperiment(params.key, query),
    })),
    defineRoute({
      method: 'post',
      path: '/v1/plans',
      tag: 'readouts',
      summary: 'Plan a draft: traffic, baseline and lift entered; MDE and expected days to decide',
      access: readers,
      body: planInputSchema,
      responses: { 200: planSchema },
    }).handle(({ body }) => ({ status: 200, body: services.planning.draft(body) })),
  ];
}

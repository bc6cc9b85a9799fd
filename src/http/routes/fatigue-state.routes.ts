import { z } from 'zod';
import { fatigueStateSchema } from '../../domain/schemas/fatigue-policy.schema.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';

const params = z.object({ customerId: z.string().min(1).max(200) });

/** `GET /v1/fatigue/:customerId`: the cap state, for apps whose GrowthBook SDK evaluates locally. */
export function fatigueStateRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/fatigue/:customerId',
      tag: 'fatigue',
      summary: "A customer's nudged contacts against each active fatigue policy, and the SDK attribute",
      description:
        'Per active policy the contacts counted in its window, its cap and whether the customer is at it; `attributes.fatigueCapped` lists the policies at their cap, to pass to a GrowthBook SDK that evaluates locally.',
      access: { via: 'key', roles: ['app', 'strategist', 'viewer'] },
      params,
      responses: { 200: fatigueStateSchema },
    }).handle(async ({ params }) => ({
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      body: await services.fatigueState(params.customerId),
    })),
  ];
}

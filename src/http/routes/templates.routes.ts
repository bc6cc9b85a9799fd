import { z } from 'zod';
import { channelSchema, keySchema } from '../../domain/schemas/common.schema.js';
import { experimentSchema } from '../../domain/schemas/experiment.schema.js';
import { nudgeSchema, nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import { instantiateInputSchema, templateViewSchema } from '../../domain/schemas/template.schema.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';
import { keyParams } from '../route-params.js';

const filters = z.strictObject({
  type: z.enum(nudgeTypes).optional(),
  channel: channelSchema.optional(),
  stage: keySchema.optional(),
});
const readers = { via: 'key', roles: ['strategist', 'viewer'] } as const;

/** `GET /v1/templates[/:key]` and `POST /v1/templates/:key/instantiate`. */
export function templatesRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/templates',
      tag: 'templates',
      summary: 'Nudge templates from published evidence, filtered by nudge type, channel and journey stage',
      access: readers,
      query: filters,
      responses: { 200: z.object({ items: z.array(templateViewSchema) }) },
    }).handle(async ({ query }) => ({
      status: 200,
      body: { items: await services.templates.catalogue(query) },
    })),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key',
      tag: 'templates',
      summary: 'One template with its published effect, evidence grade and discounted prior',
      access: readers,
      params: keyParams,
      responses: { 200: templateViewSchema },
      errors: ['not_found'],
    }).handle(async ({ params }) => ({ status: 200, body: await services.templates.view(params.key) })),
    defineRoute({
      method: 'post',
      path: '/v1/templates/:key/instantiate',
      tag: 'templates',
      summary: 'Create a draft nudge and experiment from a template on a touchpoint',
      description:
        "Creates a draft nudge on the touchpoint with the template's variants and a draft experiment on it with equal weights; `usePrior` makes the discounted published effect the experiment's prior on its primary metric (the readout reports the lift with and without it) and states it in the hypothesis. The touchpoint must exist; an existing nudge or experiment key is a `conflict`.",
      access: { via: 'key', roles: ['strategist'] },
      params: keyParams,
      body: instantiateInputSchema,
      responses: {
        201: z.object({ template: z.string(), nudge: nudgeSchema, experiment: experimentSchema }),
      },
      errors: ['not_found', 'conflict'],
    }).handle(async ({ actor, params, body }) => ({
      status: 201,
      body: await services.templates.instantiate(actor, params.key, body),
    })),
  ];
}

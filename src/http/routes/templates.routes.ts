import { Router } from 'express';
import { z } from 'zod';
import { channelSchema, keySchema } from '../../domain/schemas/common.schema.js';
import { experimentSchema } from '../../domain/schemas/experiment.schema.js';
import { nudgeSchema, nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import { instantiateInputSchema, templateViewSchema } from '../../domain/schemas/template.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

const keyParams = z.object({ key: keySchema });
const filters = z.strictObject({
  type: z.enum(nudgeTypes).optional(),
  channel: channelSchema.optional(),
  stage: keySchema.optional(),
});
const viewers = ['strategist', 'viewer'] as const;

/** `GET /v1/templates[/:key]` and `POST /v1/templates/:key/instantiate`. */
export function templatesRoutes(services: Services): Router {
  const router = Router();
  const read = requireRole(services.apiKeys, ...viewers);

  documentRoute({
    method: 'get',
    path: '/v1/templates',
    tag: 'templates',
    summary: 'Nudge templates from published evidence, filtered by nudge type, channel and journey stage',
    roles: viewers,
    query: filters,
    response: z.object({ items: z.array(templateViewSchema) }),
  });
  router.get('/v1/templates', read, async (req, res) => {
    res.json({ items: await services.templates.catalogue(parseOrThrow(filters, req.query)) });
  });

  documentRoute({
    method: 'get',
    path: '/v1/templates/:key',
    tag: 'templates',
    summary: 'One template with its published effect, evidence grade and discounted prior',
    roles: viewers,
    params: keyParams,
    response: templateViewSchema,
    errors: ['not_found'],
  });
  router.get('/v1/templates/:key', read, async (req, res) => {
    res.json(await services.templates.view(parseOrThrow(keyParams, req.params).key));
  });

  documentRoute({
    method: 'post',
    path: '/v1/templates/:key/instantiate',
    tag: 'templates',
    summary: 'Create a draft nudge and experiment from a template on a touchpoint',
    roles: ['strategist'],
    params: keyParams,
    body: instantiateInputSchema,
    response: z.object({ template: z.string(), nudge: nudgeSchema, experiment: experimentSchema }),
    status: 201,
    errors: ['not_found', 'validation_failed', 'conflict'],
  });
  router.post(
    '/v1/templates/:key/instantiate',
    requireRole(services.apiKeys, 'strategist'),
    async (req, res) => {
      const { key } = parseOrThrow(keyParams, req.params);
      res.status(201).json(await services.templates.instantiate(req.actor!, key, req.body));
    },
  );
  return router;
}

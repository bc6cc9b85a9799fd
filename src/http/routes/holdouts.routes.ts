import type { Router } from 'express';
import { z } from 'zod';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { experimentStatusSchema } from '../../domain/schemas/experiment.schema.js';
import { holdoutInputSchema, holdoutSchema } from '../../domain/schemas/holdout.schema.js';
import type { Services } from '../../domain/services.js';
import { definitionRoutes } from './definition-routes.js';

/** `GET/POST /v1/holdouts`, `GET/PUT/DELETE /v1/holdouts/:key`: holdouts are definitions like experiments. */
export function holdoutsRoutes(services: Services): Router {
  return definitionRoutes(services.apiKeys, {
    path: '/v1/holdouts',
    tag: 'holdouts',
    noun: 'holdout',
    service: services.holdouts,
    input: holdoutInputSchema,
    output: holdoutSchema,
    filters: z.strictObject({ status: experimentStatusSchema.optional(), journey: keySchema.optional() }),
  });
}

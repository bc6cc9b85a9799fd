import { z } from 'zod';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { experimentStatusSchema } from '../../domain/schemas/experiment.schema.js';
import { holdoutInputSchema, holdoutSchema } from '../../domain/schemas/holdout.schema.js';
import type { Services } from '../../domain/services.js';
import type { Route } from '../route.js';
import { definitionRoutes } from './definition-routes.js';

/** `GET/POST /v1/holdouts`, `GET/PUT/DELETE /v1/holdouts/:key`: holdouts are definitions like experiments. */
export function holdoutsRoutes(services: Services): Route[] {
  return definitionRoutes({
    path: '/v1/holdouts',
    tag: 'holdouts',
    noun: 'holdout',
    service: services.holdouts,
    input: holdoutInputSchema,
    output: holdoutSchema,
    rules: {
      write:
        'New holdouts are drafts. The journey, if given, must exist; without metrics, those of the experiments on the covered touchpoints are taken. Once started, share, unit and journey are frozen (`experiment_locked`).',
      delete: 'A running or paused holdout cannot be deleted (`experiment_locked`).',
    },
    filters: z.strictObject({ status: experimentStatusSchema.optional(), journey: keySchema.optional() }),
  });
}

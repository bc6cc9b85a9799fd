import { z } from 'zod';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { fatiguePolicyInputSchema, fatiguePolicySchema } from '../../domain/schemas/fatigue-policy.schema.js';
import type { Services } from '../../domain/services.js';
import type { Route } from '../route.js';
import { definitionRoutes } from './definition-routes.js';

/** `GET/POST /v1/fatigue-policies`, `GET/PUT/DELETE /v1/fatigue-policies/:key`. */
export function fatiguePoliciesRoutes(services: Services): Route[] {
  return definitionRoutes({
    path: '/v1/fatigue-policies',
    tag: 'fatigue',
    noun: 'fatigue policy',
    plural: 'fatigue policies',
    service: services.fatiguePolicies,
    input: fatiguePolicyInputSchema,
    output: fatiguePolicySchema,
    rules: { write: 'The journey, if given, must exist; without one the cap is global.' },
    filters: z.strictObject({ journey: keySchema.optional() }),
  });
}

import type { Router } from 'express';
import { z } from 'zod';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { fatiguePolicyInputSchema, fatiguePolicySchema } from '../../domain/schemas/fatigue-policy.schema.js';
import type { Services } from '../../domain/services.js';
import { definitionRoutes } from './definition-routes.js';

/** `GET/POST /v1/fatigue-policies`, `GET/PUT/DELETE /v1/fatigue-policies/:key`. */
export function fatiguePoliciesRoutes(services: Services): Router {
  return definitionRoutes(services.apiKeys, {
    path: '/v1/fatigue-policies',
    tag: 'fatigue',
    noun: 'fatigue policy',
    service: services.fatiguePolicies,
    input: fatiguePolicyInputSchema,
    output: fatiguePolicySchema,
    filters: z.strictObject({ journey: keySchema.optional() }),
  });
}

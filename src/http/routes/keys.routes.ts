import { z } from 'zod';
import { apiKeyInputSchema, apiKeyScopeSchema } from '../../domain/api-keys.service.js';
import { roleSchema } from '../../domain/roles.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  prefix: z
    .string()
    .describe('fingerprint to tell keys apart (from the stored hash, never the characters of the secret)'),
  clientKey: z.string().optional().describe('app keys: the GrowthBook SDK client key'),
  scope: apiKeyScopeSchema.optional(),
  sdk: z
    .object({
      decryptionKey: z
        .string()
        .optional()
        .describe('the GrowthBook SDK `decryptionKey` (encrypted features)'),
      secureAttributes: z.array(z.string()).optional(),
      secureAttributeSalt: z
        .string()
        .optional()
        .describe('hash secure attributes as hex SHA-256 of this salt followed by the value'),
    })
    .optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  revokedAt: z.string().optional(),
});
const createdKeySchema = z.object({
  key: apiKeySchema,
  secret: z.string().describe('shown once; store it now'),
});
const nameParams = z.object({
  name: z
    .string()
    .min(2)
    .max(80)
    .regex(/^[a-z0-9][a-z0-9._-]*$/),
});

/** API keys: admin only. The secret is returned once, at creation. */
export function keysRoutes(services: Services): Route[] {
  const admin = { via: 'key', roles: [] } as const;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/keys',
      tag: 'keys',
      summary: 'List API keys (never their secrets)',
      access: admin,
      responses: { 200: z.object({ items: z.array(apiKeySchema) }) },
    }).handle(async () => ({ status: 200, body: { items: await services.apiKeys.list() } })),
    defineRoute({
      method: 'post',
      path: '/v1/keys',
      tag: 'keys',
      summary: 'Create an API key',
      description:
        'Create a key (`{"name","role"}`, app keys optionally with a `scope` and `sdk` protection); the secret is in the response once, app keys also get a GrowthBook client key.',
      access: admin,
      body: apiKeyInputSchema,
      responses: { 201: createdKeySchema },
      errors: ['conflict'],
    }).handle(async ({ actor, body }) => ({ status: 201, body: await services.apiKeys.create(actor, body) })),
    defineRoute({
      method: 'delete',
      path: '/v1/keys/:name',
      tag: 'keys',
      summary: 'Revoke an API key',
      access: admin,
      params: nameParams,
      responses: { 200: apiKeySchema },
      errors: ['not_found'],
    }).handle(async ({ actor, params }) => ({
      status: 200,
      body: await services.apiKeys.revoke(actor, params.name),
    })),
  ];
}

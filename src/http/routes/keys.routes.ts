import { Router } from 'express';
import { z } from 'zod';
import { apiKeyInputSchema, apiKeyScopeSchema } from '../../domain/api-keys.service.js';
import { roleSchema } from '../../domain/roles.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

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
export function keysRoutes(services: Services): Router {
  const router = Router();
  const admin = requireRole(services.apiKeys);

  documentRoute({
    method: 'get',
    path: '/v1/keys',
    tag: 'keys',
    summary: 'List API keys (never their secrets)',
    roles: [],
    response: z.object({ items: z.array(apiKeySchema) }),
  });
  router.get('/v1/keys', admin, async (_req, res) => {
    res.json({ items: await services.apiKeys.list() });
  });

  documentRoute({
    method: 'post',
    path: '/v1/keys',
    tag: 'keys',
    summary: 'Create an API key',
    roles: [],
    body: apiKeyInputSchema,
    response: createdKeySchema,
    status: 201,
    errors: ['conflict'],
  });
  router.post('/v1/keys', admin, async (req, res) => {
    const input = parseOrThrow(apiKeyInputSchema, req.body);
    res.status(201).json(await services.apiKeys.create(req.actor!, input));
  });

  documentRoute({
    method: 'delete',
    path: '/v1/keys/:name',
    tag: 'keys',
    summary: 'Revoke an API key',
    roles: [],
    params: nameParams,
    response: apiKeySchema,
    errors: ['not_found'],
  });
  router.delete('/v1/keys/:name', admin, async (req, res) => {
    const { name } = parseOrThrow(nameParams, req.params);
    res.json(await services.apiKeys.revoke(req.actor!, name));
  });
  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { documentRoute } from '../route-docs.js';

const CLIENT_KEY_CACHE_MS = 30_000;
const params = z.object({ clientKey: z.string().min(1).max(200) });

/**
 * `GET /api/features/:clientKey`: the compiled payload for GrowthBook SDKs (the path the SDKs
 * call under their `apiHost`). Client keys are cached like API keys, so SDK polling costs no
 * database round trip; the ETag lets an unchanged payload answer 304 with no body.
 */
export function featuresRoutes(services: Services): Router {
  const router = Router();
  const known = new Map<string, { ok: boolean; until: number }>();
  documentRoute({
    method: 'get',
    path: '/api/features/:clientKey',
    tag: 'assignments',
    summary: 'GrowthBook features payload for SDKs (ETag, 304 on If-None-Match)',
    params,
    response: z.object({ features: z.record(z.string(), z.unknown()) }),
    errors: ['not_found'],
  });
  router.get('/api/features/:clientKey', async (req, res) => {
    const clientKey = params.parse(req.params).clientKey;
    const now = Date.now();
    let entry = known.get(clientKey);
    if (!entry || entry.until < now) {
      const key = await services.apiKeys.byClientKey(clientKey);
      if (known.size > 10_000) known.clear();
      entry = { ok: key !== null, until: now + CLIENT_KEY_CACHE_MS };
      known.set(clientKey, entry);
    }
    if (!entry.ok) throw new DomainError('not_found', 'Unknown or revoked client key.');
    const compiled = await services.capture.assignments.compiled();
    res.set('ETag', compiled.etag);
    res.set('Cache-Control', 'public, max-age=30, stale-while-revalidate=60');
    res.set('Access-Control-Allow-Origin', '*');
    if (req.get('if-none-match') === compiled.etag) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(compiled.json);
  });
  return router;
}

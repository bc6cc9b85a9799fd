import { Router } from 'express';
import { z } from 'zod';
import { holdoutReadoutSchema } from '../../domain/holdouts/holdout-readout.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

const keyParams = z.object({ key: keySchema });
const viewers = ['viewer', 'strategist'] as const;

/** `GET /v1/holdouts/:key/readout`: the programme's cumulative effect, nudged against held out. */
export function holdoutReadoutRoutes(services: Services): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/v1/holdouts/:key/readout',
    tag: 'holdouts',
    summary: 'Nudged population against the holdout on its metrics (conversion, CSAT, NPS, effort)',
    roles: viewers,
    params: keyParams,
    response: holdoutReadoutSchema,
    errors: ['not_found', 'not_started'],
  });
  router.get('/v1/holdouts/:key/readout', requireRole(services.apiKeys, ...viewers), async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    res.setHeader('Cache-Control', 'no-store').json(await services.holdoutReadout(key));
  });
  return router;
}

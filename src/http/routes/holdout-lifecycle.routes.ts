import { Router } from 'express';
import { z } from 'zod';
import { emptyInputSchema } from '../../domain/experiments.service.js';
import { holdoutActions } from '../../domain/holdouts/holdout-lifecycle.js';
import { holdoutConcludeSchema } from '../../domain/holdouts/holdouts.service.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { holdoutSchema } from '../../domain/schemas/holdout.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';
import { keyOf } from './definition-routes.js';

const versionQuery = z.strictObject({
  version: z.coerce.number().int().min(1).optional().describe('expected current version'),
});

const summaries = {
  start: 'Start a holdout (its members get the default on every covered touchpoint) or resume it',
  pause: 'Pause a running holdout (its members get nudges again meanwhile)',
  stop: 'Stop a running or paused holdout',
  conclude: 'Conclude a stopped holdout',
} as const;

/** `POST /v1/holdouts/:key/{start,pause,stop,conclude}`: strategists change a holdout's lifecycle. */
export function holdoutLifecycleRoutes(services: Services): Router {
  const router = Router();
  const write = requireRole(services.apiKeys, 'strategist');
  for (const action of holdoutActions) {
    const path = `/v1/holdouts/:key/${action}`;
    documentRoute({
      method: 'post',
      path,
      tag: 'holdouts',
      summary: summaries[action],
      roles: ['strategist'],
      params: z.object({ key: keySchema }),
      query: versionQuery,
      body: action === 'conclude' ? holdoutConcludeSchema : emptyInputSchema,
      response: holdoutSchema,
      errors: ['not_found', 'invalid_transition', 'version_conflict'],
    });
    router.post(path, write, async (req, res) => {
      const { version } = parseOrThrow(versionQuery, req.query);
      res.json(await services.holdouts.transition(req.actor!, keyOf(req), action, req.body, version));
    });
  }
  return router;
}

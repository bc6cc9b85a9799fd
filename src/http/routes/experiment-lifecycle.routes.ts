import { Router } from 'express';
import { z } from 'zod';
import { lifecycleActions } from '../../domain/experiments/lifecycle.js';
import { concludeInputSchema, emptyInputSchema } from '../../domain/experiments.service.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { experimentSchema } from '../../domain/schemas/experiment.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';
import { keyOf } from './definition-routes.js';

const versionQuery = z.strictObject({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('expected current version (optimistic concurrency)'),
});

const summaries = {
  start: 'Start a draft experiment or resume a paused one',
  pause: 'Pause a running experiment',
  stop: 'Stop a running or paused experiment',
  conclude: 'Conclude a stopped experiment, optionally naming the shipped variant',
} as const;

/** `POST /v1/experiments/:key/{start,pause,stop,conclude}`: strategists change the lifecycle. */
export function experimentLifecycleRoutes(services: Services): Router {
  const router = Router();
  const write = requireRole(services.apiKeys, 'strategist');
  for (const action of lifecycleActions) {
    const path = `/v1/experiments/:key/${action}`;
    documentRoute({
      method: 'post',
      path,
      tag: 'experiments',
      summary: summaries[action],
      roles: ['strategist'],
      params: z.object({ key: keySchema }),
      query: versionQuery,
      body: action === 'conclude' ? concludeInputSchema : emptyInputSchema,
      response: experimentSchema,
      errors: [
        'not_found',
        'invalid_transition',
        'version_conflict',
        ...(action === 'start' ? (['precondition_failed', 'overlap_conflict'] as const) : []),
      ],
    });
    router.post(path, write, async (req, res) => {
      const { version } = parseOrThrow(versionQuery, req.query);
      res.json(await services.experiments.transition(req.actor!, keyOf(req), action, req.body, version));
    });
  }
  return router;
}

import { lifecycleActions } from '../../domain/experiments/lifecycle.js';
import { concludeInputSchema, emptyInputSchema } from '../../domain/experiments.service.js';
import { experimentSchema } from '../../domain/schemas/experiment.schema.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';
import { keyParams, versionQuery } from '../route-params.js';

/** What each action requires and does, beyond its summary. */
const descriptions = {
  start:
    'Start a draft (phase 1) or resume a paused experiment. Needs the nudge, its touchpoint and a primary metric (`precondition_failed`); refused beside another running experiment on the touchpoint unless both say `overlap: true` (`overlap_conflict`).',
  pause: 'Pause a running experiment.',
  stop: 'Stop a running or paused experiment.',
  conclude: 'Conclude a stopped experiment; optional body `{"conclusion": "...", "shippedVariant": "..."}`.',
} as const;

const summaries = {
  start: 'Start a draft experiment or resume a paused one',
  pause: 'Pause a running experiment',
  stop: 'Stop a running or paused experiment',
  conclude: 'Conclude a stopped experiment, optionally naming the shipped variant',
} as const;

/** `POST /v1/experiments/:key/{start,pause,stop,conclude}`: strategists change the lifecycle. */
export function experimentLifecycleRoutes(services: Services): Route[] {
  return lifecycleActions.map((action) =>
    defineRoute({
      method: 'post',
      path: `/v1/experiments/:key/${action}`,
      tag: 'experiments',
      summary: summaries[action],
      description: descriptions[action],
      access: { via: 'key', roles: ['strategist'] },
      params: keyParams,
      query: versionQuery,
      // No body is the same as an empty one.
      body: (action === 'conclude' ? concludeInputSchema : emptyInputSchema).optional(),
      responses: { 200: experimentSchema },
      errors: [
        'not_found',
        'invalid_transition',
        'version_conflict',
        ...(action === 'start' ? (['precondition_failed', 'overlap_conflict'] as const) : []),
      ],
    }).handle(async ({ actor, params, query, body }) => ({
      status: 200,
      body: await services.experiments.transition(actor, params.key, action, body, query.version),
    })),
  );
}

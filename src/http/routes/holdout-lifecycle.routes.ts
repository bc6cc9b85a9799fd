import { emptyInputSchema } from '../../domain/experiments.service.js';
import { holdoutActions } from '../../domain/holdouts/holdout-lifecycle.js';
import { holdoutConcludeSchema } from '../../domain/holdouts/holdouts.service.js';
import { holdoutSchema } from '../../domain/schemas/holdout.schema.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, type Route } from '../route.js';
import { keyParams, versionQuery } from '../route-params.js';

const summaries = {
  start: 'Start a holdout (its members get the default on every covered touchpoint) or resume it',
  pause: 'Pause a running holdout (its members get nudges again meanwhile)',
  stop: 'Stop a running or paused holdout',
  conclude: 'Conclude a stopped holdout',
} as const;

/** What each action requires and does, beyond its summary. */
const descriptions = {
  start:
    'Start a draft holdout (phase 1) or resume a paused one; a resume keeps the same phase, so the same members are counted.',
  pause: 'Pause a running holdout; its members get nudges again until it is resumed.',
  stop: 'Stop a running or paused holdout.',
  conclude: 'Conclude a stopped holdout; optional body `{"conclusion": "..."}`.',
} as const;

/** `POST /v1/holdouts/:key/{start,pause,stop,conclude}`: strategists change a holdout's lifecycle. */
export function holdoutLifecycleRoutes(services: Services): Route[] {
  return holdoutActions.map((action) =>
    defineRoute({
      method: 'post',
      path: `/v1/holdouts/:key/${action}`,
      tag: 'holdouts',
      summary: summaries[action],
      description: descriptions[action],
      access: { via: 'key', roles: ['strategist'] },
      params: keyParams,
      query: versionQuery,
      // No body is the same as an empty one.
      body: (action === 'conclude' ? holdoutConcludeSchema : emptyInputSchema).optional(),
      responses: { 200: holdoutSchema },
      errors: ['not_found', 'invalid_transition', 'version_conflict'],
    }).handle(async ({ actor, params, query, body }) => ({
      status: 200,
      body: await services.holdouts.transition(actor, params.key, action, body, query.version),
    })),
  );
}

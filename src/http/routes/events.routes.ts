import type { RequestHandler } from 'express';
import { DomainError } from '../../domain/errors.js';
import { eventBatchSchema, eventsResponseSchema } from '../../domain/events/event.schema.js';
import type { Services } from '../../domain/services.js';
import { EVENTS_SHAPE_LIMITS } from '../../domain/shape-limits.js';
import { assertInScope } from '../auth.middleware.js';
import { boundedJson } from '../body.middleware.js';
import { defineRoute, type Route } from '../route.js';

/** A batch of 1,000 events with properties passes the general 1 MB limit, so this route has its own. */
export const EVENTS_BODY_LIMIT = '5mb';

const jsonOnly: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) throw new DomainError('unsupported_media_type');
  next();
};

const inScope: RequestHandler = (req, _res, next) => {
  if (req.actor?.scope) {
    const body = req.body as { events?: unknown } | undefined;
    assertInScope(req.actor, Array.isArray(body?.events) ? body.events : [body ?? {}]);
  }
  next();
};

/**
 * `POST /v1/events`: one event or `{events: [...]}`. The envelope is checked here; each event is
 * judged alone by the capture service, so a bad item (a `$` key, a wrong field) is rejected in the
 * answer and the others are stored. Hence its own parser: its size limit, no batch-wide `$` check.
 */
export function eventsRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/events',
      tag: 'events',
      summary: 'Record outcome events (idempotent by eventId per sending key; up to 1,000 per batch, 5 MB)',
      description:
        'Outcome events (conversions, CSAT, NPS, effort, revenue, metrics); one, or a batch of up to 1,000 (5 MB), idempotent by `eventId`. Each event is judged alone: the answer lists the rejected ones.',
      access: { via: 'key', roles: ['app'] },
      parser: [jsonOnly, boundedJson(EVENTS_BODY_LIMIT, EVENTS_SHAPE_LIMITS)],
      before: [inScope],
      body: eventBatchSchema,
      responses: { 200: eventsResponseSchema },
      // Event ids are namespaced by the key that sends them (the access check set the actor).
    }).handle(async ({ body, actor }) => ({
      status: 200,
      body: await services.capture.events.capture(body, actor?.keyId ?? ''),
    })),
  ];
}

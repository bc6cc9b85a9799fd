import { Router } from 'express';
import { DomainError } from '../../domain/errors.js';
import { eventsRequestSchema, eventsResponseSchema } from '../../domain/events/event.schema.js';
import type { Services } from '../../domain/services.js';
import { EVENTS_SHAPE_LIMITS } from '../../domain/shape-limits.js';
import { assertInScope, requireRole } from '../auth.middleware.js';
import { boundedJson } from '../body.middleware.js';
import { documentRoute } from '../route-docs.js';

/** A batch of 1,000 events with properties passes the general 1 MB limit, so this route has its own. */
export const EVENTS_BODY_LIMIT = '5mb';

/**
 * `POST /v1/events`: one event or `{events: [...]}`. Mounted before the general body parser: the
 * events body has its own size limit, and `$` keys reject only the item that has them.
 */
export function eventsRoutes(services: Services): Router {
  const router = Router();
  documentRoute({
    method: 'post',
    path: '/v1/events',
    tag: 'events',
    summary: 'Record outcome events (idempotent by eventId per sending key; up to 1,000 per batch, 5 MB)',
    roles: ['app'],
    body: eventsRequestSchema,
    response: eventsResponseSchema,
    errors: [
      'validation_failed',
      'payload_too_large',
      'unsupported_media_type',
      'invalid_json',
      'unauthenticated',
      'forbidden',
    ],
  });
  router.post(
    '/v1/events',
    requireRole(services.apiKeys, 'app'),
    (req, _res, next) => {
      if (!req.is('application/json')) throw new DomainError('unsupported_media_type');
      next();
    },
    boundedJson(EVENTS_BODY_LIMIT, EVENTS_SHAPE_LIMITS),
    async (req, res) => {
      if (req.actor?.scope) {
        const body = req.body as { events?: unknown } | undefined;
        assertInScope(req.actor, Array.isArray(body?.events) ? body.events : [body ?? {}]);
      }
      // requireRole ran: an actor is set. Event ids are namespaced by the key that sends them.
      res.json(await services.capture.events.capture(req.body, req.actor?.keyId ?? ''));
    },
  );
  return router;
}

import { type RequestHandler, Router } from 'express';
import {
  assignmentRequestSchema,
  assignmentResponseSchema,
} from '../../domain/assignment/assignment.schema.js';
import type { Services } from '../../domain/services.js';
import { assertInScope, requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

/** `POST /v1/assignments`: which variants a customer gets at one or more touchpoints. */
export function assignmentsRoutes(services: Services, body: RequestHandler): Router {
  const router = Router();
  documentRoute({
    method: 'post',
    path: '/v1/assignments',
    tag: 'assignments',
    summary: 'Assign a customer at touchpoints (deterministic, same answer on every channel)',
    roles: ['app'],
    body: assignmentRequestSchema,
    response: assignmentResponseSchema,
    errors: [
      'validation_failed',
      'invalid_json',
      'payload_too_large',
      'unsupported_media_type',
      'touchpoint_not_found',
      'unauthenticated',
      'forbidden',
      'exposure_log_unavailable',
    ],
  });
  router.post('/v1/assignments', requireRole(services.apiKeys, 'app'), body, async (req, res) => {
    if (req.actor?.scope) assertInScope(req.actor, [req.body ?? {}]);
    res.json(await services.capture.assignments.assign(req.body));
  });
  return router;
}

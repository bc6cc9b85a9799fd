import type { RequestHandler } from 'express';
import {
  assignmentRequestSchema,
  assignmentResponseSchema,
} from '../../domain/assignment/assignment.schema.js';
import { quickAssignmentRequest } from '../../domain/assignment/assignment-request.fast.js';
import type { Services } from '../../domain/services.js';
import { assertInScope } from '../auth.middleware.js';
import { defineRoute, type Route } from '../route.js';

/** A scoped key naming a touchpoint outside its scope is refused before the body is judged. */
const inScope: RequestHandler = (req, _res, next) => {
  if (req.actor?.scope) assertInScope(req.actor, [req.body ?? {}]);
  next();
};

/** `POST /v1/assignments`: which variants a customer gets at one or more touchpoints. */
export function assignmentsRoutes(services: Services): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/assignments',
      tag: 'assignments',
      summary: 'Assign a customer at touchpoints (deterministic, same answer on every channel)',
      description:
        'Which variants a customer gets at one or more touchpoints, with what to show (and `deliverAt` for timing nudges).',
      access: { via: 'key', roles: ['app'] },
      body: assignmentRequestSchema,
      // The hot path: a well-formed request skips the schema walk; anything else gets its errors.
      quickBody: quickAssignmentRequest,
      before: [inScope],
      responses: { 200: assignmentResponseSchema },
      errors: ['touchpoint_not_found', 'exposure_log_unavailable'],
    }).handle(async ({ body }) => ({ status: 200, body: await services.capture.assignments.assign(body) })),
  ];
}

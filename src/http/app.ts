import express, { type Express } from 'express';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { channelSchema, keySchema } from '../domain/schemas/common.schema.js';
import {
  experimentInputSchema,
  experimentSchema,
  experimentStatusSchema,
} from '../domain/schemas/experiment.schema.js';
import { journeyInputSchema, journeySchema } from '../domain/schemas/journey.schema.js';
import { nudgeInputSchema, nudgeSchema, nudgeTypes } from '../domain/schemas/nudge.schema.js';
import { touchpointInputSchema, touchpointSchema } from '../domain/schemas/touchpoint.schema.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../logger.js';
import { jsonBody } from './body.middleware.js';
import { createDashboard, type DashboardOptions } from './dashboard/dashboard.wiring.js';
import { errorMiddleware } from './error.middleware.js';
import { apiRateLimits, type RateLimits, signInRateLimit } from './rate-limit.middleware.js';
import { requestContext } from './request-context.middleware.js';
import { assignmentsRoutes } from './routes/assignments.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { definitionRoutes } from './routes/definition-routes.js';
import { docsRoutes } from './routes/docs.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { experimentLifecycleRoutes } from './routes/experiment-lifecycle.routes.js';
import { featuresRoutes } from './routes/features.routes.js';
import { type EmbeddedDatabaseHealth, healthRoutes } from './routes/health.routes.js';
import { keysRoutes } from './routes/keys.routes.js';
import { metricsRoutes } from './routes/metrics.routes.js';
import { plansRoutes } from './routes/plans.routes.js';
import { readoutsRoutes } from './routes/readouts.routes.js';

export interface SecurityOptions {
  /** Express `trust proxy`: false (the default) takes the client address from the socket. */
  trustProxy?: boolean | number | string;
  /** Request limits; absent, nothing is limited (benchmarks and most tests). */
  rateLimits?: RateLimits;
  /** A bearer token that may read /metrics besides admin keys. */
  metricsToken?: string;
}

export interface AppDeps {
  services: Services;
  logger: Logger;
  bodyLimit: string;
  version: string;
  dashboard?: DashboardOptions;
  /** State of the embedded database this process supervises, if any; `/readyz` reports it. */
  embeddedDatabase?: EmbeddedDatabaseHealth;
  security?: SecurityOptions;
}

/** Builds the HTTP app without listening, so tests run it on port 0 and main.ts owns the process. */
export function createApp({
  services,
  logger,
  bodyLimit,
  version,
  dashboard,
  embeddedDatabase,
  security = {},
}: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Off unless configured: behind no proxy, X-Forwarded-For is whatever the client wrote.
  app.set('trust proxy', security.trustProxy ?? false);
  app.use(requestContext(app, logger));
  if (security.rateLimits) app.use(...apiRateLimits(security.rateLimits));
  // First: the hot path apps call on every page view skips the other routers (own body parser).
  app.use(assignmentsRoutes(services, jsonBody(bodyLimit)));
  app.use(healthRoutes(services, embeddedDatabase, dashboard?.pdf?.health));
  app.use(docsRoutes(version));
  app.use(metricsRoutes(services, security.metricsToken));
  app.use(featuresRoutes(services));
  // Before the general body parser: the dashboard reads its own small form bodies.
  const dash = createDashboard(services, logger, {
    ...dashboard,
    ...(security.rateLimits ? { signInLimit: signInRateLimit(security.rateLimits) } : {}),
  });
  app.use(dash.pages);
  app.use(dash.exports);
  // Before the general body parser: events have their own body limit and per-item `$` checks.
  app.use(eventsRoutes(services));
  app.use(jsonBody(bodyLimit));
  app.use(keysRoutes(services));
  app.use(auditRoutes(services));
  app.use(readoutsRoutes(services));
  app.use(plansRoutes(services));
  app.use(
    definitionRoutes(services.apiKeys, {
      path: '/v1/journeys',
      tag: 'journeys',
      noun: 'journey',
      service: services.journeys,
      input: journeyInputSchema,
      output: journeySchema,
    }),
  );
  app.use(
    definitionRoutes(services.apiKeys, {
      path: '/v1/touchpoints',
      tag: 'touchpoints',
      noun: 'touchpoint',
      service: services.touchpoints,
      input: touchpointInputSchema,
      output: touchpointSchema,
      filters: z.strictObject({
        journey: keySchema.optional(),
        stage: keySchema.optional(),
        channel: channelSchema.optional(),
      }),
    }),
  );
  app.use(
    definitionRoutes(services.apiKeys, {
      path: '/v1/nudges',
      tag: 'nudges',
      noun: 'nudge',
      service: services.nudges,
      input: nudgeInputSchema,
      output: nudgeSchema,
      filters: z.strictObject({ touchpoint: keySchema.optional(), type: z.enum(nudgeTypes).optional() }),
    }),
  );
  app.use(experimentLifecycleRoutes(services));
  app.use(
    definitionRoutes(services.apiKeys, {
      path: '/v1/experiments',
      tag: 'experiments',
      noun: 'experiment',
      service: services.experiments,
      input: experimentInputSchema,
      output: experimentSchema,
      filters: z.strictObject({
        status: experimentStatusSchema.optional(),
        touchpoint: keySchema.optional(),
        nudge: keySchema.optional(),
      }),
    }),
  );
  app.use(() => {
    throw new DomainError('route_not_found');
  });
  app.use(errorMiddleware());
  return app;
}

import express, { type Express, type RequestHandler, Router } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import type { Role } from '../domain/roles.js';
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
import { presentedKey, requireRole } from './auth.middleware.js';
import { jsonBody } from './body.middleware.js';
import { dashboardRouter } from './dashboard/dashboard.routes.js';
import { createDashboard, type DashboardOptions } from './dashboard/dashboard.wiring.js';
import type { PdfHealth } from './dashboard/pdf-printer.js';
import { safeEqual } from './dashboard/session.js';
import { errorMiddleware } from './error.middleware.js';
import { fastLane, LANE } from './fast-lane.js';
import { createMetrics } from './metrics.registry.js';
import { type Guards, mountRoutes, routeChain } from './mount-routes.js';
import { apiRateLimits, type RateLimits, signInRateLimit } from './rate-limit.middleware.js';
import { requestContext } from './request-context.middleware.js';
import type { Route } from './route.js';
import { assignmentsRoutes } from './routes/assignments.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { definitionRoutes } from './routes/definition-routes.js';
import { docsRoutes } from './routes/docs.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { experimentLifecycleRoutes } from './routes/experiment-lifecycle.routes.js';
import { fatiguePoliciesRoutes } from './routes/fatigue-policies.routes.js';
import { fatigueStateRoutes } from './routes/fatigue-state.routes.js';
import { featuresRoutes } from './routes/features.routes.js';
import { type EmbeddedDatabaseHealth, healthRoutes } from './routes/health.routes.js';
import { holdoutLifecycleRoutes } from './routes/holdout-lifecycle.routes.js';
import { holdoutReadoutRoutes } from './routes/holdout-readout.routes.js';
import { holdoutsRoutes } from './routes/holdouts.routes.js';
import { identitiesRoutes } from './routes/identities.routes.js';
import { keysRoutes } from './routes/keys.routes.js';
import { metricsRoutes } from './routes/metrics.routes.js';
import { plansRoutes } from './routes/plans.routes.js';
import { readoutsRoutes } from './routes/readouts.routes.js';
import { templatesRoutes } from './routes/templates.routes.js';

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

/** The routes an app built by `createApp` mounted, in mount order: the one list everything reads. */
export function routesOf(app: Express): readonly Route[] {
  const routes: unknown = app.locals.routes;
  if (!Array.isArray(routes)) throw new Error('this app was not built by createApp');
  return routes as Route[];
}

/** Every API route, in mount order: the assignment hot path first. */
function apiRoutes(
  services: Services,
  version: string,
  embeddedDatabase: EmbeddedDatabaseHealth | undefined,
  registry: Registry,
  all: () => readonly Route[],
  pdfHealth?: () => PdfHealth,
): Route[] {
  return [
    ...assignmentsRoutes(services),
    ...healthRoutes(services, embeddedDatabase, pdfHealth),
    ...docsRoutes(version, all),
    ...metricsRoutes(registry),
    ...featuresRoutes(services),
    ...eventsRoutes(services),
    ...keysRoutes(services),
    ...auditRoutes(services),
    ...readoutsRoutes(services),
    ...plansRoutes(services),
    ...definitionRoutes({
      path: '/v1/journeys',
      tag: 'journeys',
      noun: 'journey',
      service: services.journeys,
      input: journeyInputSchema,
      output: journeySchema,
      rules: {
        write: 'A stage a touchpoint uses cannot be removed (`in_use`).',
        delete: 'A journey with touchpoints cannot be deleted (`in_use`).',
      },
    }),
    ...definitionRoutes({
      path: '/v1/touchpoints',
      tag: 'touchpoints',
      noun: 'touchpoint',
      service: services.touchpoints,
      input: touchpointInputSchema,
      output: touchpointSchema,
      rules: {
        write: 'The journey and stage must exist.',
        delete: 'A touchpoint with nudges cannot be deleted (`in_use`).',
      },
      filters: z.strictObject({
        journey: keySchema.optional(),
        stage: keySchema.optional(),
        channel: channelSchema.optional(),
      }),
    }),
    ...definitionRoutes({
      path: '/v1/nudges',
      tag: 'nudges',
      noun: 'nudge',
      service: services.nudges,
      input: nudgeInputSchema,
      output: nudgeSchema,
      rules: {
        write:
          'The touchpoint must exist; while one of its experiments is running or paused, its touchpoint, type and variants are frozen (`experiment_locked`).',
        delete: 'A nudge used by an experiment cannot be deleted (`in_use`).',
      },
      filters: z.strictObject({ touchpoint: keySchema.optional(), type: z.enum(nudgeTypes).optional() }),
    }),
    ...experimentLifecycleRoutes(services),
    ...definitionRoutes({
      path: '/v1/experiments',
      tag: 'experiments',
      noun: 'experiment',
      service: services.experiments,
      input: experimentInputSchema,
      output: experimentSchema,
      rules: {
        write:
          "New experiments are drafts. The nudge must exist, the variant keys must be the nudge's, the touchpoint is taken from the nudge; while running, variants, weights, nudge, control and unit are frozen and coverage can only grow (`experiment_locked`).",
        delete: 'A running or paused experiment cannot be deleted.',
      },
      filters: z.strictObject({
        status: experimentStatusSchema.optional(),
        touchpoint: keySchema.optional(),
        nudge: keySchema.optional(),
      }),
    }),
    // A nudge programme: holdouts, fatigue caps and templates.
    ...holdoutLifecycleRoutes(services),
    ...holdoutReadoutRoutes(services),
    ...holdoutsRoutes(services),
    ...fatiguePoliciesRoutes(services),
    ...fatigueStateRoutes(services),
    ...templatesRoutes(services),
    ...identitiesRoutes(services),
  ];
}

/** /metrics answers an admin key or, when configured, the metrics token. */
function keyOrToken(key: (roles: readonly Role[]) => RequestHandler, metricsToken?: string) {
  return (roles: readonly Role[]): RequestHandler => {
    const byKey = key(roles);
    return (req, res, next) => {
      const presented = presentedKey(req);
      if (metricsToken && presented && safeEqual(presented, metricsToken)) return next();
      return byKey(req, res, next);
    };
  };
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
  const context = requestContext(logger);
  app.use(context);
  // Before everything that may answer, so rate-limited and unmatched requests are counted too.
  const metrics = createMetrics(services);
  app.use(metrics.middleware);
  const limits = security.rateLimits ? apiRateLimits(security.rateLimits) : [];
  if (limits.length > 0) app.use(...limits);

  const dash = createDashboard(services, logger, {
    ...dashboard,
    ...(security.rateLimits ? { signInLimit: signInRateLimit(security.rateLimits) } : {}),
  });
  const key = (roles: readonly Role[]) => requireRole(services.apiKeys, ...roles);
  const guards: Guards = { key, 'key-or-token': keyOrToken(key, security.metricsToken), ...dash.guards };
  const json = jsonBody(bodyLimit);
  const api = [
    ...apiRoutes(
      services,
      version,
      embeddedDatabase,
      metrics.registry,
      () => routesOf(app),
      dashboard?.pdf ? () => dashboard.pdf!.health() : undefined,
    ),
    ...dash.exports,
  ];
  app.locals.routes = [...api, ...dash.pages];

  const apiRouter = Router();
  mountRoutes(apiRouter, api, { guards, json });
  app.use(apiRouter);
  app.use(
    dashboardRouter(guards.session!, (router) =>
      mountRoutes(router, dash.pages, { guards, json, invalidParams: 'not_found' }),
    ),
  );
  app.use(() => {
    throw new DomainError('route_not_found');
  });
  const onError = errorMiddleware();
  app.use(onError);
  // The assignment route, called on every page view, also runs without the router (see fastLane).
  const hot = api.find((route) => route.method === 'post' && route.path === '/v1/assignments');
  if (hot) {
    const chain = [context, metrics.middleware, ...limits, ...routeChain(hot, { guards, json })];
    app.locals[LANE] = fastLane(hot, chain, onError);
  }
  return app;
}

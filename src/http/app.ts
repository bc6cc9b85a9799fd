import express, { type Express } from 'express';
import { DomainError } from '../domain/errors.js';
import { journeyInputSchema, journeySchema } from '../domain/schemas/journey.schema.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../logger.js';
import { jsonBody } from './body.middleware.js';
import { errorMiddleware } from './error.middleware.js';
import { requestContext } from './request-context.middleware.js';
import { auditRoutes } from './routes/audit.routes.js';
import { definitionRoutes } from './routes/definition-routes.js';
import { docsRoutes } from './routes/docs.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { keysRoutes } from './routes/keys.routes.js';

export interface AppDeps {
  services: Services;
  logger: Logger;
  bodyLimit: string;
  version: string;
}

/** Builds the HTTP app without listening, so tests run it on port 0 and main.ts owns the process. */
export function createApp({ services, logger, bodyLimit, version }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', true);
  app.use(requestContext(logger));
  app.use(healthRoutes(services));
  app.use(docsRoutes(version));
  app.use(jsonBody(bodyLimit));
  app.use(keysRoutes(services));
  app.use(auditRoutes(services));
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
  app.use(() => {
    throw new DomainError('route_not_found');
  });
  app.use(errorMiddleware());
  return app;
}

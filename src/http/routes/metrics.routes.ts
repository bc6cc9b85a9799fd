import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Registry } from 'prom-client';
import type { Services } from '../../domain/services.js';
import { presentedKey, requireRole } from '../auth.middleware.js';
import { safeEqual } from '../dashboard/session.js';
import { documentRoute } from '../route-docs.js';

/**
 * `GET /metrics`: this app's registry in the Prometheus text format (process, request and capture
 * metrics, see metrics.registry.ts). It tells how busy the service is, so it needs an admin key or
 * the configured METRICS_TOKEN.
 */
export function metricsRoutes(services: Services, registry: Registry, metricsToken?: string): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics (process, requests by route, exposure buffer, journal, attribution)',
    produces: 'text/plain',
    roles: [],
  });
  const admin = requireRole(services.apiKeys);
  const allowed = (req: Request, res: Response, next: NextFunction) => {
    const presented = presentedKey(req);
    if (metricsToken && presented && safeEqual(presented, metricsToken)) return next();
    return admin(req, res, next);
  };
  router.get('/metrics', allowed, async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

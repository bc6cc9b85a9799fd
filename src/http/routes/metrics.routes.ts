import type { Registry } from 'prom-client';
import { defineRoute, media, type Route } from '../route.js';

/**
 * `GET /metrics`: this app's registry in the Prometheus text format (process, request and capture
 * metrics, see metrics.registry.ts). It tells how busy the service is, so it needs an admin key or
 * the configured METRICS_TOKEN.
 */
export function metricsRoutes(registry: Registry): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      tag: 'health',
      summary: 'Prometheus metrics (process, requests by route, exposure buffer, journal, attribution)',
      description:
        'Prometheus text: process metrics, request durations and counts by route template, exposure buffer, journal and attribution figures.',
      access: { via: 'key-or-token', roles: [] },
      responses: { 200: media('text/plain', 'Prometheus text format 0.0.4') },
    }).handle(async () => ({ status: 200, type: registry.contentType, body: await registry.metrics() })),
  ];
}

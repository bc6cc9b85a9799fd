import { Router } from 'express';
import { z } from 'zod';
import { alertQuerySchema, alertSchema } from '../../domain/schemas/alert.schema.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { journeySummarySchema, portfolioSchema } from '../../domain/schemas/insights.schema.js';
import { readoutResponseSchema, snapshotSchema } from '../../domain/schemas/snapshot.schema.js';
import type { Services } from '../../domain/services.js';
import { parseOrThrow } from '../../domain/validate.js';
import { requireRole } from '../auth.middleware.js';
import { documentRoute } from '../route-docs.js';

const keyParams = z.object({ key: keySchema });
const viewers = ['viewer', 'strategist'] as const;

const recomputeResultSchema = z.object({
  exposures: z.number().int(),
  events: z.number().int().describe('stored events of the exposed units'),
  unitsRewritten: z.number().int(),
  durationMs: z.number(),
});

/** Readouts, their CSV export, the on-demand refresh, journey summaries, the portfolio and alerts. */
export function readoutsRoutes(services: Services): Router {
  const router = Router();
  const read = requireRole(services.apiKeys, ...viewers);
  const write = requireRole(services.apiKeys, 'strategist');

  documentRoute({
    method: 'get',
    path: '/v1/experiments/:key/readout',
    tag: 'readouts',
    summary: 'Latest snapshot of an experiment with its history (evidence over time)',
    roles: viewers,
    params: keyParams,
    response: readoutResponseSchema,
    errors: ['not_found'],
  });
  router.get('/v1/experiments/:key/readout', read, async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    res.setHeader('Cache-Control', 'no-store').json(await services.readouts.readout(key));
  });

  documentRoute({
    method: 'get',
    path: '/v1/experiments/:key/readout.csv',
    tag: 'readouts',
    summary: 'Latest readout as CSV, one row per metric and variant',
    roles: viewers,
    params: keyParams,
    produces: 'text/csv',
    errors: ['not_found'],
  });
  router.get('/v1/experiments/:key/readout.csv', read, async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    const csv = await services.readouts.csv(key);
    res
      .status(200)
      .setHeader('Content-Type', 'text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="${key}-readout.csv"`)
      .setHeader('Cache-Control', 'no-store')
      .send(csv);
  });

  documentRoute({
    method: 'post',
    path: '/v1/experiments/:key/refresh',
    tag: 'readouts',
    summary: 'Recompute the snapshot of one experiment now',
    roles: ['strategist'],
    params: keyParams,
    response: snapshotSchema,
    errors: ['not_found', 'not_started', 'refresh_in_progress', 'refresh_failed'],
  });
  router.post('/v1/experiments/:key/refresh', write, async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    res.json(await services.refresh.refresh(key, 'manual'));
  });

  documentRoute({
    method: 'post',
    path: '/v1/experiments/:key/recompute',
    tag: 'readouts',
    summary: "Rebuild the current phase's readout sums from the stored exposures and events",
    roles: ['strategist'],
    params: keyParams,
    response: recomputeResultSchema,
    errors: ['not_found', 'not_started', 'attribution_busy'],
  });
  router.post('/v1/experiments/:key/recompute', write, async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    res.json(await services.recompute(key));
  });

  documentRoute({
    method: 'get',
    path: '/v1/journeys/:key/summary',
    tag: 'readouts',
    summary: "Every touchpoint of a journey with its experiments' latest decisions and lifts",
    roles: viewers,
    params: keyParams,
    response: journeySummarySchema,
    errors: ['not_found'],
  });
  router.get('/v1/journeys/:key/summary', read, async (req, res) => {
    const { key } = parseOrThrow(keyParams, req.params);
    res.json(await services.readouts.journeySummary(key));
  });

  documentRoute({
    method: 'get',
    path: '/v1/portfolio',
    tag: 'readouts',
    summary: 'Touchpoints, nudge types and channels ranked by measured effect on satisfaction and conversion',
    roles: viewers,
    response: portfolioSchema,
  });
  router.get('/v1/portfolio', read, async (_req, res) => {
    res.json(await services.readouts.portfolio());
  });

  documentRoute({
    method: 'get',
    path: '/v1/alerts',
    tag: 'alerts',
    summary: 'Alerts: sample-ratio mismatch, guardrail harm, decision reached, refresh failing',
    roles: viewers,
    query: alertQuerySchema,
    response: z.object({ items: z.array(alertSchema) }),
  });
  router.get('/v1/alerts', read, async (req, res) => {
    const query = parseOrThrow(alertQuerySchema, req.query);
    res.json({ items: await services.alerts.list(query) });
  });

  return router;
}

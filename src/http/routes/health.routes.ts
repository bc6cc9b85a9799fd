import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../domain/services.js';
import { documentRoute } from '../route-docs.js';

const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.unknown()).optional(),
});

/** `/healthz`: the process is alive. `/readyz`: the database answers and the exposure journal has room (503 otherwise). */
export function healthRoutes(services: Services): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/healthz',
    tag: 'health',
    summary: 'The process is alive',
    response: healthSchema,
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  documentRoute({
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'The database is reachable',
    response: healthSchema,
    errors: ['database_unavailable'],
  });
  router.get('/readyz', async (_req, res) => {
    const database = await services.databaseReady();
    // A full exposure journal means answered exposures may be lost: take the instance out of rotation.
    const exposures = services.capture.exposures.stats();
    const journal = {
      ok: !exposures.journalFull,
      bytes: exposures.journalBytes,
      maxBytes: exposures.journalMaxBytes,
    };
    const ok = database && journal.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database, journal } });
  });
  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../domain/services.js';
import type { PdfHealth } from '../dashboard/pdf-printer.js';
import { documentRoute } from '../route-docs.js';

const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  checks: z.record(z.string(), z.unknown()).optional(),
});

/** A probe that hangs (a server that stopped answering) is a not-ready answer, not a hung probe. */
const READY_PING_MS = 2000;

function answersWithin(ping: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([ping, late]).finally(() => clearTimeout(timer));
}

/** What the supervisor of an embedded database reports (see `src/db/embedded-supervisor.ts`). */
export type EmbeddedDatabaseHealth = () => {
  ready: boolean;
  state: string;
  reason?: string;
  restarts: number;
};

/**
 * `/healthz`: the process is alive. `/readyz`: the database answers, the embedded database (when
 * this process supervises one) is up, and the exposure journal has room (503 otherwise).
 */
export function healthRoutes(
  services: Services,
  embeddedDatabase?: EmbeddedDatabaseHealth,
  pdf?: () => PdfHealth,
): Router {
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
    const embedded = embeddedDatabase?.();
    // A server known to be down is reported at once, not after the driver's selection timeout.
    const database =
      embedded?.ready === false ? false : await answersWithin(services.databaseReady(), READY_PING_MS);
    // A full exposure journal means answered exposures may be lost: take the instance out of rotation.
    const exposures = services.capture.exposures.stats();
    const journal = {
      ok: !exposures.journalFull,
      bytes: exposures.journalBytes,
      maxBytes: exposures.journalMaxBytes,
    };
    const ok = database && journal.ok;
    // PDF exports are an extra: without a browser the instance still serves, so it is degraded.
    const printer = pdf?.();
    const degraded = ok && printer?.ok === false;
    res.status(ok ? 200 : 503).json({
      status: ok ? (degraded ? 'degraded' : 'ok') : 'unavailable',
      checks: {
        database,
        journal,
        ...(embedded ? { embeddedDatabase: embedded } : {}),
        ...(printer ? { pdf: printer } : {}),
      },
    });
  });
  return router;
}

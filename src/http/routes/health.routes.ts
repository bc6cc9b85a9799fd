import { z } from 'zod';
import type { Services } from '../../domain/services.js';
import type { PdfHealth } from '../dashboard/pdf-printer.js';
import { defineRoute, type Route } from '../route.js';

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
): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      tag: 'health',
      summary: 'The process is alive',
      access: { via: 'none' },
      responses: { 200: healthSchema },
    }).handle(() => ({ status: 200, body: { status: 'ok' } })),
    defineRoute({
      method: 'get',
      path: '/readyz',
      tag: 'health',
      summary: 'The database is reachable',
      description:
        'The database answers within 2 s, the embedded database (when this process started it) is up, and the exposure journal is not full (503 otherwise, with the reason in `checks`). Without a browser for PDF exports the instance still serves: 200 with status `degraded`.',
      access: { via: 'none' },
      responses: { 200: healthSchema, 503: healthSchema },
    }).handle(async () => {
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
      return {
        status: ok ? 200 : 503,
        body: {
          status: ok ? (degraded ? 'degraded' : 'ok') : 'unavailable',
          checks: {
            database,
            journal,
            ...(embedded ? { embeddedDatabase: embedded } : {}),
            ...(printer ? { pdf: printer } : {}),
          },
        },
      };
    }),
  ];
}

import type { RequestHandler, Router } from 'express';
import type { Services } from '../../domain/services.js';
import type { Logger } from '../../logger.js';
import { readoutPdfRoutes } from '../routes/readout-pdf.routes.js';
import { dashboardRoutes } from './dashboard.routes.js';
import { ActiveKeys } from './dashboard-auth.js';
import { createPdfPrinter, type PdfPrinter } from './pdf-printer.js';
import { SessionCodec } from './session.js';

export interface DashboardOptions {
  /** HMAC key for session tokens (SESSION_SECRET); random per process when unset. */
  sessionSecret?: string;
  sessionTtlMinutes?: number;
  /** The Chromium printer for PDF exports; main.ts owns it so shutdown can close the browser. */
  pdf?: PdfPrinter;
  /** Limits failed sign-ins; none when absent. */
  signInLimit?: RequestHandler;
}

/** The dashboard pages (mounted before the JSON body parser) and the PDF export route. */
export function createDashboard(
  services: Services,
  logger: Logger,
  opts: DashboardOptions = {},
): { pages: Router; exports: Router; sessions: SessionCodec } {
  const sessions = new SessionCodec({
    ...(opts.sessionSecret ? { secret: opts.sessionSecret } : {}),
    ttlMinutes: opts.sessionTtlMinutes ?? 480,
  });
  const active = new ActiveKeys(services.apiKeys);
  const pdf = opts.pdf ?? createPdfPrinter({ logger });
  const deps = { apiKeys: services.apiKeys, readouts: services.readouts, sessions, active };
  return {
    pages: dashboardRoutes({
      ...deps,
      journeys: services.journeys,
      ...(opts.signInLimit ? { signInLimit: opts.signInLimit } : {}),
    }),
    exports: readoutPdfRoutes({ ...deps, pdf }),
    sessions,
  };
}

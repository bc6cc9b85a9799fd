import type { RequestHandler } from 'express';
import type { Services } from '../../domain/services.js';
import type { Logger } from '../../logger.js';
import type { Guards } from '../mount-routes.js';
import type { Route } from '../route.js';
import { readoutPdfRoutes } from '../routes/readout-pdf.routes.js';
import { dashboardRoutes } from './dashboard.routes.js';
import { ActiveKeys, keyOrSessionGuard } from './dashboard-auth.js';
import { createPdfPrinter, type PdfPrinter } from './pdf-printer.js';
import { programmeRoutes } from './programme.routes.js';
import { SessionCodec } from './session.js';
import { sessionGuard } from './sign-in.routes.js';
import { workspaceRoutes } from './workspace.routes.js';

export interface DashboardOptions {
  /** HMAC key for session tokens (SESSION_SECRET); random per process when unset. */
  sessionSecret?: string;
  sessionTtlMinutes?: number;
  /** The Chromium printer for PDF exports; main.ts owns it so shutdown can close the browser. */
  pdf?: PdfPrinter;
  /** Limits failed sign-ins; none when absent. */
  signInLimit?: RequestHandler;
}

/** The dashboard pages, the PDF export route, and the session checks both use. */
export function createDashboard(
  services: Services,
  logger: Logger,
  opts: DashboardOptions = {},
): { pages: Route[]; exports: Route[]; guards: Guards; sessions: SessionCodec } {
  const sessions = new SessionCodec({
    ...(opts.sessionSecret ? { secret: opts.sessionSecret } : {}),
    ttlMinutes: opts.sessionTtlMinutes ?? 480,
  });
  const active = new ActiveKeys(services.apiKeys);
  const pdf = opts.pdf ?? createPdfPrinter({ logger });
  return {
    pages: [
      ...dashboardRoutes({
        apiKeys: services.apiKeys,
        readouts: services.readouts,
        journeys: services.journeys,
        holdouts: services.holdouts,
        fatigueShare: () => services.fatigueShare(),
        sessions,
        ...(opts.signInLimit ? { signInLimit: opts.signInLimit } : {}),
      }),
      ...workspaceRoutes({ services, sessions }),
      ...programmeRoutes({
        holdouts: services.holdouts,
        holdoutReadout: (key, lang) => services.holdoutReadout(key, lang),
        templates: services.templates,
        touchpoints: services.touchpoints,
        sessions,
      }),
    ],
    exports: readoutPdfRoutes({ readouts: services.readouts, sessions, pdf }),
    guards: {
      session: sessionGuard(sessions, active),
      'key-or-session': keyOrSessionGuard(services.apiKeys, sessions, active),
    },
    sessions,
  };
}

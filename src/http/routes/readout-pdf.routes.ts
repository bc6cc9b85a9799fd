import { type Request, Router } from 'express';
import { z } from 'zod';
import type { ApiKeysService } from '../../domain/api-keys.service.js';
import type { ReadoutsService } from '../../domain/readouts.contract.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { parseOrThrow } from '../../domain/validate.js';
import { type ActiveKeys, requireViewerKeyOrSession } from '../dashboard/dashboard-auth.js';
import type { PdfPrinter } from '../dashboard/pdf-printer.js';
import { SESSION_COOKIE, type SessionCodec } from '../dashboard/session.js';
import { documentRoute } from '../route-docs.js';

const keyParams = z.object({ key: keySchema });

/** The printer's own session lives just long enough to load one page. */
const PRINT_SESSION_MS = 2 * 60_000;

export interface ReadoutPdfDeps {
  apiKeys: ApiKeysService;
  readouts: ReadoutsService;
  sessions: SessionCodec;
  active: ActiveKeys;
  pdf: PdfPrinter;
}

/** Where this server can reach itself: the address and port the request came in on. */
function selfOrigin(req: Request): string {
  let host = req.socket.localAddress ?? '127.0.0.1';
  if (host.startsWith('::ffff:')) host = host.slice(7);
  if (host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${req.socket.localPort}`;
}

export function readoutPdfRoutes(deps: ReadoutPdfDeps): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/v1/experiments/:key/readout.pdf',
    tag: 'readouts',
    summary: 'The experiment readout page printed as a PDF (API key or dashboard session)',
    roles: ['viewer', 'strategist'],
    params: keyParams,
    produces: 'application/pdf',
    errors: ['not_found', 'pdf_busy', 'pdf_unavailable', 'validation_failed'],
  });
  router.get(
    '/v1/experiments/:key/readout.pdf',
    requireViewerKeyOrSession(deps.apiKeys, deps.sessions, deps.active),
    async (req, res) => {
      const { key } = parseOrThrow(keyParams, req.params);
      // Answers not_found as JSON before a browser is involved.
      await deps.readouts.readout(key);
      // Chromium signs in with a short-lived session of the caller's own key, so the page shows
      // exactly what this caller may see and nothing else is shared with the browser.
      // The session is opened when the print has its slot, not while it waits for one.
      const actor = req.actor!;
      const url = `${selfOrigin(req)}/dashboard/experiments/${encodeURIComponent(key)}?print=1`;
      const pdf = await deps.pdf.print(url, () => ({
        name: SESSION_COOKIE,
        value: deps.sessions.open(actor, Date.now(), PRINT_SESSION_MS).token,
      }));
      res
        .status(200)
        .setHeader('Cache-Control', 'no-store')
        .setHeader('Content-Disposition', `attachment; filename="${key}-readout.pdf"`)
        .type('application/pdf')
        .send(pdf);
    },
  );
  return router;
}

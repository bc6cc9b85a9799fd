import type { Request } from 'express';
import type { ReadoutsService } from '../../domain/readouts.contract.js';
import type { PdfPrinter } from '../dashboard/pdf-printer.js';
import { SESSION_COOKIE, type SessionCodec } from '../dashboard/session.js';
import { langQuery, requestLanguage } from '../language.js';
import { defineRoute, media, type Route } from '../route.js';
import { keyParams } from '../route-params.js';

/** The printer's own session lives just long enough to load one page. */
const PRINT_SESSION_MS = 2 * 60_000;

export interface ReadoutPdfDeps {
  readouts: ReadoutsService;
  sessions: SessionCodec;
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

export function readoutPdfRoutes(deps: ReadoutPdfDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/experiments/:key/readout.pdf',
      tag: 'readouts',
      summary: 'The experiment readout page printed as a PDF (API key or dashboard session)',
      // The dashboard's download link sends the session cookie, scripts an API key.
      access: { via: 'key-or-session', roles: ['viewer', 'strategist'] },
      params: keyParams,
      query: langQuery,
      responses: { 200: media('application/pdf', 'The readout page as a PDF') },
      errors: ['not_found', 'pdf_busy', 'pdf_unavailable'],
    }).handle(async ({ params, query, actor, req }) => {
      const { key } = params;
      // The browser has none of the caller's cookies or headers: the page is told the language.
      const lang = requestLanguage(req, query.lang);
      // Answers not_found as JSON before a browser is involved.
      await deps.readouts.readout(key);
      // Chromium signs in with a short-lived session of the caller's own key, so the page shows
      // exactly what this caller may see and nothing else is shared with the browser.
      // The session is opened when the print has its slot, not while it waits for one.
      const url = `${selfOrigin(req)}/dashboard/experiments/${encodeURIComponent(key)}?print=1&lang=${lang}`;
      const pdf = await deps.pdf.print(url, () => ({
        name: SESSION_COOKIE,
        value: deps.sessions.open(actor, Date.now(), PRINT_SESSION_MS).token,
      }));
      return {
        status: 200,
        headers: {
          'Cache-Control': 'no-store',
          'Content-Disposition': `attachment; filename="${key}-readout.pdf"`,
          'Content-Language': lang,
        },
        body: pdf,
      };
    }),
  ];
}

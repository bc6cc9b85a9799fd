import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  Router,
} from 'express';
import { z } from 'zod';
import type { ApiKeysService } from '../../domain/api-keys.service.js';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import type { JourneysService } from '../../domain/journeys.service.js';
import type { ReadoutsService } from '../../domain/readouts.contract.js';
import { keySchema } from '../../domain/schemas/common.schema.js';
import { asClientError } from '../error.middleware.js';
import { type ActiveKeys, currentSession, DASHBOARD_ROLES } from './dashboard-auth.js';
import { experimentBody } from './experiment.page.js';
import { html, type SafeHtml } from './html.js';
import { journeysBody } from './journeys.page.js';
import { CONTENT_SECURITY_POLICY, layout } from './layout.js';
import { portfolioBody } from './portfolio.page.js';
import {
  clearCookie,
  PRE_SESSION_COOKIE,
  readCookie,
  SESSION_COOKIE,
  type Session,
  type SessionCodec,
  safeEqual,
  setCookie,
} from './session.js';
import { signInPage } from './sign-in.page.js';

export interface DashboardDeps {
  apiKeys: ApiKeysService;
  journeys: JourneysService;
  readouts: ReadoutsService;
  sessions: SessionCodec;
  active: ActiveKeys;
  signInLimit?: RequestHandler;
}

declare global {
  namespace Express {
    interface Locals {
      session?: Session;
      csrf?: string;
    }
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
const chartJsPath = path.join(
  path.dirname(createRequire(import.meta.url).resolve('chart.js')),
  'chart.umd.min.js',
);
const assets: ReadonlyMap<string, { file: string; type: string }> = new Map(
  Object.entries({
    'chart.js': { file: chartJsPath, type: 'text/javascript; charset=utf-8' },
    'dashboard.js': {
      file: path.join(here, 'assets', 'dashboard.js'),
      type: 'text/javascript; charset=utf-8',
    },
    'dashboard.css': { file: path.join(here, 'assets', 'dashboard.css'), type: 'text/css; charset=utf-8' },
  }),
);
const assetCache = new Map<string, Buffer>();

const keyParams = z.object({ key: keySchema });
const signInBody = z.object({
  apiKey: z.string().trim().min(1).max(500),
  csrf: z.string().max(200).optional(),
  next: z.string().max(500).optional(),
});

/** Only same-site dashboard paths are followed after sign-in (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    /^\/dashboard(\/[\w./%-]*)?(\?[\w=&%.-]*)?$/.test(next) &&
    !next.includes('//')
    ? next
    : '/dashboard';
}

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  next();
}

function send(res: Response, page: SafeHtml, status = 200) {
  res.status(status).setHeader('Cache-Control', 'no-store').type('html').send(page.value);
}

/**
 * The dashboard: server-rendered pages signed in with an API key. It is mounted before the JSON
 * body parser, parses only its own small form bodies, and answers errors as HTML pages.
 */
export function dashboardRoutes(deps: DashboardDeps): Router {
  const router = Router();
  const { sessions } = deps;
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

  router.use('/dashboard', securityHeaders);

  // People who open the bare address are looking for the dashboard.
  router.get('/', (_req, res) => {
    res.redirect(302, '/dashboard');
  });

  router.get('/dashboard/assets/:name', (req, res) => {
    // A Map, so names such as `__proto__` or `constructor` find nothing.
    const asset = assets.get(String(req.params.name));
    if (!asset) throw new DomainError('route_not_found');
    let body = assetCache.get(asset.file);
    if (!body) {
      body = readFileSync(asset.file);
      assetCache.set(asset.file, body);
    }
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(asset.type).send(body);
  });

  const showSignIn = (
    req: Request,
    res: Response,
    status: number,
    view: { error?: string; notice?: string },
  ) => {
    const formToken = randomBytes(18).toString('base64url');
    setCookie(req, res, PRE_SESSION_COOKIE, formToken, 30 * 60_000);
    send(res, signInPage({ formToken, next: safeNext(req.query.next ?? req.body?.next), ...view }), status);
  };

  router.get('/dashboard/sign-in', (req, res) => {
    showSignIn(req, res, 200, req.query.signedOut === '1' ? { notice: 'You are signed out.' } : {});
  });

  const signInLimit: RequestHandler = deps.signInLimit ?? ((_req, _res, next) => next());
  router.post('/dashboard/sign-in', signInLimit, form, async (req, res) => {
    const parsed = signInBody.safeParse(req.body ?? {});
    const expected = readCookie(req, PRE_SESSION_COOKIE);
    if (!expected || !parsed.success || !parsed.data.csrf || !safeEqual(parsed.data.csrf, expected)) {
      showSignIn(req, res, 403, {
        error: parsed.success
          ? 'The sign-in form expired or did not come from this site. Please try again.'
          : 'Paste an API key to sign in.',
      });
      return;
    }
    const actor = await deps.apiKeys.authenticate(parsed.data.apiKey);
    if (!actor) {
      showSignIn(req, res, 401, { error: 'This API key is unknown or revoked.' });
      return;
    }
    if (!DASHBOARD_ROLES.includes(actor.role)) {
      showSignIn(req, res, 403, {
        error: `An ${actor.role} key cannot open the dashboard; sign in with a viewer, strategist or admin key.`,
      });
      return;
    }
    const { token } = sessions.open(actor);
    clearCookie(req, res, PRE_SESSION_COOKIE);
    setCookie(req, res, SESSION_COOKIE, token, sessions.ttlMs);
    req.log.info({ key: actor.name, role: actor.role }, 'dashboard sign-in');
    res.redirect(303, safeNext(parsed.data.next));
  });

  // Everything below needs a session.
  router.use('/dashboard', async (req, res, next) => {
    const session = await currentSession(req, sessions, deps.active);
    if (!session) {
      if (req.method === 'GET') {
        res.redirect(303, `/dashboard/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      } else {
        showSignIn(req, res, 401, { error: 'Your session has ended. Please sign in again.' });
      }
      return;
    }
    res.locals.session = session;
    res.locals.csrf = sessions.csrfToken(session);
    next();
  });

  router.post('/dashboard/sign-out', form, (req, res) => {
    const session = res.locals.session!;
    if (!sessions.checkCsrf(session, req.body?.csrf)) {
      throw new DomainError('forbidden', 'The form is missing its CSRF token or the token is wrong.');
    }
    // The token stays valid until it expires unless ended here: a copy of the cookie must not work.
    sessions.end(session);
    clearCookie(req, res, SESSION_COOKIE);
    res.redirect(303, '/dashboard/sign-in?signedOut=1');
  });

  const signedIn = (res: Response) => ({ session: res.locals.session!, csrf: res.locals.csrf! });

  router.get('/dashboard', async (_req, res) => {
    const journeys = await deps.journeys.list();
    const summaries = await Promise.all(journeys.map((j) => deps.readouts.journeySummary(j.key)));
    send(
      res,
      layout({
        title: 'Journeys',
        body: journeysBody(summaries, 'Journeys'),
        session: signedIn(res),
        active: 'journeys',
      }),
    );
  });

  router.get('/dashboard/journeys/:key', async (req, res) => {
    const { key } = parseKey(req);
    const summary = await deps.readouts.journeySummary(key);
    send(
      res,
      layout({
        title: summary.journey.name,
        body: journeysBody([summary], summary.journey.name),
        session: signedIn(res),
        active: 'journeys',
      }),
    );
  });

  router.get('/dashboard/experiments/:key', async (req, res) => {
    const { key } = parseKey(req);
    const view = await deps.readouts.readout(key);
    const printing = req.query.print === '1';
    send(
      res,
      layout({
        title: view.experiment.name,
        body: experimentBody(view, { printing }),
        session: signedIn(res),
        active: 'experiment',
        charts: true,
        printing,
      }),
    );
  });

  router.get('/dashboard/experiments/:key/readout.csv', async (req, res) => {
    const { key } = parseKey(req);
    const csv = await deps.readouts.csv(key);
    res
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Content-Disposition', `attachment; filename="${key}-readout.csv"`)
      .type('text/csv; charset=utf-8')
      .send(csv);
  });

  router.get('/dashboard/portfolio', async (_req, res) => {
    const portfolio = await deps.readouts.portfolio();
    send(
      res,
      layout({
        title: 'Portfolio',
        body: portfolioBody(portfolio),
        session: signedIn(res),
        active: 'portfolio',
        charts: true,
      }),
    );
  });

  router.use('/dashboard', (_req, _res) => {
    throw new DomainError('route_not_found', 'No such dashboard page.');
  });

  router.use('/dashboard', (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = asClientError(err);
    if (!known) req.log.error({ err }, 'dashboard page failed');
    const status = known ? errorCatalogue[known.code].status : 500;
    const message = known ? known.message : `Something went wrong on our side (request ${req.id}).`;
    const body = html`<h1>${status === 404 ? 'Not found' : 'Sorry'}</h1>
<p class="alert error" data-testid="error-message">${message}</p>
<p><a href="/dashboard">Back to the journeys</a></p>`;
    const session = res.locals.session;
    send(res, layout({ title: 'Error', body, ...(session ? { session: signedIn(res) } : {}) }), status);
  });

  return router;
}

function parseKey(req: Request): { key: string } {
  const parsed = keyParams.safeParse(req.params);
  if (!parsed.success) throw new DomainError('not_found', 'No such key.');
  return parsed.data;
}

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
import { hasRole, type Role } from '../../domain/roles.js';
import { asClientError } from '../error.middleware.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { keyParams } from '../route-params.js';
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

const noStore = { 'Cache-Control': 'no-store' } as const;

function send(res: Response, page: SafeHtml, status = 200) {
  res.status(status).set(noStore).type('html').send(page.value);
}

/** A page as a route's reply. */
function pageReply<S extends number>(page: SafeHtml, status: S) {
  return { status, headers: noStore, body: page.value };
}

/**
 * What the sign-in form may carry. Loose on purpose: a form that fails the stricter check is
 * answered with the sign-in page and a message, not an error page.
 */
const signInForm = z.object({
  apiKey: z.string().optional(),
  csrf: z.string().optional(),
  next: z.string().optional(),
});

const html200 = media('text/html', 'The page');
const sessionRoles = { via: 'session', roles: ['viewer', 'strategist'] } as const;
const open = { via: 'none' } as const;

function showSignIn<S extends number>(
  req: Request,
  res: Response,
  status: S,
  view: { error?: string; notice?: string },
) {
  const formToken = randomBytes(18).toString('base64url');
  setCookie(req, res, PRE_SESSION_COOKIE, formToken, 30 * 60_000);
  return pageReply(
    signInPage({ formToken, next: safeNext(req.query.next ?? req.body?.next), ...view }),
    status,
  );
}

/**
 * The dashboard's session check: a valid session of one of the roles, else the way back to the
 * sign-in page (a redirect for a page view, the page itself for a form).
 */
export function sessionGuard(sessions: SessionCodec, active: ActiveKeys) {
  return (roles: readonly Role[]): RequestHandler =>
    async (req, res, next) => {
      const session = await currentSession(req, sessions, active);
      if (!session) {
        if (req.method === 'GET') {
          res.redirect(303, `/dashboard/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
        } else {
          const page = showSignIn(req, res, 401, { error: 'Your session has ended. Please sign in again.' });
          res.status(page.status).set(page.headers).type('html').send(page.body);
        }
        return;
      }
      if (!hasRole({ keyId: session.keyId, name: session.name, role: session.role }, roles)) {
        throw new DomainError('forbidden', `A ${session.role} session cannot open this page.`);
      }
      res.locals.session = session;
      res.locals.csrf = sessions.csrfToken(session);
      next();
    };
}

/**
 * The dashboard: server-rendered pages signed in with an API key. Its routes parse only their own
 * small form bodies.
 */
export function dashboardRoutes(deps: DashboardDeps): Route[] {
  const { sessions } = deps;
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });
  const signInLimit: RequestHandler = deps.signInLimit ?? ((_req, _res, next) => next());
  const signedIn = (res: Response) => ({ session: res.locals.session!, csrf: res.locals.csrf! });

  return [
    defineRoute({
      method: 'get',
      path: '/',
      tag: 'dashboard',
      // People who open the bare address are looking for the dashboard.
      summary: 'Redirects to the dashboard',
      access: open,
      responses: { 302: redirect('To /dashboard') },
      hidden: true,
    }).handle(() => ({ status: 302, location: '/dashboard' })),
    defineRoute({
      method: 'get',
      path: '/dashboard/assets/:name',
      tag: 'dashboard',
      summary: 'Dashboard scripts, styles and Chart.js',
      access: open,
      params: z.object({ name: z.string().max(40) }),
      responses: { 200: media('text/javascript', 'A script or a style sheet') },
      errors: ['route_not_found'],
      hidden: true,
    }).handle(({ params }) => {
      // A Map, so names such as `__proto__` or `constructor` find nothing.
      const asset = assets.get(params.name);
      if (!asset) throw new DomainError('route_not_found');
      let body = assetCache.get(asset.file);
      if (!body) {
        body = readFileSync(asset.file);
        assetCache.set(asset.file, body);
      }
      return { status: 200, type: asset.type, headers: { 'Cache-Control': 'public, max-age=3600' }, body };
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/sign-in',
      tag: 'dashboard',
      summary: 'The sign-in page',
      access: open,
      query: z.object({ next: z.string().max(500).optional(), signedOut: z.literal('1').optional() }),
      responses: { 200: html200 },
      hidden: true,
    }).handle(({ req, res, query }) =>
      showSignIn(req, res, 200, query.signedOut === '1' ? { notice: 'You are signed out.' } : {}),
    ),
    defineRoute({
      method: 'post',
      path: '/dashboard/sign-in',
      tag: 'dashboard',
      summary: 'Signs in with an API key and opens a session',
      access: open,
      parser: [signInLimit, form],
      body: signInForm,
      responses: {
        303: redirect('Signed in: to the page asked for'),
        401: media('text/html', 'The sign-in page: unknown or revoked key'),
        403: media('text/html', 'The sign-in page: expired form or a role that may not sign in'),
      },
      hidden: true,
    }).handle(async ({ req, res }) => {
      const parsed = signInBody.safeParse(req.body ?? {});
      const expected = readCookie(req, PRE_SESSION_COOKIE);
      if (!expected || !parsed.success || !parsed.data.csrf || !safeEqual(parsed.data.csrf, expected)) {
        return showSignIn(req, res, 403, {
          error: parsed.success
            ? 'The sign-in form expired or did not come from this site. Please try again.'
            : 'Paste an API key to sign in.',
        });
      }
      const actor = await deps.apiKeys.authenticate(parsed.data.apiKey);
      if (!actor) return showSignIn(req, res, 401, { error: 'This API key is unknown or revoked.' });
      if (!DASHBOARD_ROLES.includes(actor.role)) {
        return showSignIn(req, res, 403, {
          error: `An ${actor.role} key cannot open the dashboard; sign in with a viewer, strategist or admin key.`,
        });
      }
      const { token } = sessions.open(actor);
      clearCookie(req, res, PRE_SESSION_COOKIE);
      setCookie(req, res, SESSION_COOKIE, token, sessions.ttlMs);
      req.log.info({ key: actor.name, role: actor.role }, 'dashboard sign-in');
      return { status: 303, location: safeNext(parsed.data.next) };
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/sign-out',
      tag: 'dashboard',
      summary: 'Ends the session',
      access: sessionRoles,
      parser: [form],
      body: z.object({ csrf: z.string().optional() }),
      responses: { 303: redirect('Signed out: to the sign-in page') },
      hidden: true,
    }).handle(({ req, res, body }) => {
      const session = res.locals.session!;
      if (!sessions.checkCsrf(session, body.csrf)) {
        throw new DomainError('forbidden', 'The form is missing its CSRF token or the token is wrong.');
      }
      // The token stays valid until it expires unless ended here: a copy of the cookie must not work.
      sessions.end(session);
      clearCookie(req, res, SESSION_COOKIE);
      return { status: 303, location: '/dashboard/sign-in?signedOut=1' };
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard',
      tag: 'dashboard',
      summary: 'Journeys, each as a map of its touchpoints and their nudges',
      access: sessionRoles,
      responses: { 200: html200 },
      hidden: true,
    }).handle(async ({ res }) => {
      const journeys = await deps.journeys.list();
      const summaries = await Promise.all(journeys.map((j) => deps.readouts.journeySummary(j.key)));
      const body = journeysBody(summaries, 'Journeys');
      return pageReply(layout({ title: 'Journeys', body, session: signedIn(res), active: 'journeys' }), 200);
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/journeys/:key',
      tag: 'dashboard',
      summary: 'One journey as a map',
      access: sessionRoles,
      params: keyParams,
      responses: { 200: html200 },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params }) => {
      const summary = await deps.readouts.journeySummary(params.key);
      const title = summary.journey.name;
      const body = journeysBody([summary], title);
      return pageReply(layout({ title, body, session: signedIn(res), active: 'journeys' }), 200);
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/experiments/:key',
      tag: 'dashboard',
      summary: 'One experiment: decision, traffic, metrics, guardrails, history, segments',
      access: sessionRoles,
      params: keyParams,
      query: z.object({ print: z.literal('1').optional() }),
      responses: { 200: html200 },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params, query }) => {
      const view = await deps.readouts.readout(params.key);
      const printing = query.print === '1';
      const page = layout({
        title: view.experiment.name,
        body: experimentBody(view, { printing }),
        session: signedIn(res),
        active: 'experiment',
        charts: true,
        printing,
      });
      return pageReply(page, 200);
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/experiments/:key/readout.csv',
      tag: 'dashboard',
      summary: 'The readout as CSV, for the download link',
      access: sessionRoles,
      params: keyParams,
      responses: { 200: media('text/csv', 'One row per metric and variant') },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ params }) => ({
      status: 200,
      type: 'text/csv; charset=utf-8',
      headers: {
        'Cache-Control': 'no-store',
        'Content-Disposition': `attachment; filename="${params.key}-readout.csv"`,
      },
      body: await deps.readouts.csv(params.key),
    })),
    defineRoute({
      method: 'get',
      path: '/dashboard/portfolio',
      tag: 'dashboard',
      summary: 'Nudge types, touchpoints and channels ranked by measured effect',
      access: sessionRoles,
      responses: { 200: html200 },
      hidden: true,
    }).handle(async ({ res }) => {
      const portfolio = await deps.readouts.portfolio();
      const page = layout({
        title: 'Portfolio',
        body: portfolioBody(portfolio),
        session: signedIn(res),
        active: 'portfolio',
        charts: true,
      });
      return pageReply(page, 200);
    }),
  ];
}

/**
 * The dashboard's router: its security headers, its routes (mounted by `mount`), and its own
 * not-found and error pages, answered as HTML.
 */
export function dashboardRouter(
  guard: (roles: readonly Role[]) => RequestHandler,
  mount: (router: Router) => void,
): Router {
  const router = Router();
  router.use('/dashboard', securityHeaders);
  mount(router);
  // Signed out, an unknown page leads to the sign-in page as a known one does.
  router.use('/dashboard', guard(DASHBOARD_ROLES), (_req, _res) => {
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
    send(
      res,
      layout({ title: 'Error', body, ...(session ? { session: { session, csrf: res.locals.csrf! } } : {}) }),
      status,
    );
  });
  return router;
}

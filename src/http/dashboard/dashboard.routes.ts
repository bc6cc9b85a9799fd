import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { ApiKeysService } from '../../domain/api-keys.service.js';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import type { FatigueShare } from '../../domain/fatigue/fatigue-share.js';
import type { HoldoutsService } from '../../domain/holdouts/holdouts.service.js';
import type { JourneysService } from '../../domain/journeys.service.js';
import type { ReadoutsService } from '../../domain/readouts.contract.js';
import { hasRole, type Role } from '../../domain/roles.js';
import { languageOf } from '../../i18n/index.js';
import { asClientError } from '../error.middleware.js';
import { LANG_COOKIE, langParam, langQuery, rawLang, requestI18n } from '../language.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { keyParams } from '../route-params.js';
import { DASHBOARD_ROLES } from './dashboard-auth.js';
import { experimentBody } from './experiment.page.js';
import { fatigueSection } from './fatigue.section.js';
import { html, type SafeHtml } from './html.js';
import { stageTouchpointForm } from './journey-form.page.js';
import { journeysBody, type MapEditing } from './journeys.page.js';
import { CONTENT_SECURITY_POLICY, layout } from './layout.js';
import { noStore, pageReply } from './page-reply.js';
import { portfolioBody } from './portfolio.page.js';
import type { Session, SessionCodec } from './session.js';
import { safeNext, signInRoutes } from './sign-in.routes.js';

export interface DashboardDeps {
  apiKeys: ApiKeysService;
  journeys: JourneysService;
  readouts: ReadoutsService;
  /** Holdouts on the journey maps. */
  holdouts: Pick<HoldoutsService, 'list'>;
  /** Share of customers at a fatigue cap per journey and channel, for the portfolio. */
  fatigueShare: () => Promise<FatigueShare>;
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

function send(res: Response, page: SafeHtml, status = 200) {
  res.status(status).set(noStore).type('html').send(page.value);
}

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  next();
}

const html200 = media('text/html', 'The page');

/** This page's path and query, without `lang` (the picker puts its own choice in place of it). */
function pageHere(req: Request): string {
  return withoutLang(req.originalUrl) ?? '/dashboard';
}

function withoutLang(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const [path = '', query = ''] = url.split('?');
  const params = new URLSearchParams(query);
  params.delete('lang');
  const rest = params.toString();
  return rest ? `${path}?${rest}` : path;
}
const sessionRoles = { via: 'session', roles: ['viewer', 'strategist'] } as const;
const open = { via: 'none' } as const;

/**
 * The dashboard: server-rendered pages signed in with an API key (its sign-in routes parse their
 * own small form bodies).
 */
export function dashboardRoutes(deps: DashboardDeps): Route[] {
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
    ...signInRoutes(deps),
    defineRoute({
      method: 'get',
      path: '/dashboard/language',
      tag: 'dashboard',
      summary: "Saves the reader's language for this browser session and goes back to the page",
      // A link, not a form, so the picker works without JavaScript and before sign-in. It sets
      // only how pages are worded, nothing stored on the server, so a forged link can do no more
      // than a ?lang= link does.
      access: open,
      query: z.object({ set: langParam, next: z.string().max(500).optional() }),
      responses: { 303: redirect('Back to the page, now in that language') },
      hidden: true,
    }).handle(({ req, res, query }) => {
      const lang = languageOf(query.set);
      if (lang) {
        res.cookie(LANG_COOKIE, lang, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
      } else res.clearCookie(LANG_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
      return { status: 303, location: safeNext(withoutLang(query.next)) };
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard',
      tag: 'dashboard',
      summary: 'Journeys, each as a map of its touchpoints and their nudges',
      access: sessionRoles,
      query: langQuery,
      responses: { 200: html200 },
      hidden: true,
    }).handle(async ({ req, res, query }) => {
      const i18n = requestI18n(req, query.lang);
      const journeys = await deps.journeys.list();
      const summaries = await Promise.all(journeys.map((j) => deps.readouts.journeySummary(j.key)));
      const title = i18n.t('journeys.title');
      const body = journeysBody(summaries, title, undefined, await deps.holdouts.list(), i18n);
      return pageReply(
        layout({ title, body, session: signedIn(res), active: 'journeys', i18n, here: pageHere(req) }),
        200,
        i18n.lang,
      );
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/journeys/:key',
      tag: 'dashboard',
      summary: 'One journey as a map',
      access: sessionRoles,
      params: keyParams,
      query: langQuery,
      responses: { 200: html200 },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ req, res, params, query }) => {
      const i18n = requestI18n(req, query.lang);
      const summary = await deps.readouts.journeySummary(params.key);
      const title = summary.journey.name;
      const { session, csrf } = signedIn(res);
      // Strategists edit on the map itself: a touchpoint form per stage, each touchpoint opens.
      const editing: MapEditing | undefined = hasRole(session, ['strategist'])
        ? {
            stage: (journey, stage) => stageTouchpointForm(csrf, journey, stage, i18n),
            touchpoint: (key) =>
              html`<p><a href="/dashboard/edit/touchpoint/${encodeURIComponent(key)}">${i18n.t('journeys.openTouchpoint')}</a></p>`,
          }
        : undefined;
      const body = html`${journeysBody([summary], title, editing, await deps.holdouts.list(), i18n)}
<p><a href="/dashboard/edit/journey/${encodeURIComponent(params.key)}">${i18n.t('journeys.definition')}</a></p>`;
      return pageReply(
        layout({ title, body, session: signedIn(res), active: 'journeys', i18n, here: pageHere(req) }),
        200,
        i18n.lang,
      );
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/experiments/:key',
      tag: 'dashboard',
      summary: 'One experiment: decision, traffic, metrics, guardrails, history, segments',
      access: sessionRoles,
      params: keyParams,
      query: z.object({ print: z.literal('1').optional(), lang: langParam }),
      responses: { 200: html200 },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ req, res, params, query }) => {
      const i18n = requestI18n(req, query.lang);
      const view = await deps.readouts.readout(params.key, i18n.lang);
      const printing = query.print === '1';
      const page = layout({
        title: view.experiment.name,
        body: experimentBody(view, { printing, i18n }),
        session: signedIn(res),
        active: 'experiment',
        charts: true,
        printing,
        i18n,
        here: pageHere(req),
      });
      return pageReply(page, 200, i18n.lang);
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/experiments/:key/readout.csv',
      tag: 'dashboard',
      summary: 'The readout as CSV, for the download link',
      access: sessionRoles,
      params: keyParams,
      query: langQuery,
      responses: { 200: media('text/csv', 'One row per metric and variant') },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ req, params, query }) => {
      const { lang } = requestI18n(req, query.lang);
      return {
        status: 200,
        type: 'text/csv; charset=utf-8',
        headers: {
          'Cache-Control': 'no-store',
          'Content-Disposition': `attachment; filename="${params.key}-readout.csv"`,
          'Content-Language': lang,
        },
        body: await deps.readouts.csv(params.key, lang),
      };
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/portfolio',
      tag: 'dashboard',
      summary:
        'Nudge types, touchpoints and channels with their experiments pooled, each measure in its own unit and its scale stated (CSAT as mean-score points of 1-5)',
      access: sessionRoles,
      query: langQuery,
      responses: { 200: html200 },
      hidden: true,
    }).handle(async ({ req, res, query }) => {
      const i18n = requestI18n(req, query.lang);
      const [portfolio, fatigue] = await Promise.all([deps.readouts.portfolio(), deps.fatigueShare()]);
      const page = layout({
        title: i18n.t('portfolio.title'),
        body: html`${portfolioBody(portfolio, i18n)}${fatigueSection(fatigue, i18n)}`,
        session: signedIn(res),
        active: 'portfolio',
        charts: true,
        i18n,
        here: pageHere(req),
      });
      return pageReply(page, 200, i18n.lang);
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
    const known = asClientError(err, req);
    if (!known) req.log.error({ err }, 'dashboard page failed');
    const i18n = requestI18n(req, rawLang(req));
    const { t } = i18n;
    const status = known ? errorCatalogue[known.code].status : 500;
    // A known error's own message comes from the domain, in English, and names what went wrong.
    const message = known ? known.message : t('error.internal', { requestId: String(req.id) });
    const body = html`<h1>${status === 404 ? t('error.notFound') : t('error.sorry')}</h1>
<p class="alert error" data-testid="error-message">${message}</p>
<p><a href="/dashboard">${t('error.back')}</a></p>`;
    const session = res.locals.session;
    res.setHeader('Content-Language', i18n.lang);
    send(
      res,
      layout({
        title: t('error.title'),
        body,
        i18n,
        ...(session ? { session: { session, csrf: res.locals.csrf! } } : {}),
      }),
      status,
    );
  });
  return router;
}

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
import { asClientError } from '../error.middleware.js';
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
import { signInRoutes } from './sign-in.routes.js';

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
      path: '/dashboard',
      tag: 'dashboard',
      summary: 'Journeys, each as a map of its touchpoints and their nudges',
      access: sessionRoles,
      responses: { 200: html200 },
      hidden: true,
    }).handle(async ({ res }) => {
      const journeys = await deps.journeys.list();
      const summaries = await Promise.all(journeys.map((j) => deps.readouts.journeySummary(j.key)));
      const body = journeysBody(summaries, 'Journeys', undefined, await deps.holdouts.list());
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
      const { session, csrf } = signedIn(res);
      // Strategists edit on the map itself: a touchpoint form per stage, each touchpoint opens.
      const editing: MapEditing | undefined = hasRole(session, ['strategist'])
        ? {
            stage: (journey, stage) => stageTouchpointForm(csrf, journey, stage),
            touchpoint: (key) =>
              html`<p><a href="/dashboard/edit/touchpoint/${encodeURIComponent(key)}">Open touchpoint</a></p>`,
          }
        : undefined;
      const body = html`${journeysBody([summary], title, editing, await deps.holdouts.list())}
<p><a href="/dashboard/edit/journey/${encodeURIComponent(params.key)}">Journey definition and stages</a></p>`;
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
      const [portfolio, fatigue] = await Promise.all([deps.readouts.portfolio(), deps.fatigueShare()]);
      const page = layout({
        title: 'Portfolio',
        body: html`${portfolioBody(portfolio)}${fatigueSection(fatigue)}`,
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

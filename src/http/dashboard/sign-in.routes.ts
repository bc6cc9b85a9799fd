import { randomBytes } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { ApiKeysService } from '../../domain/api-keys.service.js';
import { DomainError } from '../../domain/errors.js';
import { hasRole, type Role } from '../../domain/roles.js';
import type { MessageKey } from '../../i18n/index.js';
import { langParam, rawLang, requestI18n } from '../language.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { type ActiveKeys, currentSession, DASHBOARD_ROLES } from './dashboard-auth.js';
import { pageReply } from './page-reply.js';
import {
  clearCookie,
  PRE_SESSION_COOKIE,
  readCookie,
  SESSION_COOKIE,
  type SessionCodec,
  safeEqual,
  setCookie,
} from './session.js';
import { signInPage } from './sign-in.page.js';

export interface SignInDeps {
  apiKeys: ApiKeysService;
  sessions: SessionCodec;
  signInLimit?: RequestHandler;
}

const signInBody = z.object({
  apiKey: z.string().trim().min(1).max(500),
  csrf: z.string().max(200).optional(),
  next: z.string().max(500).optional(),
});

/** Only same-site dashboard paths are followed after sign-in (no open redirect). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    /^\/dashboard(\/[\w./%-]*)?(\?[\w=&%.-]*)?$/.test(next) &&
    !next.includes('//')
    ? next
    : '/dashboard';
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

const open = { via: 'none' } as const;
const sessionRoles = { via: 'session', roles: ['viewer', 'strategist'] } as const;

function showSignIn<S extends number>(
  req: Request,
  res: Response,
  status: S,
  view: { error?: MessageKey; notice?: MessageKey; role?: string },
) {
  const formToken = randomBytes(18).toString('base64url');
  setCookie(req, res, PRE_SESSION_COOKIE, formToken, 30 * 60_000);
  const i18n = requestI18n(req, rawLang(req));
  const say = (key: MessageKey | undefined) =>
    key ? { text: i18n.t(key, { role: view.role ?? '' }) } : undefined;
  const error = say(view.error);
  const notice = say(view.notice);
  return pageReply(
    signInPage({
      formToken,
      next: safeNext(req.query.next ?? req.body?.next),
      i18n,
      ...(error ? { error: error.text } : {}),
      ...(notice ? { notice: notice.text } : {}),
    }),
    status,
    i18n.lang,
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
          const page = showSignIn(req, res, 401, { error: 'signIn.sessionEnded' });
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

/** Signing in with an API key and out again. */
export function signInRoutes(deps: SignInDeps): Route[] {
  const { sessions } = deps;
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });
  const signInLimit: RequestHandler = deps.signInLimit ?? ((_req, _res, next) => next());
  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/sign-in',
      tag: 'dashboard',
      summary: 'The sign-in page',
      access: open,
      query: z.object({
        next: z.string().max(500).optional(),
        signedOut: z.literal('1').optional(),
        lang: langParam,
      }),
      responses: { 200: media('text/html', 'The sign-in form') },
      hidden: true,
    }).handle(({ req, res, query }) =>
      showSignIn(req, res, 200, query.signedOut === '1' ? { notice: 'signIn.signedOut' } : {}),
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
          error: parsed.success ? 'signIn.formExpired' : 'signIn.pasteKey',
        });
      }
      const actor = await deps.apiKeys.authenticate(parsed.data.apiKey);
      if (!actor) return showSignIn(req, res, 401, { error: 'signIn.unknownKey' });
      if (!DASHBOARD_ROLES.includes(actor.role)) {
        return showSignIn(req, res, 403, { error: 'signIn.roleRefused', role: actor.role });
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
  ];
}

import express, { type Response } from 'express';
import { z } from 'zod';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import type { HoldoutReadout } from '../../domain/holdouts/holdout-readout.js';
import type { HoldoutsService } from '../../domain/holdouts/holdouts.service.js';
import { hasRole } from '../../domain/roles.js';
import { channelSchema, keySchema } from '../../domain/schemas/common.schema.js';
import { nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import type { TemplatesService } from '../../domain/templates/templates.service.js';
import type { TouchpointsService } from '../../domain/touchpoints.service.js';
import type { Lang } from '../../i18n/index.js';
import { langParam, langQuery, rawLang, requestI18n } from '../language.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { keyParams } from '../route-params.js';
import { formBodySchema, formValue } from './form-data.js';
import { holdoutBody } from './holdouts.section.js';
import { layout } from './layout.js';
import { pageReply } from './page-reply.js';
import type { SessionCodec } from './session.js';
import { type CatalogueView, templatesBody } from './templates.page.js';

export interface ProgrammeDeps {
  holdouts: Pick<HoldoutsService, 'get'>;
  holdoutReadout(key: string, lang?: Lang): Promise<HoldoutReadout>;
  templates: Pick<TemplatesService, 'catalogue' | 'instantiate'>;
  touchpoints: Pick<TouchpointsService, 'list'>;
  sessions: SessionCodec;
}

const readers = { via: 'session', roles: ['viewer', 'strategist'] } as const;
const page = media('text/html', 'The page');
/** A filter the form sends as `type=` when "Any" is chosen. */
const anyOr = <T extends z.ZodType>(schema: T) => z.union([schema, z.literal('')]).optional();
const filters = z.strictObject({
  type: anyOr(z.enum(nudgeTypes)),
  channel: anyOr(channelSchema),
  stage: anyOr(keySchema),
  lang: langParam,
});

/** The dashboard's programme pages: a holdout's readout figures and the template catalogue. */
export function programmeRoutes(deps: ProgrammeDeps): Route[] {
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const who = (res: Response) => ({ session: res.locals.session!, csrf: res.locals.csrf! });

  async function catalogue(res: Response, query: z.infer<typeof filters>, message?: string) {
    const { session, csrf } = who(res);
    const { lang: _lang, ...asked } = query;
    const chosen = Object.fromEntries(Object.entries(asked).filter(([, v]) => v)) as CatalogueView['filters'];
    const [all, shown] = await Promise.all([deps.templates.catalogue(), deps.templates.catalogue(chosen)]);
    const canEdit = hasRole(session, ['strategist']);
    const view: CatalogueView = {
      all,
      shown,
      filters: chosen,
      ...(canEdit ? { editing: { csrf, touchpoints: await deps.touchpoints.list() } } : {}),
      ...(message ? { message } : {}),
    };
    // The templates' own texts (names, principles, citations) are the evidence file's, in English.
    const i18n = requestI18n(res.req, rawLang(res.req));
    return layout({
      title: i18n.t('nav.templates'),
      body: templatesBody(view, i18n),
      session: { session, csrf },
      active: 'templates',
      i18n,
      here: res.req.method === 'GET' ? res.req.originalUrl : '/dashboard/templates',
    });
  }

  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/holdouts/:key',
      tag: 'dashboard',
      summary: "A holdout's readout figures: nudged against held-out units on its metrics",
      access: readers,
      params: keyParams,
      query: langQuery,
      responses: { 200: page },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params, query }) => {
      const i18n = requestI18n(res.req, query.lang);
      const holdout = await deps.holdouts.get(params.key);
      let readout: HoldoutReadout | string;
      try {
        readout = await deps.holdoutReadout(params.key, i18n.lang);
      } catch (err) {
        // Not started or no exposures yet: the page says so instead of failing.
        if (!(err instanceof DomainError) || err.code !== 'not_started') throw err;
        // The error's own words are English; another reader gets the same news in theirs.
        readout =
          i18n.lang === 'en'
            ? err.message
            : holdout.phase < 1
              ? i18n.t('holdout.notStarted', { key: holdout.key })
              : i18n.t('holdout.noDataYet');
      }
      const body = holdoutBody(holdout, readout, i18n);
      return pageReply(
        layout({
          title: holdout.name,
          body,
          session: who(res),
          active: 'journeys',
          i18n,
          here: res.req.originalUrl,
        }),
        200,
        i18n.lang,
      );
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/templates',
      tag: 'dashboard',
      summary:
        'The template catalogue, filtered by type, channel and stage; strategists create drafts from it',
      access: readers,
      query: filters,
      responses: { 200: page },
      hidden: true,
    }).handle(async ({ res, query }) =>
      pageReply(await catalogue(res, query), 200, requestI18n(res.req, rawLang(res.req)).lang),
    ),
    defineRoute({
      method: 'post',
      path: '/dashboard/templates/:key/instantiate',
      tag: 'dashboard',
      summary: 'Creates a draft nudge and experiment from a template on the chosen touchpoint',
      description: 'The same service as POST /v1/templates/:key/instantiate.',
      access: { via: 'session', roles: ['strategist'] },
      params: keyParams,
      parser: [form],
      body: formBodySchema,
      responses: {
        303: redirect('Created: to the draft experiment'),
        400: media('text/html', 'The catalogue with the reason'),
        404: media('text/html', 'The catalogue with the reason'),
        409: media('text/html', 'The catalogue with the reason'),
      },
      errors: ['validation_failed', 'not_found', 'conflict'],
      hidden: true,
    }).handle(async ({ res, params, body }) => {
      const { session } = who(res);
      if (!deps.sessions.checkCsrf(session, formValue(body, 'csrf'))) {
        throw new DomainError('forbidden', requestI18n(res.req).t('workspace.form.csrf'));
      }
      const actor = {
        keyId: session.keyId,
        name: session.name,
        role: session.role,
        source: 'dashboard',
      } as const;
      try {
        const made = await deps.templates.instantiate(actor, params.key, {
          touchpoint: formValue(body, 'touchpoint') ?? '',
          owner: (formValue(body, 'owner') ?? '').trim(),
        });
        return {
          status: 303,
          location: `/dashboard/edit/experiment/${encodeURIComponent(made.experiment.key)}`,
        };
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const status = errorCatalogue[err.code].status;
        if (status !== 400 && status !== 404 && status !== 409) throw err;
        const fields =
          (err.details as { fields?: { path: string; reason: string }[] } | undefined)?.fields ?? [];
        const detail = fields.map((f) => `${f.path}: ${f.reason}`).join('; ');
        const refused = requestI18n(res.req).t('templates.instantiate.refused', { key: params.key });
        const message = `${refused} ${err.message}${detail ? ` (${detail})` : ''}`;
        return pageReply(await catalogue(res, {}, message), status as 400 | 404 | 409);
      }
    }),
  ];
}

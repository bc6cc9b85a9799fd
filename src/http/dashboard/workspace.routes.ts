import express from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { lifecycleActions } from '../../domain/experiments/lifecycle.js';
import { planQuerySchema } from '../../domain/planning.service.js';
import { langParam } from '../language.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { type FormBody, formBodySchema, formValue } from './form-data.js';
import type { FormView } from './form-fields.js';
import { withNudgeVariants } from './form-rows.js';
import { pageReply } from './page-reply.js';
import { workspaceList } from './workspace.page.js';
import {
  checkCsrf,
  formPage,
  readerOf,
  type WorkspaceDeps,
  who,
  workspaceLayout,
} from './workspace-context.js';
import { workspaceDeleteRoutes } from './workspace-delete.routes.js';
import { definitionExtras } from './workspace-extras.js';
import { formReplies } from './workspace-forms.js';
import {
  bodyFromForm,
  exportYaml,
  fileManagedRefusal,
  kindSchema,
  serviceOf,
  sourceOf,
  valuesFromStored,
} from './workspace-kinds.js';

export type { WorkspaceDeps } from './workspace-context.js';

const readers = { via: 'session', roles: ['viewer', 'strategist'] } as const;
const editors = { via: 'session', roles: ['strategist'] } as const;
const page = media('text/html', 'The page');
const formPageSpec = (d: string) =>
  media('text/html', `The form again, with ${d} beside the field concerned`);
const editResponses = {
  200: media(
    'text/html',
    'The form again after "add a row", "remove" or "use the nudge\'s variants": nothing stored',
  ),
  303: redirect('Saved: to the saved definition'),
  400: formPageSpec('the validation errors'),
  404: formPageSpec('the reference that does not exist'),
  409: formPageSpec('the rule the change breaks'),
} as const;
const kindKey = z.object({ kind: kindSchema, key: z.string().min(1).max(80) });
const kindOnly = z.object({ kind: kindSchema });

export function workspaceRoutes(deps: WorkspaceDeps): Route[] {
  const { services, sessions } = deps;
  // The forms repeat row fields (variants, metrics, stages), so allow more than the usual few.
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 600 });
  const { nudgeVariants, redraw, refused, intentOrRefusal } = formReplies(services);

  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/workspace',
      tag: 'dashboard',
      summary: 'The workspace: every journey, touchpoint, nudge and experiment, and where each is managed',
      access: readers,
      query: z.object({
        deleted: z.string().max(120).optional().describe('`kind:key` just deleted, to say so'),
        lang: langParam,
      }),
      responses: { 200: page },
      hidden: true,
    }).handle(async ({ res, query }) => {
      const { canEdit } = who(res);
      const lists = {
        journey: await services.journeys.list(),
        touchpoint: await services.touchpoints.list(),
        nudge: await services.nudges.list(),
        experiment: await services.experiments.list(),
      };
      const i = readerOf(res);
      const body = workspaceList(lists, canEdit, query.deleted, i);
      return pageReply(workspaceLayout(res, i.t('nav.workspace'), body), 200, i.lang);
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/new/:kind',
      tag: 'dashboard',
      summary: 'An empty form for a new definition (nudges: one form per nudge type)',
      access: editors,
      params: kindOnly,
      // A new nudge opened from a touchpoint, or an experiment from a nudge, starts filled in with it.
      query: z.object({
        type: z.string().max(40).optional(),
        touchpoint: z.string().max(80).optional(),
        nudge: z.string().max(80).optional(),
        lang: langParam,
      }),
      responses: { 200: page },
      hidden: true,
    }).handle(async ({ res, params, query }) => {
      let values: FormBody = Object.fromEntries(
        (['touchpoint', 'nudge'] as const).flatMap((k) => (query[k] ? [[k, query[k]]] : [])),
      );
      const view: FormView = { values, issues: [], readOnly: false, csrf: who(res).csrf };
      const i = readerOf(res);
      if (params.kind === 'experiment' && query.nudge) {
        const keys = await nudgeVariants(query.nudge, i);
        if (typeof keys !== 'string') {
          values = withNudgeVariants(values, keys);
          view.values = values;
          view.notice = i.t('workspace.fill.fromNudge', { nudge: query.nudge });
        }
      }
      const drawn = await formPage(services, res, params.kind, view, { nudgeType: query.type });
      return pageReply(drawn, 200, i.lang);
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/edit/:kind/:key',
      tag: 'dashboard',
      summary: 'A definition as its form; read-only for viewers and for file-managed definitions',
      access: readers,
      params: kindKey,
      query: planQuerySchema.extend({
        timeZone: z.string().max(80).optional(),
        at: z.string().max(40).optional(),
        lang: langParam,
      }),
      responses: { 200: page },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params, query }) => {
      const { csrf, canEdit } = who(res);
      const i = readerOf(res);
      const stored = await serviceOf(services, params.kind).get(params.key);
      const source = sourceOf(stored);
      const view: FormView = {
        values: valuesFromStored(params.kind, stored),
        issues: [],
        readOnly: !canEdit || source !== undefined,
        csrf,
      };
      const { timeZone, at, lang: _lang, ...plan } = query;
      const extra = await definitionExtras(services, res, params.kind, stored, { timeZone, at, plan });
      const opts = { existing: params.key, nudgeType: String(stored.type ?? ''), source, canEdit };
      return pageReply(
        await formPage(services, res, params.kind, view, { ...opts, ...(extra ? { extra } : {}) }),
        200,
        i.lang,
      );
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/edit/:kind/:key/export.yaml',
      tag: 'dashboard',
      summary: 'A definition as a file for experiments/, which npm run sync finds unchanged',
      access: readers,
      params: kindKey,
      responses: { 200: media('text/plain', 'The definition as YAML') },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ params }) => {
      const stored = await serviceOf(services, params.kind).get(params.key);
      return {
        status: 200,
        type: 'text/yaml; charset=utf-8',
        headers: {
          'Cache-Control': 'no-store',
          'Content-Disposition': `attachment; filename="${params.key}.yaml"`,
        },
        body: exportYaml(params.kind, stored),
      };
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/edit/:kind',
      tag: 'dashboard',
      summary: 'Creates a definition from its form, through the same service as the API',
      description:
        "Creates a definition from its form, through the same service as the API. The form's other buttons (add a row, remove one, use the nudge's variants) draw it again and store nothing.",
      access: editors,
      params: kindOnly,
      parser: [form],
      body: formBodySchema,
      responses: editResponses,
      errors: ['validation_failed', 'conflict', 'not_found'],
      hidden: true,
    }).handle(async ({ res, params, body }) => {
      checkCsrf(sessions, res, body);
      const intent = intentOrRefusal(res, params.kind, body);
      if (intent instanceof DomainError) return refused(res, params.kind, intent, body);
      if (intent) return redraw(res, params.kind, body, intent);
      try {
        const created = await serviceOf(services, params.kind).create(
          who(res).actor,
          bodyFromForm(params.kind, body, readerOf(res)),
        );
        const back = formValue(body, 'from') === 'map' && params.kind === 'touchpoint';
        const journey = formValue(body, 'journey') ?? '';
        return {
          status: 303,
          location: back
            ? `/dashboard/journeys/${encodeURIComponent(journey)}`
            : `/dashboard/edit/${params.kind}/${encodeURIComponent(created.key)}`,
        };
      } catch (err) {
        return refused(res, params.kind, err, body);
      }
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/edit/:kind/:key',
      tag: 'dashboard',
      summary: 'Replaces a definition from its form; file-managed definitions are refused',
      description:
        "Replaces a definition from its form; file-managed definitions are refused. The form's other buttons draw it again and store nothing.",
      access: editors,
      params: kindKey,
      parser: [form],
      body: formBodySchema,
      responses: editResponses,
      errors: [
        'validation_failed',
        'conflict',
        'not_found',
        'experiment_locked',
        'in_use',
        'version_conflict',
      ],
      hidden: true,
    }).handle(async ({ res, params, body }) => {
      checkCsrf(sessions, res, body);
      // A key that does not exist is answered by the save below, as the form's 404.
      const current = await serviceOf(services, params.kind)
        .get(params.key)
        .catch((err: unknown) => {
          if (err instanceof DomainError && err.code === 'not_found') return undefined;
          throw err;
        });
      const source = current && sourceOf(current);
      if (source) throw fileManagedRefusal(params.kind, params.key, source, readerOf(res));
      const intent = intentOrRefusal(res, params.kind, body);
      if (intent instanceof DomainError) return refused(res, params.kind, intent, body, params.key);
      if (intent) return redraw(res, params.kind, body, intent, params.key);
      try {
        const input = { ...bodyFromForm(params.kind, body, readerOf(res)), key: params.key };
        // The version the form was drawn from: a save over someone else's change is refused.
        const version = Number(formValue(body, 'version'));
        const expected = Number.isInteger(version) && version > 0 ? version : undefined;
        await serviceOf(services, params.kind).update(who(res).actor, params.key, input, expected);
        return { status: 303, location: `/dashboard/edit/${params.kind}/${encodeURIComponent(params.key)}` };
      } catch (err) {
        return refused(res, params.kind, err, body, params.key);
      }
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/edit/experiment/:key/lifecycle',
      tag: 'dashboard',
      summary: 'Start, pause, resume, stop or conclude an experiment (file-managed ones too)',
      description: 'Files hold only the initial status; lifecycle changes are made here or through the API.',
      access: editors,
      params: z.object({ key: z.string().min(1).max(80) }),
      parser: [form],
      body: formBodySchema,
      responses: editResponses,
      errors: ['invalid_transition', 'precondition_failed', 'overlap_conflict', 'version_conflict'],
      hidden: true,
    }).handle(async ({ res, params, body }) => {
      checkCsrf(sessions, res, body);
      const action = lifecycleActions.find((a) => a === formValue(body, 'action'));
      if (!action) throw new DomainError('validation_failed', readerOf(res).t('workspace.lifecycle.unknown'));
      const conclude =
        action === 'conclude'
          ? Object.fromEntries(
              (['shippedVariant', 'conclusion'] as const)
                .map((k) => [k, formValue(body, k)?.trim()] as const)
                .filter(([, v]) => v),
            )
          : {};
      const version = Number(formValue(body, 'version'));
      try {
        await services.experiments.transition(
          who(res).actor,
          params.key,
          action,
          conclude,
          Number.isInteger(version) ? version : undefined,
        );
        return { status: 303, location: `/dashboard/edit/experiment/${encodeURIComponent(params.key)}` };
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const stored = await services.experiments.get(params.key);
        return refused(res, 'experiment', err, valuesFromStored('experiment', stored), params.key);
      }
    }),
    ...workspaceDeleteRoutes(deps),
  ];
}

import express, { type Response } from 'express';
import { z } from 'zod';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import { lifecycleActions } from '../../domain/experiments/lifecycle.js';
import { planQuerySchema } from '../../domain/planning.service.js';
import { hasRole } from '../../domain/roles.js';
import type { Experiment } from '../../domain/schemas/experiment.schema.js';
import type { Nudge } from '../../domain/schemas/nudge.schema.js';
import { requestI18n } from '../language.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { experimentLinks, lifecycleForms, planningFigures } from './experiment-form.page.js';
import { fieldIssues, formBodySchema, formValue } from './form-data.js';
import type { FormView } from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { nudgePreview } from './nudge-form.page.js';
import { pageReply } from './page-reply.js';
import type { SessionCodec } from './session.js';
import { touchpointContents, workspaceList } from './workspace.page.js';
import {
  bodyFromForm,
  exportYaml,
  fileManagedKeys,
  fileManagedRefusal,
  isFileManaged,
  type Kind,
  kindSchema,
  nudgeTypeOf,
  renderForm,
  serviceOf,
  valuesFromStored,
  type WorkspaceServices,
} from './workspace-kinds.js';

export interface WorkspaceDeps {
  services: WorkspaceServices;
  sessions: SessionCodec;
}

const readers = { via: 'session', roles: ['viewer', 'strategist'] } as const;
const editors = { via: 'session', roles: ['strategist'] } as const;
const page = media('text/html', 'The page');
const formPage = (d: string) => media('text/html', `The form again, with ${d} beside the field concerned`);
const editResponses = {
  303: redirect('Saved: to the saved definition'),
  400: formPage('the validation errors'),
  404: formPage('the reference that does not exist'),
  409: formPage('the rule the change breaks'),
} as const;
const kindKey = z.object({ kind: kindSchema, key: z.string().min(1).max(80) });
const kindOnly = z.object({ kind: kindSchema });

export function workspaceRoutes(deps: WorkspaceDeps): Route[] {
  const { services, sessions } = deps;
  // The forms repeat row fields (variants, metrics, stages), so allow more than the usual few.
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 600 });

  const who = (res: Response) => {
    const session = res.locals.session!;
    return {
      session,
      csrf: res.locals.csrf!,
      actor: { keyId: session.keyId, name: session.name, role: session.role, source: 'dashboard' } as const,
      canEdit: hasRole({ keyId: session.keyId, name: session.name, role: session.role }, ['strategist']),
    };
  };
  const checkCsrf = (res: Response, body: Record<string, unknown>) => {
    if (!sessions.checkCsrf(res.locals.session!, formValue(body as never, 'csrf'))) {
      throw new DomainError('forbidden', 'The form is missing its CSRF token or the token is wrong.');
    }
  };

  async function formPageFor(
    res: Response,
    kind: Kind,
    view: FormView,
    opts: { existing?: string; nudgeType?: string; extra?: SafeHtml; fileManaged?: boolean },
  ): Promise<SafeHtml> {
    const touchpoints = (await services.touchpoints.list()).map((t) => t.key);
    const nudges = (await services.nudges.list()).map((n) => n.key);
    const existing = opts.existing ? { existing: opts.existing } : {};
    const ctx = { kind, ...existing, nudgeType: nudgeTypeOf(opts.nudgeType), touchpoints, nudges };
    const title = opts.existing ? `${kind} ${opts.existing}` : `New ${kind}`;
    const managed = opts.fileManaged
      ? html`<p class="alert file-managed" data-testid="file-managed">Managed by a file in <code>experiments/</code>: edit the file and run <code>npm run sync</code>. The browser shows it read-only so the file and the database never disagree.</p>`
      : '';
    const exportLink = opts.existing
      ? html`<p><a data-testid="export-yaml" href="/dashboard/edit/${kind}/${encodeURIComponent(opts.existing)}/export.yaml">Export as YAML for experiments/</a></p>`
      : '';
    const body = html`<p><a href="/dashboard/workspace">← Workspace</a></p><h1>${title}</h1>${managed}${exportLink}${renderForm(view, ctx)}${opts.extra ?? ''}`;
    // The workspace forms are in English; the navigation around them follows the reader's language.
    return layout({
      title,
      body,
      session: { session: res.locals.session!, csrf: res.locals.csrf! },
      i18n: requestI18n(res.req),
      // A form post comes back to the workspace, not to the address it posted to.
      here: res.req.method === 'GET' ? res.req.originalUrl : '/dashboard/workspace',
    });
  }

  async function experimentExtras(exp: Experiment, csrf: string, canEdit: boolean, query: unknown) {
    let plan: Parameters<typeof planningFigures>[0];
    try {
      const q = planQuerySchema.safeParse(query);
      plan = await services.planning.forExperiment(exp.key, q.success ? q.data : {});
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      plan = err.message;
    }
    return html`${canEdit ? lifecycleForms(exp, csrf) : html`<p>Status: <span class="badge status" data-testid="exp-status">${exp.status}</span></p>`}
${experimentLinks(exp)}${planningFigures(plan)}`;
  }

  /** Renders the form again with the posted values and the error beside its field. */
  async function refused(
    res: Response,
    kind: Kind,
    err: unknown,
    posted: Record<string, string | string[]>,
    existing?: string,
  ) {
    if (!(err instanceof DomainError)) throw err;
    const status = errorCatalogue[err.code].status;
    if (status !== 400 && status !== 404 && status !== 409) throw err;
    const { csrf } = who(res);
    const issues = fieldIssues(err);
    const view: FormView = { values: posted, issues, readOnly: false, csrf, message: err.message };
    const opts = { ...(existing ? { existing } : {}), nudgeType: formValue(posted, 'type') };
    return pageReply(await formPageFor(res, kind, view, opts), status as 400 | 404 | 409);
  }

  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/workspace',
      tag: 'dashboard',
      summary: 'The workspace: every journey, touchpoint, nudge and experiment, and where each is managed',
      access: readers,
      responses: { 200: page },
      hidden: true,
    }).handle(async ({ res }) => {
      const { session, csrf, canEdit } = who(res);
      const managed = await fileManagedKeys(services.audit);
      const lists = {
        journey: await services.journeys.list(),
        touchpoint: await services.touchpoints.list(),
        nudge: await services.nudges.list(),
        experiment: await services.experiments.list(),
      };
      const body = workspaceList(lists, managed, canEdit);
      const i18n = requestI18n(res.req);
      return pageReply(
        layout({ title: 'Workspace', body, session: { session, csrf }, i18n, here: res.req.originalUrl }),
        200,
      );
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
      }),
      responses: { 200: page },
      hidden: true,
    }).handle(async ({ res, params, query }) => {
      const values = Object.fromEntries(
        (['touchpoint', 'nudge'] as const).flatMap((k) => (query[k] ? [[k, query[k]]] : [])),
      );
      const view: FormView = { values, issues: [], readOnly: false, csrf: who(res).csrf };
      return pageReply(await formPageFor(res, params.kind, view, { nudgeType: query.type }), 200);
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
      }),
      responses: { 200: page },
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params, query }) => {
      const { csrf, canEdit } = who(res);
      const stored = await serviceOf(services, params.kind).get(params.key);
      const fileManaged = await isFileManaged(services.audit, params.kind, params.key);
      const view: FormView = {
        values: valuesFromStored(params.kind, stored),
        issues: [],
        readOnly: !canEdit || fileManaged,
        csrf,
      };
      let extra: SafeHtml | undefined;
      if (params.kind === 'nudge') {
        const at = query.at && !Number.isNaN(Date.parse(query.at)) ? new Date(query.at) : new Date();
        extra = nudgePreview(stored as unknown as Nudge, query.timeZone ?? 'UTC', at);
      } else if (params.kind === 'touchpoint') {
        const nudges = await services.nudges.list({ touchpoint: params.key });
        const experiments = await services.experiments.list({ touchpoint: params.key });
        extra = touchpointContents(params.key, nudges, experiments, canEdit);
      } else if (params.kind === 'experiment') {
        const { timeZone: _t, at: _a, ...plan } = query;
        extra = await experimentExtras(stored as unknown as Experiment, csrf, canEdit, plan);
      }
      const opts = { existing: params.key, nudgeType: String(stored.type ?? ''), fileManaged };
      return pageReply(
        await formPageFor(res, params.kind, view, { ...opts, ...(extra ? { extra } : {}) }),
        200,
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
      access: editors,
      params: kindOnly,
      parser: [form],
      body: formBodySchema,
      responses: editResponses,
      errors: ['validation_failed', 'conflict', 'not_found'],
      hidden: true,
    }).handle(async ({ res, params, body }) => {
      checkCsrf(res, body);
      try {
        const created = await serviceOf(services, params.kind).create(
          who(res).actor,
          bodyFromForm(params.kind, body),
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
      checkCsrf(res, body);
      if (await isFileManaged(services.audit, params.kind, params.key)) {
        throw fileManagedRefusal(params.kind, params.key);
      }
      try {
        const input = { ...bodyFromForm(params.kind, body), key: params.key };
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
      checkCsrf(res, body);
      const action = lifecycleActions.find((a) => a === formValue(body, 'action'));
      if (!action) throw new DomainError('validation_failed', 'Unknown lifecycle action.');
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
  ];
}

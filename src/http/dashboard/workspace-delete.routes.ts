import express, { type Response } from 'express';
import { z } from 'zod';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import type { MessageKey } from '../../i18n/index.js';
import { langQuery } from '../language.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { formBodySchema } from './form-data.js';
import { statusLabel } from './format.js';
import { html, type SafeHtml } from './html.js';
import { pageReply } from './page-reply.js';
import { say } from './say.js';
import { checkCsrf, readerOf, type WorkspaceDeps, who, workspaceLayout } from './workspace-context.js';
import { fileManagedRefusal, type Kind, kindSchema, serviceOf, sourceOf } from './workspace-kinds.js';

const editors = { via: 'session', roles: ['strategist'] } as const;
const kindKey = z.object({ kind: kindSchema, key: z.string().min(1).max(80) });

/** What else has to go first, in the words of each kind's delete rule. */
const dependents: Record<Kind, MessageKey> = {
  journey: 'workspace.delete.journeyRule',
  touchpoint: 'workspace.delete.touchpointRule',
  nudge: 'workspace.delete.nudgeRule',
  experiment: 'workspace.delete.experimentRule',
};

/** Each kind's own words on the confirmation page (languages inflect the noun). */
const deleteWords: Record<
  Kind,
  {
    title: MessageKey;
    ask: MessageKey;
    back: MessageKey;
    keeps: MessageKey;
    confirm: MessageKey;
  }
> = {
  journey: {
    title: 'workspace.delete.titleJourney',
    ask: 'workspace.delete.askJourney',
    back: 'workspace.delete.backJourney',
    keeps: 'workspace.delete.keepsJourney',
    confirm: 'workspace.delete.confirmJourney',
  },
  touchpoint: {
    title: 'workspace.delete.titleTouchpoint',
    ask: 'workspace.delete.askTouchpoint',
    back: 'workspace.delete.backTouchpoint',
    keeps: 'workspace.delete.keepsTouchpoint',
    confirm: 'workspace.delete.confirmTouchpoint',
  },
  nudge: {
    title: 'workspace.delete.titleNudge',
    ask: 'workspace.delete.askNudge',
    back: 'workspace.delete.backNudge',
    keeps: 'workspace.delete.keepsNudge',
    confirm: 'workspace.delete.confirmNudge',
  },
  experiment: {
    title: 'workspace.delete.titleExperiment',
    ask: 'workspace.delete.askExperiment',
    back: 'workspace.delete.backExperiment',
    keeps: 'workspace.delete.keepsExperiment',
    confirm: 'workspace.delete.confirmExperiment',
  },
};

/**
 * Deleting from the workspace: a page that asks to confirm (or says why it cannot be done), then
 * a post with the session's CSRF token. The delete goes through the same service as
 * `DELETE /v1/...`, so the same rules refuse it and the audit log keeps what was deleted;
 * file-managed definitions are refused, as their file would bring them back at the next sync.
 */
export function workspaceDeleteRoutes(deps: WorkspaceDeps): Route[] {
  const { services, sessions } = deps;
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  /** Why the definition cannot be deleted now, or undefined when it can. */
  async function refusalOf(res: Response, kind: Kind, key: string, stored: Record<string, unknown>) {
    const source = sourceOf(stored);
    if (source) return fileManagedRefusal(kind, key, source, readerOf(res)).message;
    try {
      await serviceOf(services, kind).checkDeletable(key);
      return undefined;
    } catch (err) {
      if (err instanceof DomainError && errorCatalogue[err.code].status === 409) return err.message;
      throw err;
    }
  }

  function confirmPage(
    res: Response,
    kind: Kind,
    stored: Record<string, unknown>,
    refusal?: string,
  ): SafeHtml {
    const { csrf } = who(res);
    const i = readerOf(res);
    const words = deleteWords[kind];
    const key = String(stored.key);
    const back = `/dashboard/edit/${kind}/${encodeURIComponent(key)}`;
    const name = typeof stored.name === 'string' ? stored.name : '';
    const status = typeof stored.status === 'string' ? html` (${statusLabel(stored.status, i)})` : '';
    const action = refusal
      ? html`<div class="alert error" data-testid="delete-refused" role="alert"><p>${refusal}</p><p>${say(i, 'workspace.delete.nothingDeleted')}</p></div>
<p class="hint">${say(i, dependents[kind])}</p>
<p><a href="${back}">${say(i, words.back)}</a></p>`
      : html`<p>${say(i, words.keeps)}</p>
<form method="post" action="/dashboard/delete/${kind}/${encodeURIComponent(key)}" data-testid="delete-form">
  <input type="hidden" name="csrf" value="${csrf}">
  <button type="submit" class="danger" data-testid="confirm-delete">${say(i, words.confirm)}</button>
  <a href="${back}" data-testid="cancel-delete">${say(i, 'workspace.delete.cancel')}</a>
</form>`;
    const [before = '', after = ''] = i.t(words.ask, { key: '\u0000' }).split('\u0000');
    const body = html`<p><a href="/dashboard/workspace">${say(i, 'workspace.back')}</a></p>
<h1>${before}<code>${key}</code>${after}</h1>
<p>${name}${status}</p>
${action}`;
    return workspaceLayout(res, i.t(words.title, { key }), body);
  }

  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/delete/:kind/:key',
      tag: 'dashboard',
      summary: 'Asks to confirm the deletion of a definition, or says why it cannot be deleted',
      access: editors,
      params: kindKey,
      responses: { 200: media('text/html', 'The confirmation, or the reason nothing can be deleted') },
      query: langQuery,
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params }) => {
      const stored = await serviceOf(services, params.kind).get(params.key);
      const refusal = await refusalOf(res, params.kind, params.key, stored);
      return pageReply(confirmPage(res, params.kind, stored, refusal), 200, readerOf(res).lang);
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/delete/:kind/:key',
      tag: 'dashboard',
      summary: 'Deletes a definition',
      description:
        'Deletes a definition through the same service and rules as `DELETE /v1/...` (a journey with touchpoints, a touchpoint with nudges, a nudge in use or a running or paused experiment is refused), audited; file-managed definitions are refused.',
      access: editors,
      params: kindKey,
      parser: [form],
      body: formBodySchema,
      responses: {
        303: redirect('Deleted: to the workspace, which says so'),
        409: media('text/html', 'The confirmation page again, with the rule that refuses the deletion'),
      },
      errors: ['not_found', 'in_use', 'experiment_locked'],
      hidden: true,
    }).handle(async ({ res, params, body }) => {
      checkCsrf(sessions, res, body);
      const service = serviceOf(services, params.kind);
      const stored = await service.get(params.key);
      const source = sourceOf(stored);
      if (source) throw fileManagedRefusal(params.kind, params.key, source, readerOf(res));
      try {
        await service.delete(who(res).actor, params.key);
      } catch (err) {
        if (!(err instanceof DomainError) || errorCatalogue[err.code].status !== 409) throw err;
        return pageReply(confirmPage(res, params.kind, stored, err.message), 409);
      }
      const deleted = encodeURIComponent(`${params.kind}:${params.key}`);
      return { status: 303, location: `/dashboard/workspace?deleted=${deleted}` };
    }),
  ];
}

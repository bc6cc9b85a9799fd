import express, { type Response } from 'express';
import { z } from 'zod';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import { defineRoute, media, type Route, redirect } from '../route.js';
import { formBodySchema } from './form-data.js';
import { html, type SafeHtml } from './html.js';
import { pageReply } from './page-reply.js';
import { checkCsrf, type WorkspaceDeps, who, workspaceLayout } from './workspace-context.js';
import { fileManagedRefusal, type Kind, kindSchema, serviceOf, sourceOf } from './workspace-kinds.js';

const editors = { via: 'session', roles: ['strategist'] } as const;
const kindKey = z.object({ kind: kindSchema, key: z.string().min(1).max(80) });

/** What else has to go first, in the words of each kind's delete rule. */
const dependents: Record<Kind, string> = {
  journey: 'A journey with touchpoints cannot be deleted: delete its touchpoints first.',
  touchpoint: 'A touchpoint with nudges cannot be deleted: delete its nudges first.',
  nudge: 'A nudge that experiments use cannot be deleted: delete those experiments first.',
  experiment: 'A running or paused experiment cannot be deleted: stop it first.',
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
  async function refusalOf(kind: Kind, key: string, stored: Record<string, unknown>) {
    const source = sourceOf(stored);
    if (source) return fileManagedRefusal(kind, key, source).message;
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
    const key = String(stored.key);
    const back = `/dashboard/edit/${kind}/${encodeURIComponent(key)}`;
    const name = typeof stored.name === 'string' ? stored.name : '';
    const status = typeof stored.status === 'string' ? html` (${stored.status})` : '';
    const action = refusal
      ? html`<div class="alert error" data-testid="delete-refused" role="alert"><p>${refusal}</p><p>Nothing was deleted.</p></div>
<p class="hint">${dependents[kind]}</p>
<p><a href="${back}">Back to the ${kind}</a></p>`
      : html`<p>Deleting cannot be undone. The audit log keeps what the ${kind} was, and who deleted it.</p>
<form method="post" action="/dashboard/delete/${kind}/${encodeURIComponent(key)}" data-testid="delete-form">
  <input type="hidden" name="csrf" value="${csrf}">
  <button type="submit" class="danger" data-testid="confirm-delete">Delete the ${kind}</button>
  <a href="${back}" data-testid="cancel-delete">Cancel</a>
</form>`;
    const body = html`<p><a href="/dashboard/workspace">← Workspace</a></p>
<h1>Delete ${kind} <code>${key}</code>?</h1>
<p>${name}${status}</p>
${action}`;
    return workspaceLayout(res, `Delete ${kind} ${key}`, body);
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
      errors: ['not_found'],
      hidden: true,
    }).handle(async ({ res, params }) => {
      const stored = await serviceOf(services, params.kind).get(params.key);
      const refusal = await refusalOf(params.kind, params.key, stored);
      return pageReply(confirmPage(res, params.kind, stored, refusal), 200);
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
      if (source) throw fileManagedRefusal(params.kind, params.key, source);
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

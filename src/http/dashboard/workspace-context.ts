import type { Response } from 'express';
import { DomainError } from '../../domain/errors.js';
import { hasRole } from '../../domain/roles.js';
import { requestI18n } from '../language.js';
import { formValue } from './form-data.js';
import type { FormView } from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import type { SessionCodec } from './session.js';
import { type Kind, nudgeTypeOf, renderForm, type WorkspaceServices } from './workspace-kinds.js';

export interface WorkspaceDeps {
  services: WorkspaceServices;
  sessions: SessionCodec;
}

/** The signed-in caller as the workspace's routes need it. */
export function who(res: Response) {
  const session = res.locals.session!;
  return {
    session,
    csrf: res.locals.csrf!,
    actor: { keyId: session.keyId, name: session.name, role: session.role, source: 'dashboard' } as const,
    canEdit: hasRole({ keyId: session.keyId, name: session.name, role: session.role }, ['strategist']),
  };
}

export function checkCsrf(sessions: SessionCodec, res: Response, body: Record<string, unknown>): void {
  if (!sessions.checkCsrf(res.locals.session!, formValue(body as never, 'csrf'))) {
    throw new DomainError('forbidden', 'The form is missing its CSRF token or the token is wrong.');
  }
}

/**
 * A workspace page in the signed-in layout. The workspace's own words are in English; the
 * navigation around them follows the reader's language.
 */
export function workspaceLayout(res: Response, title: string, body: SafeHtml): SafeHtml {
  const req = res.req;
  return layout({
    title,
    body,
    session: { session: res.locals.session!, csrf: res.locals.csrf! },
    i18n: requestI18n(req),
    // A form post comes back to the workspace, not to the address it posted to.
    here: req.method === 'GET' ? req.originalUrl : '/dashboard/workspace',
  });
}

export interface FormPageOptions {
  existing?: string;
  nudgeType?: string | undefined;
  extra?: SafeHtml;
  /** The file that manages the definition: the form is read-only and says where to change it. */
  source?: string | undefined;
  canEdit?: boolean;
}

/** A definition's form as a whole page: what the form needs to offer (touchpoints, nudges) is read here. */
export async function formPage(
  services: WorkspaceServices,
  res: Response,
  kind: Kind,
  view: FormView,
  opts: FormPageOptions,
): Promise<SafeHtml> {
  const touchpoints = kind === 'nudge' ? (await services.touchpoints.list()).map((t) => t.key) : [];
  const nudges =
    kind === 'experiment'
      ? (await services.nudges.list()).map((n) => ({
          key: n.key,
          name: n.name,
          variants: n.variants.map((v) => ({ key: v.key, name: v.name })),
        }))
      : [];
  const existing = opts.existing ? { existing: opts.existing } : {};
  const ctx = { kind, ...existing, nudgeType: nudgeTypeOf(opts.nudgeType), touchpoints, nudges };
  const title = opts.existing ? `${kind} ${opts.existing}` : `New ${kind}`;
  const managed = opts.source
    ? html`<p class="alert file-managed" data-testid="file-managed">Managed by <code data-testid="file-managed-source">${opts.source}</code>: edit the file and run <code>npm run sync</code>. The browser shows it read-only so the file and the database never disagree; once no file declares it, sync releases it to the browser.</p>`
    : '';
  const key = opts.existing ? encodeURIComponent(opts.existing) : '';
  const exportLink = opts.existing
    ? html`<p><a data-testid="export-yaml" href="/dashboard/edit/${kind}/${key}/export.yaml">Export as YAML for experiments/</a>${
        opts.canEdit && !opts.source
          ? html` · <a data-testid="delete-link" href="/dashboard/delete/${kind}/${key}">Delete this ${kind}</a>`
          : ''
      }</p>`
    : '';
  const body = html`<p><a href="/dashboard/workspace">← Workspace</a></p><h1>${title}</h1>${managed}${exportLink}${renderForm(view, ctx)}${opts.extra ?? ''}`;
  return workspaceLayout(res, title, body);
}

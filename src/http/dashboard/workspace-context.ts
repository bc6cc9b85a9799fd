import type { Response } from 'express';
import { DomainError } from '../../domain/errors.js';
import { hasRole } from '../../domain/roles.js';
import type { I18n, MessageKey } from '../../i18n/index.js';
import { rawLang, requestI18n } from '../language.js';
import { formValue } from './form-data.js';
import type { FormView } from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { say } from './say.js';
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
    throw new DomainError('forbidden', readerOf(res).t('workspace.form.csrf'));
  }
}

/**
 * The reader's language: a `lang` in the address, else the saved choice, else the browser's. A
 * form post carries no `lang`, so what it draws again follows the saved choice.
 */
export function readerOf(res: Response): I18n {
  return requestI18n(res.req, rawLang(res.req));
}

/** A workspace page in the signed-in layout, in the reader's language. */
export function workspaceLayout(res: Response, title: string, body: SafeHtml): SafeHtml {
  const req = res.req;
  return layout({
    title,
    body,
    session: { session: res.locals.session!, csrf: res.locals.csrf! },
    i18n: readerOf(res),
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
  const i = readerOf(res);
  const existing = opts.existing ? { existing: opts.existing } : {};
  const ctx = { kind, ...existing, nudgeType: nudgeTypeOf(opts.nudgeType), touchpoints, nudges };
  const title = opts.existing
    ? i.t(kindWords[kind].title, { key: opts.existing })
    : i.t(kindWords[kind].fresh);
  const managed = opts.source
    ? html`<p class="alert file-managed" data-testid="file-managed">${say(i, 'workspace.managed.by')} <code data-testid="file-managed-source">${opts.source}</code>${say(i, 'workspace.managed.edit')} <code>npm run sync</code>${say(i, 'workspace.managed.why')}</p>`
    : '';
  const key = opts.existing ? encodeURIComponent(opts.existing) : '';
  const exportLink = opts.existing
    ? html`<p><a data-testid="export-yaml" href="/dashboard/edit/${kind}/${key}/export.yaml">${say(i, 'workspace.export')}</a>${
        opts.canEdit && !opts.source
          ? html` · <a data-testid="delete-link" href="/dashboard/delete/${kind}/${key}">${say(i, kindWords[kind].deleteThis)}</a>`
          : ''
      }</p>`
    : '';
  const body = html`<p><a href="/dashboard/workspace">${say(i, 'workspace.back')}</a></p><h1>${title}</h1>${managed}${exportLink}${renderForm({ ...view, i18n: i }, ctx)}${opts.extra ?? ''}`;
  return workspaceLayout(res, title, body);
}

/**
 * Each kind's own words for its page title and links: languages inflect the noun (and the words
 * around it) by its gender, so a kind is never dropped into a sentence as a bare word.
 */
export const kindWords: Record<Kind, { title: MessageKey; fresh: MessageKey; deleteThis: MessageKey }> = {
  journey: {
    title: 'workspace.journey.title',
    fresh: 'workspace.new.journey',
    deleteThis: 'workspace.journey.deleteThis',
  },
  touchpoint: {
    title: 'workspace.touchpoint.title',
    fresh: 'workspace.new.touchpoint',
    deleteThis: 'workspace.touchpoint.deleteThis',
  },
  nudge: {
    title: 'workspace.nudge.title',
    fresh: 'workspace.new.nudgeAny',
    deleteThis: 'workspace.nudge.deleteThis',
  },
  experiment: {
    title: 'workspace.experiment.title',
    fresh: 'workspace.new.experiment',
    deleteThis: 'workspace.experiment.deleteThis',
  },
};

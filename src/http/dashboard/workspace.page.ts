import { nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import { ENGLISH_I18N, type I18n, type MessageKey } from '../../i18n/index.js';
import { statusLabel } from './format.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';
import type { Kind } from './workspace-kinds.js';

type Item = { key: string; name?: unknown; status?: unknown; type?: unknown; source?: unknown };

const titles: Record<Kind, MessageKey> = {
  journey: 'workspace.list.journeys',
  touchpoint: 'workspace.list.touchpoints',
  nudge: 'workspace.list.nudges',
  experiment: 'workspace.list.experiments',
};

/** "New journey" and the like: each kind its own words, as languages inflect the kind. */
const newOf: Record<Exclude<Kind, 'nudge'>, MessageKey> = {
  journey: 'workspace.new.journey',
  touchpoint: 'workspace.new.touchpoint',
  experiment: 'workspace.new.experiment',
};

function newNudgeLinks(i: I18n, touchpoint?: string): SafeHtml[] {
  const at = touchpoint ? html`&amp;touchpoint=${encodeURIComponent(touchpoint)}` : '';
  const testid = (t: string) => (touchpoint ? '' : html` data-testid="new-nudge-${t}"`);
  return nudgeTypes.map(
    (t) =>
      html`<a class="button"${testid(t)} href="/dashboard/new/nudge?type=${t}${at}">${say(i, 'workspace.new.nudge', { type: t })}</a> `,
  );
}

function newLinks(kind: Kind, i: I18n): SafeHtml {
  if (kind === 'nudge') return html`<p class="new">${newNudgeLinks(i)}</p>`;
  const link = html`<a class="button" data-testid="new-${kind}" href="/dashboard/new/${kind}">${say(i, newOf[kind])}</a>`;
  if (kind === 'touchpoint') {
    return html`<p class="new">${link} ${say(i, 'workspace.new.touchpointFromMap')}</p>`;
  }
  return html`<p class="new">${link}</p>`;
}

/** Every definition by kind, each marked with where it is managed (the file sync recorded on it). */
export function workspaceList(
  lists: Record<Kind, Item[]>,
  canEdit: boolean,
  deleted?: string,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  const s = (key: MessageKey, params?: Record<string, string | number>) => say(i, key, params);
  const sections = (Object.keys(titles) as Kind[]).map((kind) => {
    const rows = lists[kind].map((item) => {
      const source = typeof item.source === 'string' && item.source !== '' ? item.source : undefined;
      return html`<tr data-testid="ws-${kind}-${item.key}">
  <td><a href="/dashboard/edit/${kind}/${encodeURIComponent(item.key)}">${item.key}</a></td>
  <td>${typeof item.name === 'string' ? item.name : ''}</td>
  <td>${typeof item.type === 'string' ? item.type : ''}${typeof item.status === 'string' ? html`<span class="badge status">${statusLabel(item.status, i)}</span>` : ''}</td>
  <td>${source ? html`<span class="badge file" title="${i.t('workspace.list.fileTitle')}">${s('workspace.list.file')}</span> <code class="source">${source}</code>` : html`<span class="badge browser">${s('workspace.list.browser')}</span>`}</td>
</tr>`;
    });
    return html`<section data-testid="ws-${kind}s"><h2>${s(titles[kind])}</h2>${canEdit ? newLinks(kind, i) : ''}
<table class="defs"><thead><tr><th>${s('workspace.list.key')}</th><th>${s('workspace.list.name')}</th><th>${s('workspace.list.typeStatus')}</th><th>${s('workspace.list.managedIn')}</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4" class="empty">${s('workspace.list.none')}</td></tr>`}</tbody></table></section>`;
  });
  const [deletedKind = '', ...deletedKey] = (deleted ?? '').split(':');
  const notice = deleted
    ? html`<p class="alert notice" data-testid="deleted-notice" role="status">${s('workspace.list.deleted', { kind: deletedKind })} <code>${deletedKey.join(':')}</code>${s('workspace.list.deletedAudit')}</p>`
    : '';
  return html`<h1>${s('workspace.title')}</h1>${notice}
<p>${s('workspace.intro.before')} <span class="badge file">${s('workspace.list.file')}</span> ${s('workspace.intro.from')}
<code>experiments/</code> ${s('workspace.intro.after')}</p>
${sections}`;
}

/** A touchpoint's nudges and experiments, each opening its own form. */
export function touchpointContents(
  key: string,
  nudges: readonly { key: string; name: string; type: string }[],
  experiments: readonly { key: string; name: string; status: string; nudge: string }[],
  canEdit: boolean,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  const s = (k: MessageKey, params?: Record<string, string | number>) => say(i, k, params);
  const link = (kind: Kind, k: string, label: string) =>
    html`<a href="/dashboard/edit/${kind}/${encodeURIComponent(k)}">${label}</a>`;
  return html`<section data-testid="touchpoint-contents"><h2>${s('workspace.touchpoint.contents')}</h2>
<h3>${s('workspace.list.nudges')}</h3>${nudges.length ? html`<ul>${nudges.map((n) => html`<li>${link('nudge', n.key, n.name)} <span class="badge type">${n.type}</span></li>`)}</ul>` : html`<p class="empty">${s('workspace.touchpoint.noNudges')}</p>`}
${canEdit ? html`<p>${newNudgeLinks(i, key)}</p>` : ''}
<h3>${s('workspace.list.experiments')}</h3>${experiments.length ? html`<ul>${experiments.map((e) => html`<li>${link('experiment', e.key, e.name)} <span class="badge status">${statusLabel(e.status, i)}</span> (${s('workspace.touchpoint.ofNudge', { nudge: e.nudge })})</li>`)}</ul>` : html`<p class="empty">${s('workspace.touchpoint.noExperiments')}</p>`}
</section>`;
}

import { nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import { html, type SafeHtml } from './html.js';
import type { Kind } from './workspace-kinds.js';

type Item = { key: string; name?: unknown; status?: unknown; type?: unknown; source?: unknown };

const titles: Record<Kind, string> = {
  journey: 'Journeys',
  touchpoint: 'Touchpoints',
  nudge: 'Nudges',
  experiment: 'Experiments',
};

function newLinks(kind: Kind): SafeHtml {
  if (kind === 'nudge') {
    return html`<p class="new">${nudgeTypes.map((t) => html`<a class="button" data-testid="new-nudge-${t}" href="/dashboard/new/nudge?type=${t}">New ${t} nudge</a> `)}</p>`;
  }
  if (kind === 'touchpoint') {
    return html`<p class="new"><a class="button" data-testid="new-touchpoint" href="/dashboard/new/touchpoint">New touchpoint</a> or add one from a stage of a journey map.</p>`;
  }
  return html`<p class="new"><a class="button" data-testid="new-${kind}" href="/dashboard/new/${kind}">New ${kind}</a></p>`;
}

/** Every definition by kind, each marked with where it is managed (the file sync recorded on it). */
export function workspaceList(lists: Record<Kind, Item[]>, canEdit: boolean, deleted?: string): SafeHtml {
  const sections = (Object.keys(titles) as Kind[]).map((kind) => {
    const rows = lists[kind].map((item) => {
      const source = typeof item.source === 'string' && item.source !== '' ? item.source : undefined;
      return html`<tr data-testid="ws-${kind}-${item.key}">
  <td><a href="/dashboard/edit/${kind}/${encodeURIComponent(item.key)}">${item.key}</a></td>
  <td>${typeof item.name === 'string' ? item.name : ''}</td>
  <td>${typeof item.type === 'string' ? item.type : ''}${typeof item.status === 'string' ? html`<span class="badge status">${item.status}</span>` : ''}</td>
  <td>${source ? html`<span class="badge file" title="Edit the file and run npm run sync">file</span> <code class="source">${source}</code>` : html`<span class="badge browser">browser / API</span>`}</td>
</tr>`;
    });
    return html`<section data-testid="ws-${kind}s"><h2>${titles[kind]}</h2>${canEdit ? newLinks(kind) : ''}
<table class="defs"><thead><tr><th>Key</th><th>Name</th><th>Type / status</th><th>Managed in</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4" class="empty">None yet</td></tr>`}</tbody></table></section>`;
  });
  const [deletedKind, ...deletedKey] = (deleted ?? '').split(':');
  const notice = deleted
    ? html`<p class="alert notice" data-testid="deleted-notice" role="status">Deleted ${deletedKind} <code>${deletedKey.join(':')}</code>. The audit log keeps what it was.</p>`
    : '';
  return html`<h1>Workspace</h1>${notice}
<p>Design journeys, nudges and experiments. Definitions marked <span class="badge file">file</span> come from
<code>experiments/</code> and change there; the others can be edited here and exported as YAML.</p>
${sections}`;
}

/** A touchpoint's nudges and experiments, each opening its own form. */
export function touchpointContents(
  key: string,
  nudges: readonly { key: string; name: string; type: string }[],
  experiments: readonly { key: string; name: string; status: string; nudge: string }[],
  canEdit: boolean,
): SafeHtml {
  const link = (kind: Kind, k: string, label: string) =>
    html`<a href="/dashboard/edit/${kind}/${encodeURIComponent(k)}">${label}</a>`;
  return html`<section data-testid="touchpoint-contents"><h2>On this touchpoint</h2>
<h3>Nudges</h3>${nudges.length ? html`<ul>${nudges.map((n) => html`<li>${link('nudge', n.key, n.name)} <span class="badge type">${n.type}</span></li>`)}</ul>` : html`<p class="empty">No nudges yet.</p>`}
${canEdit ? html`<p>${nudgeTypes.map((t) => html`<a class="button" href="/dashboard/new/nudge?type=${t}&amp;touchpoint=${encodeURIComponent(key)}">New ${t} nudge</a> `)}</p>` : ''}
<h3>Experiments</h3>${experiments.length ? html`<ul>${experiments.map((e) => html`<li>${link('experiment', e.key, e.name)} <span class="badge status">${e.status}</span> (nudge ${e.nudge})</li>`)}</ul>` : html`<p class="empty">No experiments yet.</p>`}
</section>`;
}

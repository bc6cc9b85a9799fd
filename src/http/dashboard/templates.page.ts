import { channelSchema } from '../../domain/schemas/common.schema.js';
import { nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import type { TemplateView } from '../../domain/schemas/template.schema.js';
import type { Touchpoint } from '../../domain/schemas/touchpoint.schema.js';
import type { TemplateFilters } from '../../domain/templates/templates.service.js';
import { chance, relative } from './format.js';
import { html, type SafeHtml } from './html.js';

export interface CatalogueView {
  /** Every template (the filter's stage choices come from them) and those the filter keeps. */
  all: readonly TemplateView[];
  shown: readonly TemplateView[];
  filters: TemplateFilters;
  /** Present for those who may create drafts: the form carries the CSRF token. */
  editing?: { csrf: string; touchpoints: readonly Touchpoint[] };
  /** Why the last instantiation was refused, shown above the list. */
  message?: string;
}

function select(
  name: string,
  label: string,
  options: readonly string[],
  chosen: string | undefined,
): SafeHtml {
  return html`<label>${label} <select name="${name}" data-testid="filter-${name}">
  <option value="">Any</option>
  ${options.map((o) => html`<option value="${o}"${o === chosen ? html` selected` : ''}>${o}</option>`)}
</select></label>`;
}

function effectLine(t: TemplateView): SafeHtml {
  const e = t.publishedEffect;
  if (!e)
    return html`<p class="muted" data-testid="tpl-${t.key}-effect">Published effect: not given by the source for both arms.</p>`;
  const prior = t.prior
    ? html` Expected at scale after publication bias: <b>${relative(t.prior.expectedRelativeLift)}</b>.`
    : '';
  return html`<p data-testid="tpl-${t.key}-effect">Published effect on ${t.evidence.outcome}: ${chance(e.controlRate)} → ${chance(e.treatmentRate)}
  (<b>${relative(e.relative)}</b> relative).${prior}</p>`;
}

function instantiateForm(t: TemplateView, editing: NonNullable<CatalogueView['editing']>): SafeHtml {
  if (editing.touchpoints.length === 0) {
    return html`<p class="muted">Create a touchpoint first to put this template on it.</p>`;
  }
  // Touchpoints on a channel the template fits come first.
  const fits = (tp: Touchpoint) => (t.fit.channels as string[]).includes(tp.channel);
  const ordered = [...editing.touchpoints].sort((a, b) => Number(fits(b)) - Number(fits(a)));
  return html`<form method="post" action="/dashboard/templates/${encodeURIComponent(t.key)}/instantiate" class="instantiate" data-testid="instantiate-${t.key}">
  <input type="hidden" name="csrf" value="${editing.csrf}">
  <label>Touchpoint <select name="touchpoint" data-testid="instantiate-${t.key}-touchpoint">
    ${ordered.map((tp) => html`<option value="${tp.key}">${tp.name} (${tp.key}, ${tp.channel}${fits(tp) ? '' : ', channel not in the evidence'})</option>`)}
  </select></label>
  <label>Owner <input name="owner" required maxlength="120" data-testid="instantiate-${t.key}-owner"></label>
  <button type="submit" data-testid="instantiate-${t.key}-submit">Create draft experiment</button>
</form>`;
}

function card(t: TemplateView, editing: CatalogueView['editing']): SafeHtml {
  return html`<article class="template" data-testid="tpl-${t.key}">
  <header><h3>${t.name}</h3> <span class="badge type">${t.type}</span>
  <span class="badge grade grade-${t.grade.grade}" data-testid="tpl-${t.key}-grade" title="${t.grade.reasons.join('; ')}">Evidence ${t.grade.grade}</span></header>
  <p><b>Principle:</b> ${t.principle}</p>
  <p>${t.description}</p>
  <p class="muted">Fits: ${t.fit.where} · stages ${t.fit.stages.join(', ')} · channels ${t.fit.channels.join(', ')}</p>
  ${effectLine(t)}
  <p class="muted" data-testid="tpl-${t.key}-grade-reasons">Evidence ${t.grade.grade}: ${t.grade.reasons.join('; ')}.</p>
  <p class="citation" data-testid="tpl-${t.key}-citation">${t.evidence.citation}
  ${t.evidence.sources.map((s) => html` <a href="${s}" rel="noopener noreferrer">source</a>`)}</p>
  ${editing ? instantiateForm(t, editing) : ''}
</article>`;
}

export function templatesBody(v: CatalogueView): SafeHtml {
  const stages = [...new Set(v.all.flatMap((t) => t.fit.stages))].sort();
  return html`<h1>Templates from published evidence</h1>
<p class="muted">Nudges that were tested elsewhere, with the published figures and an honest grade: A randomised with arm sizes and a
replication, B randomised with one of the two, C randomised with neither, D not randomised. Published effects are larger than what
nudge units find at scale, so the expected effect is discounted.${v.editing ? '' : ' Strategists can create a draft experiment from a template here.'}</p>
${v.message ? html`<p class="alert error" data-testid="instantiate-error">${v.message}</p>` : ''}
<form method="get" action="/dashboard/templates" class="filters" data-testid="template-filters">
  ${select('type', 'Type', nudgeTypes, v.filters.type)}
  ${select('channel', 'Channel', channelSchema.options, v.filters.channel)}
  ${select('stage', 'Stage', stages, v.filters.stage)}
  <button type="submit" data-testid="filter-apply">Filter</button>
</form>
<p data-testid="template-count">${v.shown.length} of ${v.all.length} templates</p>
${v.shown.length === 0 ? html`<p class="empty">No template fits this filter.</p>` : ''}
<div class="templates">${v.shown.map((t) => card(t, v.editing))}</div>`;
}

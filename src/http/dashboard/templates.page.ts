import { channelSchema } from '../../domain/schemas/common.schema.js';
import { nudgeTypes } from '../../domain/schemas/nudge.schema.js';
import type { TemplateView } from '../../domain/schemas/template.schema.js';
import type { Touchpoint } from '../../domain/schemas/touchpoint.schema.js';
import type { TemplateFilters } from '../../domain/templates/templates.service.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { chance, relative } from './format.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

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
  label: SafeHtml,
  options: readonly string[],
  chosen: string | undefined,
  i: I18n,
): SafeHtml {
  return html`<label>${label} <select name="${name}" data-testid="filter-${name}">
  <option value="">${say(i, 'templates.filter.any')}</option>
  ${options.map((o) => html`<option value="${o}"${o === chosen ? html` selected` : ''}>${o}</option>`)}
</select></label>`;
}

/**
 * The grade's reasons in the reader's language, from the same facts the engine graded on; the
 * replications are study codes and stay as they are.
 */
export function gradeReasons(t: TemplateView, i: I18n = ENGLISH_I18N): string[] {
  const g = t.grade;
  const replicatedBy = t.evidence.replicatedBy.join(', ');
  return [
    i.t(g.randomized ? 'templates.reason.randomised' : 'templates.reason.notRandomised'),
    i.t(g.armSizesKnown ? 'templates.reason.armSizes' : 'templates.reason.noArmSizes'),
    g.replicated
      ? i.t('templates.reason.replicated', { studies: replicatedBy })
      : i.t('templates.reason.notReplicated'),
  ];
}

function effectLine(t: TemplateView, i: I18n): SafeHtml {
  const e = t.publishedEffect;
  const w = i.wording;
  if (!e)
    return html`<p class="muted" data-testid="tpl-${t.key}-effect">${say(i, 'templates.effect.none')}</p>`;
  const prior = t.prior
    ? html` ${say(i, 'templates.effect.atScale')} <b>${relative(t.prior.expectedRelativeLift, w)}</b>.`
    : '';
  return html`<p data-testid="tpl-${t.key}-effect">${say(i, 'templates.effect.on', { outcome: t.evidence.outcome })} ${chance(e.controlRate, w)} → ${chance(e.treatmentRate, w)}
  (<b>${relative(e.relative, w)}</b> ${say(i, 'templates.effect.relative')}).${prior}</p>`;
}

function instantiateForm(t: TemplateView, editing: NonNullable<CatalogueView['editing']>, i: I18n): SafeHtml {
  if (editing.touchpoints.length === 0) {
    return html`<p class="muted">${say(i, 'templates.instantiate.noTouchpoint')}</p>`;
  }
  // Touchpoints on a channel the template fits come first.
  const fits = (tp: Touchpoint) => (t.fit.channels as string[]).includes(tp.channel);
  const ordered = [...editing.touchpoints].sort((a, b) => Number(fits(b)) - Number(fits(a)));
  const outside = i.t('templates.instantiate.channelOutside');
  return html`<form method="post" action="/dashboard/templates/${encodeURIComponent(t.key)}/instantiate" class="instantiate" data-testid="instantiate-${t.key}">
  <input type="hidden" name="csrf" value="${editing.csrf}">
  <label>${say(i, 'templates.instantiate.touchpoint')} <select name="touchpoint" data-testid="instantiate-${t.key}-touchpoint">
    ${ordered.map((tp) => html`<option value="${tp.key}">${tp.name} (${tp.key}, ${tp.channel}${fits(tp) ? '' : `, ${outside}`})</option>`)}
  </select></label>
  <label>${say(i, 'templates.instantiate.owner')} <input name="owner" required maxlength="120" data-testid="instantiate-${t.key}-owner"></label>
  <button type="submit" data-testid="instantiate-${t.key}-submit">${say(i, 'templates.instantiate.submit')}</button>
</form>`;
}

function card(t: TemplateView, editing: CatalogueView['editing'], i: I18n): SafeHtml {
  const reasons = gradeReasons(t, i).join('; ');
  const grade = say(i, 'templates.grade', { grade: t.grade.grade });
  return html`<article class="template" data-testid="tpl-${t.key}">
  <header><h3>${t.name}</h3> <span class="badge type">${t.type}</span>
  <span class="badge grade grade-${t.grade.grade}" data-testid="tpl-${t.key}-grade" title="${reasons}">${grade}</span></header>
  <p><b>${say(i, 'templates.principle')}</b> ${t.principle}</p>
  <p>${t.description}</p>
  <p class="muted">${say(i, 'templates.fits', { where: t.fit.where, stages: t.fit.stages.join(', '), channels: t.fit.channels.join(', ') })}</p>
  ${effectLine(t, i)}
  <p class="muted" data-testid="tpl-${t.key}-grade-reasons">${grade}: ${reasons}.</p>
  <p class="citation" data-testid="tpl-${t.key}-citation">${t.evidence.citation}
  ${t.evidence.sources.map((s) => html` <a href="${s}" rel="noopener noreferrer">${say(i, 'templates.source')}</a>`)}</p>
  ${editing ? instantiateForm(t, editing, i) : ''}
</article>`;
}

export function templatesBody(v: CatalogueView, i: I18n = ENGLISH_I18N): SafeHtml {
  const stages = [...new Set(v.all.flatMap((t) => t.fit.stages))].sort();
  return html`<h1>${say(i, 'templates.title')}</h1>
<p class="muted">${say(i, 'templates.intro')}${v.editing ? '' : html` ${say(i, 'templates.introViewer')}`}</p>
${v.message ? html`<p class="alert error" data-testid="instantiate-error">${v.message}</p>` : ''}
<form method="get" action="/dashboard/templates" class="filters" data-testid="template-filters">
  ${select('type', say(i, 'templates.filter.type'), nudgeTypes, v.filters.type, i)}
  ${select('channel', say(i, 'templates.filter.channel'), channelSchema.options, v.filters.channel, i)}
  ${select('stage', say(i, 'templates.filter.stage'), stages, v.filters.stage, i)}
  <button type="submit" data-testid="filter-apply">${say(i, 'templates.filter.apply')}</button>
</form>
<p data-testid="template-count">${say(i, 'templates.count', { shown: v.shown.length, all: v.all.length })}</p>
${v.shown.length === 0 ? html`<p class="empty">${say(i, 'templates.filter.noMatch')}</p>` : ''}
<div class="templates">${v.shown.map((t) => card(t, v.editing, i))}</div>`;
}

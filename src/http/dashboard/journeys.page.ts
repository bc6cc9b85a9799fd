import type { Holdout } from '../../domain/schemas/holdout.schema.js';
import type { ExperimentBrief, JourneySummary, Lift } from '../../domain/schemas/insights.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { absolute, actionLabel, chance, effectClass, relative, statusLabel } from './format.js';
import { holdoutBadges, holdoutsOf, holdoutsPanel } from './holdouts.section.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

/**
 * The variant whose effect a map shows: the shipped one when the decision names it, otherwise the
 * one most likely to beat control on the primary metric.
 */
export function leadingVariant(exp: ExperimentBrief): string | undefined {
  if (exp.decision?.variant) return exp.decision.variant;
  const primary = exp.lifts.filter((l) => l.role === 'primary');
  const best = primary.reduce<Lift | undefined>(
    (a, l) => (a === undefined || l.chanceToBeatControl > a.chanceToBeatControl ? l : a),
    undefined,
  );
  return best?.variant;
}

/** NPS moves in points, everything else relative to control. */
export function liftText(l: Lift, i: I18n = ENGLISH_I18N): string {
  return l.kind === 'nps'
    ? absolute('nps', l.absoluteLift.mean, i.wording)
    : relative(l.relativeLift.mean, i.wording);
}

function chip(label: string, testid: string, lift: Lift | undefined, i: I18n): SafeHtml {
  if (!lift) {
    return html`<span class="chip eff-none" data-testid="${testid}" title="${i.t('journeys.noMeasurement')}">${label}: –</span>`;
  }
  const cls = effectClass(lift.chanceToBeatControl);
  const p = chance(lift.chanceToBeatControl, i.wording);
  return html`<span class="chip eff-${cls}" data-testid="${testid}" data-metric="${lift.metric}"
    data-variant="${lift.variant}" title="${i.t('journeys.chipTitle', { metric: lift.metric, variant: lift.variant, chance: p })}">${label}: <b class="lift">${liftText(lift, i)}</b> <span class="p">${p}</span></span>`;
}

function experimentItem(exp: ExperimentBrief, i: I18n): SafeHtml {
  const lead = leadingVariant(exp);
  const primary = exp.lifts.find((l) => l.role === 'primary' && l.variant === lead);
  const satisfaction = exp.lifts.find((l) => l.family === 'satisfaction' && l.variant === lead);
  const action = exp.decision ? actionLabel(exp.decision.action, i) : i.t('journeys.noReadout');
  return html`<li class="exp status-${exp.status}" data-testid="exp-${exp.key}">
  <a href="/dashboard/experiments/${encodeURIComponent(exp.key)}">${exp.name}</a>
  <span class="badge status">${statusLabel(exp.status, i)}</span>${exp.nudgeType ? html` <span class="badge type">${exp.nudgeType}</span>` : ''}
  <div class="chips">
    ${chip(i.t('journeys.primary'), `exp-${exp.key}-primary`, primary, i)}
    ${chip(i.t('journeys.satisfaction'), `exp-${exp.key}-satisfaction`, satisfaction, i)}
  </div>
  <div class="action action-${exp.decision?.action ?? 'none'}">${action}${exp.decision?.variant ? html`: ${exp.decision.variant}` : ''}</div>
</li>`;
}

/** What the workspace adds to the map for those who may edit: a form per stage, links per touchpoint. */
export interface MapEditing {
  stage(journeyKey: string, stageKey: string): SafeHtml;
  touchpoint(touchpointKey: string): SafeHtml;
}

export function journeyMap(
  summary: JourneySummary,
  withHeading = true,
  editing?: MapEditing,
  holdouts: readonly Holdout[] = [],
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  const stages = summary.journey.stages.map((stage) => {
    const tps = summary.touchpoints.filter((t) => t.stage === stage.key);
    return html`<div class="stage" data-testid="stage-${stage.key}">
  <h3>${stage.name}</h3>
  ${tps.length === 0 ? html`<p class="empty">${i.t('journeys.noTouchpoints')}</p>` : ''}
  ${tps.map((t) => {
    const shown = t.experiments.filter((e) => e.status !== 'draft');
    const untested = t.nudges.filter((n) => !t.experiments.some((e) => e.nudge === n.key));
    return html`<article class="touchpoint" data-testid="tp-${t.key}">
  <header><span class="channel ch-${t.channel}">${t.channel}</span> <span class="tp-name">${t.name}</span></header>
  ${shown.length > 0 ? html`<ul class="exps">${shown.map((e) => experimentItem(e, i))}</ul>` : html`<p class="empty">${i.t('journeys.noNudges')}</p>`}
  ${untested.length > 0 ? html`<p class="untested">${i.t('journeys.untested', { names: untested.map((n) => n.name).join(', ') })}</p>` : ''}
  ${holdoutBadges(holdouts, t.key, i)}
  ${editing?.touchpoint(t.key) ?? ''}
</article>`;
  })}
  ${editing?.stage(summary.journey.key, stage.key) ?? ''}
</div>`;
  });
  return html`<section class="journey" data-testid="journey-${summary.journey.key}">
  ${withHeading ? html`<h2><a href="/dashboard/journeys/${encodeURIComponent(summary.journey.key)}">${summary.journey.name}</a></h2>` : ''}
  ${holdoutsPanel(holdouts, summary, i)}
  <div class="map">${stages}</div>
</section>`;
}

const legend = (i: I18n): SafeHtml => html`<p class="legend">${i.t('legend.intro')}
  <span class="chip eff-win">${i.t('legend.win')}</span> <span class="chip eff-lean-win">${i.t('legend.leanWin')}</span>
  <span class="chip eff-flat">${i.t('legend.flat')}</span> <span class="chip eff-lean-loss">${i.t('legend.leanLoss')}</span>
  <span class="chip eff-loss">${i.t('legend.loss')}</span> <span class="chip eff-none">${i.t('legend.none')}</span>.
  ${say(i, 'legend.explain')}</p>`;

/** A message with one link in it: the text is escaped, the link is put where `{link}` stands. */
function withLink(text: string, link: SafeHtml): SafeHtml {
  const [before = '', after = ''] = text.split('\u0000');
  return html`${before}${link}${after}`;
}

export function journeysBody(
  summaries: JourneySummary[],
  title: string,
  editing?: MapEditing,
  holdouts: readonly Holdout[] = [],
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  const empty = withLink(
    i.t('journeys.empty', { link: '\u0000' }),
    html`<a href="/dashboard/workspace">${i.t('journeys.emptyLink')}</a>`,
  );
  return html`<h1>${title}</h1>
${legend(i)}
${summaries.length === 0 ? html`<p class="empty">${empty}</p>` : ''}
${summaries.map((s) =>
  journeyMap(
    s,
    summaries.length > 1 || s.journey.name !== title,
    editing,
    holdoutsOf(holdouts, s.journey.key),
    i,
  ),
)}`;
}

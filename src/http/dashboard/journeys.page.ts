import type { Holdout } from '../../domain/schemas/holdout.schema.js';
import type { ExperimentBrief, JourneySummary, Lift } from '../../domain/schemas/insights.schema.js';
import { absolute, actionLabels, chance, effectClass, relative } from './format.js';
import { holdoutBadges, holdoutsOf, holdoutsPanel } from './holdouts.section.js';
import { html, type SafeHtml } from './html.js';

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
export function liftText(l: Lift): string {
  return l.kind === 'nps' ? absolute('nps', l.absoluteLift.mean) : relative(l.relativeLift.mean);
}

function chip(label: string, testid: string, lift: Lift | undefined): SafeHtml {
  if (!lift) {
    return html`<span class="chip eff-none" data-testid="${testid}" title="no measurement yet">${label}: –</span>`;
  }
  const cls = effectClass(lift.chanceToBeatControl);
  return html`<span class="chip eff-${cls}" data-testid="${testid}" data-metric="${lift.metric}"
    data-variant="${lift.variant}" title="${lift.metric}, variant ${lift.variant}: ${chance(lift.chanceToBeatControl)} chance to beat control">${label}: <b class="lift">${liftText(lift)}</b> <span class="p">${chance(lift.chanceToBeatControl)}</span></span>`;
}

function experimentItem(exp: ExperimentBrief): SafeHtml {
  const lead = leadingVariant(exp);
  const primary = exp.lifts.find((l) => l.role === 'primary' && l.variant === lead);
  const satisfaction = exp.lifts.find((l) => l.family === 'satisfaction' && l.variant === lead);
  const action = exp.decision ? (actionLabels[exp.decision.action] ?? exp.decision.action) : 'No readout yet';
  return html`<li class="exp status-${exp.status}" data-testid="exp-${exp.key}">
  <a href="/dashboard/experiments/${encodeURIComponent(exp.key)}">${exp.name}</a>
  <span class="badge status">${exp.status}</span>${exp.nudgeType ? html` <span class="badge type">${exp.nudgeType}</span>` : ''}
  <div class="chips">
    ${chip('Primary', `exp-${exp.key}-primary`, primary)}
    ${chip('Satisfaction', `exp-${exp.key}-satisfaction`, satisfaction)}
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
): SafeHtml {
  const stages = summary.journey.stages.map((stage) => {
    const tps = summary.touchpoints.filter((t) => t.stage === stage.key);
    return html`<div class="stage" data-testid="stage-${stage.key}">
  <h3>${stage.name}</h3>
  ${tps.length === 0 ? html`<p class="empty">No touchpoints</p>` : ''}
  ${tps.map((t) => {
    const shown = t.experiments.filter((e) => e.status !== 'draft');
    const untested = t.nudges.filter((n) => !t.experiments.some((e) => e.nudge === n.key));
    return html`<article class="touchpoint" data-testid="tp-${t.key}">
  <header><span class="channel ch-${t.channel}">${t.channel}</span> <span class="tp-name">${t.name}</span></header>
  ${shown.length > 0 ? html`<ul class="exps">${shown.map(experimentItem)}</ul>` : html`<p class="empty">No running or concluded nudges</p>`}
  ${untested.length > 0 ? html`<p class="untested">Not yet tested: ${untested.map((n) => n.name).join(', ')}</p>` : ''}
  ${holdoutBadges(holdouts, t.key)}
  ${editing?.touchpoint(t.key) ?? ''}
</article>`;
  })}
  ${editing?.stage(summary.journey.key, stage.key) ?? ''}
</div>`;
  });
  return html`<section class="journey" data-testid="journey-${summary.journey.key}">
  ${withHeading ? html`<h2><a href="/dashboard/journeys/${encodeURIComponent(summary.journey.key)}">${summary.journey.name}</a></h2>` : ''}
  ${holdoutsPanel(holdouts, summary)}
  <div class="map">${stages}</div>
</section>`;
}

const legend = html`<p class="legend">Colour = chance the nudge beats control:
  <span class="chip eff-win">95% or more</span> <span class="chip eff-lean-win">80–95%</span>
  <span class="chip eff-flat">20–80%</span> <span class="chip eff-lean-loss">5–20%</span>
  <span class="chip eff-loss">5% or less</span> <span class="chip eff-none">no data</span>.
  Primary = the experiment's primary metric; satisfaction = its first CSAT / NPS / effort metric.</p>`;

export function journeysBody(
  summaries: JourneySummary[],
  title: string,
  editing?: MapEditing,
  holdouts: readonly Holdout[] = [],
): SafeHtml {
  return html`<h1>${title}</h1>
${legend}
${summaries.length === 0 ? html`<p class="empty">No journeys defined yet. Create one in the <a href="/dashboard/workspace">workspace</a>, or add them in experiments/ and run npm run sync.</p>` : ''}
${summaries.map((s) =>
  journeyMap(
    s,
    summaries.length > 1 || s.journey.name !== title,
    editing,
    holdoutsOf(holdouts, s.journey.key),
  ),
)}`;
}

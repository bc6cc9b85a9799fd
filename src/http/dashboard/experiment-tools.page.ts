import { canTransition, type LifecycleAction } from '../../domain/experiments/lifecycle.js';
import type { ExperimentPlan } from '../../domain/planning.service.js';
import type { Experiment } from '../../domain/schemas/experiment.schema.js';
import { ENGLISH_I18N, type I18n, type MessageKey } from '../../i18n/index.js';
import { statusLabel } from './format.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

/** What a stored experiment's page shows under its form: lifecycle, links, planning. */

const labels: Record<LifecycleAction, MessageKey> = {
  start: 'workspace.lifecycle.start',
  pause: 'workspace.lifecycle.pause',
  stop: 'workspace.lifecycle.stop',
  conclude: 'workspace.lifecycle.conclude',
};

const statusBadge = (exp: Experiment, i: I18n): SafeHtml =>
  html`<span class="badge status" data-testid="exp-status">${statusLabel(exp.status, i)}</span>`;

/** The lifecycle buttons the experiment's status allows; resuming a paused experiment is a start. */
export function lifecycleForms(exp: Experiment, csrf: string, i: I18n = ENGLISH_I18N): SafeHtml {
  const action = (a: LifecycleAction, extra: SafeHtml = html``) => {
    if (!canTransition(exp.status, a)) return '';
    const resume = a === 'start' && exp.status === 'paused';
    return html`<form method="post" action="/dashboard/edit/experiment/${encodeURIComponent(exp.key)}/lifecycle" class="inline lifecycle">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="action" value="${a}">
  <input type="hidden" name="version" value="${exp.version}">${extra}
  <button type="submit" data-testid="lifecycle-${resume ? 'resume' : a}">${say(i, resume ? 'workspace.lifecycle.resume' : labels[a])}</button>
</form>`;
  };
  const conclude = html`<label>${say(i, 'workspace.lifecycle.shippedVariant')} <select name="shippedVariant"><option value="">${say(i, 'workspace.lifecycle.noVariant')}</option>${exp.variants.map((v) => html`<option value="${v.key}">${v.key}</option>`)}</select></label>
  <label>${say(i, 'workspace.lifecycle.conclusion')} <input name="conclusion"></label>`;
  return html`<section class="lifecycle" data-testid="lifecycle"><h2>${say(i, 'workspace.lifecycle.title')} ${statusBadge(exp, i)}</h2>
  ${action('start')}${action('pause')}${action('stop')}${action('conclude', conclude)}</section>`;
}

/** The experiment's status for those who may not change it. */
export function statusLine(exp: Experiment, i: I18n = ENGLISH_I18N): SafeHtml {
  return html`<p>${say(i, 'workspace.lifecycle.status')} ${statusBadge(exp, i)}</p>`;
}

/** Minimum detectable effect and expected days from the planning service, or why there are none yet. */
export function planningFigures(plan: ExperimentPlan | string, i: I18n = ENGLISH_I18N): SafeHtml {
  const s = (key: MessageKey, params?: Record<string, string | number>) => say(i, key, params);
  if (typeof plan === 'string') {
    return html`<section class="planning" data-testid="planning"><h2>${s('workspace.plan.title')}</h2><p class="empty">${plan}</p>
  <form method="get" class="inline"><label>${s('workspace.plan.dailyExposures')} <input name="dailyExposures" type="number"></label>
  <label>${s('workspace.plan.baseline')} <input name="baseline" type="number" step="any"></label><button type="submit">${s('workspace.plan.submit')}</button></form></section>`;
  }
  const w = i.wording;
  const unit =
    plan.liftUnit === 'relative'
      ? (x: number) => w.percent(x * 100, 1)
      : (x: number) => i.t('workspace.plan.points', { value: w.fixed(x, 2) });
  const from = (f: 'snapshots' | 'entered') =>
    s(f === 'entered' ? 'workspace.plan.fromEntered' : 'workspace.plan.fromSnapshots');
  const days = plan.chosenLift.expectedDaysToShip;
  const expected =
    days === null ? i.t('workspace.plan.notInTime') : i.t('workspace.plan.days', { days: w.fixed(days, 1) });
  const mde = plan.minimumDetectableEffect;
  return html`<section class="planning" data-testid="planning"><h2>${s('workspace.plan.title')}</h2>
  <table class="defs"><tbody>
  <tr><th>${s('workspace.plan.dailyExposures')}</th><td>${plan.inputs.dailyExposures} (${from(plan.inputs.dailyExposuresFrom)})</td></tr>
  <tr><th>${s('workspace.plan.baseline')}</th><td>${plan.inputs.baseline} (${from(plan.inputs.baselineFrom)})</td></tr>
  <tr><th>${s('workspace.plan.mde')}</th><td data-testid="plan-mde">${s('workspace.plan.mdeValue', { sequential: unit(mde.sequential), fixed: unit(mde.fixedHorizon) })}</td></tr>
  <tr><th>${s('workspace.plan.usersPerArm')}</th><td>${w.fixed(Math.round(plan.plannedSample), 0)}</td></tr>
  <tr><th>${s('workspace.plan.forLift', { lift: unit(plan.chosenLift.lift) })}</th><td data-testid="plan-days">${s('workspace.plan.shipInTime', { chance: w.percent(plan.chosenLift.chanceOfShipByHorizon * 100, 0), expected })}</td></tr>
  </tbody></table></section>`;
}

/** Where the experiment shows up elsewhere: its readout and its journey's map. */
export function experimentLinks(exp: Experiment, i: I18n = ENGLISH_I18N): SafeHtml {
  const journey = exp.touchpoint.split('.')[0] ?? '';
  return html`<p class="links"><a href="/dashboard/experiments/${encodeURIComponent(exp.key)}">${say(i, 'workspace.links.readout')}</a>
  · <a data-testid="journey-map-link" href="/dashboard/journeys/${encodeURIComponent(journey)}">${say(i, 'workspace.links.journeyMap')}</a></p>`;
}

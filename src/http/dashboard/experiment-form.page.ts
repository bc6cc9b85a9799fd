import { conditionOperators } from '../../domain/assignment/condition-check.js';
import { canTransition, type LifecycleAction } from '../../domain/experiments/lifecycle.js';
import type { ExperimentPlan } from '../../domain/planning.service.js';
import { type Experiment, metricRoles } from '../../domain/schemas/experiment.schema.js';
import { metricKinds } from '../../metrics/registry.js';
import {
  addRowButton,
  checkBox,
  errorSummary,
  type FormView,
  fieldErrors,
  fieldValue,
  formShell,
  removeRowButton,
  rowCount,
  selectField,
  textArea,
  textField,
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { kindFields } from './metric-fields.js';
import { targetingRows } from './targeting-rules.js';

/** A nudge as the experiment form offers it: its variants give the experiment's rows. */
export interface NudgeChoice {
  key: string;
  name: string;
  variants: readonly { key: string; name: string }[];
}

function variantRows(view: FormView, nudge: NudgeChoice | undefined): SafeHtml {
  const nameOf = (key: string) => nudge?.variants.find((v) => v.key === key)?.name ?? '';
  const rows = Array.from({ length: Math.max(rowCount(view, 'variants', 1), 2) }, (_, i) => {
    const at = `variants[${i}]`;
    return html`<tr data-testid="exp-variant-row-${i}" data-variant-row><td>${textField(view, `${at}.key`, 'Variant key')}</td>
  <td class="variant-name" data-testid="exp-variant-name-${i}">${nameOf(fieldValue(view, `${at}.key`))}</td>
  <td>${textField(view, `${at}.weight`, 'Weight (0-1)', { type: 'number', step: 'any' })}</td>
  <td>${removeRowButton(view, 'variants', i)}</td></tr>`;
  });
  return html`<fieldset data-testid="variants-fieldset"><legend>Variants and weights</legend>${fieldErrors(view, 'variants')}
  <table class="rows"><tbody>${rows}</tbody></table>
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'variants', 'Add a variant')}</p>`}</fieldset>`;
}

/**
 * The nudge under test, with a submit that fills the variant rows from the chosen nudge (works
 * without script); each option carries its variants so dashboard.js can fill them in place.
 */
function nudgeField(view: FormView, nudges: readonly NudgeChoice[]): SafeHtml {
  const current = fieldValue(view, 'nudge');
  const invalid = view.issues.some((i) => i.path === 'nudge');
  const options = nudges.map(
    (n) =>
      html`<option value="${n.key}" data-variants="${JSON.stringify(n.variants.map((v) => ({ key: v.key, name: v.name })))}"${n.key === current ? html` selected` : ''}>${n.key}</option>`,
  );
  return html`<label class="field${invalid ? ' invalid' : ''}"><span>Nudge under test</span>
  <select name="nudge" data-variants-source${view.readOnly ? html` disabled` : ''}><option value="">—</option>${options}</select>
  ${view.readOnly ? '' : html`<button type="submit" class="secondary" name="intent" value="fill-variants" data-fill-variants data-testid="fill-variants">Use this nudge's variants</button>`}
  <small>the variants are the nudge's: its keys, with equal weights to start from</small>${fieldErrors(view, 'nudge')}</label>`;
}

function metricRows(view: FormView): SafeHtml {
  const rows = Array.from({ length: rowCount(view, 'metrics', 2) }, (_, i) => {
    const at = `metrics[${i}]`;
    return html`<fieldset class="metric" data-testid="metric-row-${i}"><legend>Metric ${i + 1}</legend>
  ${textField(view, `${at}.key`, 'Key')}
  ${textField(view, `${at}.name`, 'Name')}
  ${selectField(view, `${at}.kind`, 'Kind', metricKinds)}
  ${selectField(view, `${at}.role`, 'Role', metricRoles)}
  ${textField(view, `${at}.event`, 'Event or survey type', { hint: 'e.g. application_completed, csat' })}
  ${textField(view, `${at}.windowHours`, 'Window (hours)', { type: 'number', step: 'any' })}
  ${kindFields(view, at)}
  ${textField(view, `${at}.margin`, 'Guardrail margin', { type: 'number', step: 'any' })}
  ${checkBox(view, `${at}.lowerIsBetter`, 'Lower is better')}
  ${removeRowButton(view, 'metrics', i)}
</fieldset>`;
  });
  return html`<fieldset><legend>Metrics: one primary, guardrails, secondaries</legend>${fieldErrors(view, 'metrics')}${rows}
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'metrics', 'Add a metric')}</p>`}</fieldset>`;
}

function qaRows(view: FormView): SafeHtml {
  const rows = Array.from({ length: rowCount(view, 'qaOverrides', 1) }, (_, i) => {
    const at = `qaOverrides[${i}]`;
    return html`<tr><td>${textField(view, `${at}.customerId`, 'Customer id')}</td><td>${textField(view, `${at}.variant`, 'Variant')}</td><td>${removeRowButton(view, 'qaOverrides', i)}</td></tr>`;
  });
  return html`<fieldset><legend>QA overrides</legend>${fieldErrors(view, 'qaOverrides')}<table class="rows"><tbody>${rows}</tbody></table>
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'qaOverrides', 'Add a QA override')}</p>`}</fieldset>`;
}

/**
 * The prior on the primary metric. A template's prior is set by instantiate and carried through the
 * form as it is (hidden), so saving the form keeps it; choosing another source replaces it.
 */
function priorFields(view: FormView): SafeHtml {
  const from = fieldValue(view, 'prior.from');
  const template = from === 'template';
  const kept = ['prior.template', 'prior.relativeLift', 'prior.sd', 'prior.publishedRelativeLift']
    .filter((name) => fieldValue(view, name) !== '')
    .map((name) => html`<input type="hidden" name="${name}" value="${fieldValue(view, name)}">`);
  return html`<fieldset><legend>Prior on the primary metric</legend>${fieldErrors(view, 'prior', true)}
  ${selectField(view, 'prior.from', 'Prior', template ? ['past-nudges', 'template', 'none'] : ['past-nudges', 'none'])}
  <p class="muted">past-nudges: fitted from the concluded experiments of the same nudge type (5 at least); none: a flat prior even where PAST_NUDGE_PRIORS lists the nudge type; blank: the default.${template ? html` From the template <code data-testid="prior-template">${fieldValue(view, 'prior.template')}</code>: ${fieldValue(view, 'prior.relativeLift')} relative, sd ${fieldValue(view, 'prior.sd')}.` : ''}</p>
  ${template && !view.readOnly ? kept : ''}</fieldset>`;
}

export interface ExperimentFormOptions {
  existing?: string;
  nudges: readonly NudgeChoice[];
}

export function experimentForm(view: FormView, opts: ExperimentFormOptions): SafeHtml {
  const body = html`${errorSummary(view)}
  <fieldset><legend>Experiment</legend>
  ${opts.existing ? html`<input type="hidden" name="key" value="${opts.existing}"><p>Key: <code>${opts.existing}</code></p>` : textField(view, 'key', 'Key')}
  ${textField(view, 'name', 'Name')}
  ${nudgeField(view, opts.nudges)}
  ${textField(view, 'owner', 'Owner')}
  ${textArea(view, 'hypothesis', 'Hypothesis')}
  ${textField(view, 'control', 'Control variant key')}
  </fieldset>
  ${variantRows(
    view,
    opts.nudges.find((n) => n.key === fieldValue(view, 'nudge')),
  )}
  <fieldset><legend>Who is in it</legend>
  ${textField(view, 'coverage', 'Coverage (0-1)', { type: 'number', step: 'any', hint: 'share of eligible customers included' })}
  ${textField(view, 'unit', 'Randomisation unit', { placeholder: 'customerId' })}
  ${targetingRows(view)}
  ${textArea(view, 'targeting', 'More conditions (GrowthBook condition, JSON), for what rules cannot say', `operators: ${conditionOperators.join(' ')}`, true)}
  ${checkBox(view, 'overlap', 'May run beside other overlap-allowed experiments')}
  </fieldset>
  ${metricRows(view)}
  <fieldset><legend>Decision settings</legend>${fieldErrors(view, 'decision', true)}
  ${textField(view, 'decision.chanceToBeatControl', 'Chance to beat control (0.5-1)', { type: 'number', step: 'any' })}
  ${textField(view, 'decision.lossTolerance', 'Loss tolerance', { type: 'number', step: 'any' })}
  ${textField(view, 'decision.harmThreshold', 'Harm threshold (0-1)', { type: 'number', step: 'any' })}
  ${textField(view, 'decision.minSample', 'Minimum sample', { type: 'number' })}
  ${textField(view, 'refreshSchedule', 'Refresh schedule (cron)')}
  </fieldset>
  ${priorFields(view)}
  ${qaRows(view)}`;
  const action = opts.existing
    ? `/dashboard/edit/experiment/${encodeURIComponent(opts.existing)}`
    : '/dashboard/edit/experiment';
  return formShell(
    view,
    action,
    body,
    opts.existing ? 'Save experiment' : 'Create experiment',
    'experiment-form',
  );
}

const labels: Record<LifecycleAction, string> = {
  start: 'Start',
  pause: 'Pause',
  stop: 'Stop',
  conclude: 'Conclude',
};

/** The lifecycle buttons the experiment's status allows; resuming a paused experiment is a start. */
export function lifecycleForms(exp: Experiment, csrf: string): SafeHtml {
  const action = (a: LifecycleAction, extra: SafeHtml = html``) =>
    canTransition(exp.status, a)
      ? html`<form method="post" action="/dashboard/edit/experiment/${encodeURIComponent(exp.key)}/lifecycle" class="inline lifecycle">
  <input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="action" value="${a}">
  <input type="hidden" name="version" value="${exp.version}">${extra}
  <button type="submit" data-testid="lifecycle-${a === 'start' && exp.status === 'paused' ? 'resume' : a}">${a === 'start' && exp.status === 'paused' ? 'Resume' : labels[a]}</button>
</form>`
      : '';
  const conclude = html`<label>Shipped variant <select name="shippedVariant"><option value="">none</option>${exp.variants.map((v) => html`<option value="${v.key}">${v.key}</option>`)}</select></label>
  <label>What was learnt <input name="conclusion"></label>`;
  return html`<section class="lifecycle" data-testid="lifecycle"><h2>Lifecycle: <span class="badge status" data-testid="exp-status">${exp.status}</span></h2>
  ${action('start')}${action('pause')}${action('stop')}${action('conclude', conclude)}</section>`;
}

/** Minimum detectable effect and expected days from the planning service, or why there are none yet. */
export function planningFigures(plan: ExperimentPlan | string): SafeHtml {
  if (typeof plan === 'string') {
    return html`<section class="planning" data-testid="planning"><h2>Planning</h2><p class="empty">${plan}</p>
  <form method="get" class="inline"><label>Daily exposures <input name="dailyExposures" type="number"></label>
  <label>Baseline <input name="baseline" type="number" step="any"></label><button type="submit">Plan</button></form></section>`;
  }
  const unit =
    plan.liftUnit === 'relative'
      ? (x: number) => `${(x * 100).toFixed(1)}%`
      : (x: number) => `${x.toFixed(2)} points`;
  const days = plan.chosenLift.expectedDaysToShip;
  return html`<section class="planning" data-testid="planning"><h2>Planning</h2>
  <table class="defs"><tbody>
  <tr><th>Daily exposures</th><td>${plan.inputs.dailyExposures} (${plan.inputs.dailyExposuresFrom})</td></tr>
  <tr><th>Baseline</th><td>${plan.inputs.baseline} (${plan.inputs.baselineFrom})</td></tr>
  <tr><th>Minimum detectable effect</th><td data-testid="plan-mde">${unit(plan.minimumDetectableEffect.sequential)} (one look at the horizon: ${unit(plan.minimumDetectableEffect.fixedHorizon)})</td></tr>
  <tr><th>Users per arm at the horizon</th><td>${Math.round(plan.plannedSample)}</td></tr>
  <tr><th>For a lift of ${unit(plan.chosenLift.lift)}</th><td data-testid="plan-days">${(plan.chosenLift.chanceOfShipByHorizon * 100).toFixed(0)}% chance to ship in time; expected ${days === null ? 'not in time' : `${days.toFixed(1)} days`}</td></tr>
  </tbody></table></section>`;
}

/** Where the experiment shows up elsewhere: its readout and its journey's map. */
export function experimentLinks(exp: Experiment): SafeHtml {
  const journey = exp.touchpoint.split('.')[0] ?? '';
  return html`<p class="links"><a href="/dashboard/experiments/${encodeURIComponent(exp.key)}">Readout</a>
  · <a data-testid="journey-map-link" href="/dashboard/journeys/${encodeURIComponent(journey)}">Journey map</a></p>`;
}

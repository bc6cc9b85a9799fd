import { conditionOperators } from '../../domain/assignment/condition-check.js';
import { metricRoles } from '../../domain/schemas/experiment.schema.js';
import { APP_CATALOGUES, type I18n, type MessageKey } from '../../i18n/index.js';
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
  wordsOf,
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { kindFields } from './metric-fields.js';
import { say } from './say.js';
import { targetingRows } from './targeting-rules.js';

/** A nudge as the experiment form offers it: its variants give the experiment's rows. */
export interface NudgeChoice {
  key: string;
  name: string;
  variants: readonly { key: string; name: string }[];
}

function variantRows(view: FormView, nudge: NudgeChoice | undefined): SafeHtml {
  const i = wordsOf(view);
  const nameOf = (key: string) => nudge?.variants.find((v) => v.key === key)?.name ?? '';
  const rows = Array.from({ length: Math.max(rowCount(view, 'variants', 1), 2) }, (_, n) => {
    const at = `variants[${n}]`;
    return html`<tr data-testid="exp-variant-row-${n}" data-variant-row><td>${textField(view, `${at}.key`, i.t('workspace.experiment.variantKey'))}</td>
  <td class="variant-name" data-testid="exp-variant-name-${n}">${nameOf(fieldValue(view, `${at}.key`))}</td>
  <td>${textField(view, `${at}.weight`, i.t('workspace.experiment.weight'), { type: 'number', step: 'any' })}</td>
  <td>${removeRowButton(view, 'variants', n)}</td></tr>`;
  });
  return html`<fieldset data-testid="variants-fieldset"><legend>${say(i, 'workspace.experiment.variants')}</legend>${fieldErrors(view, 'variants')}
  <table class="rows"><tbody>${rows}</tbody></table>
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'variants', i.t('workspace.field.addVariant'))}</p>`}</fieldset>`;
}

/**
 * The nudge under test, with a submit that fills the variant rows from the chosen nudge (works
 * without script); each option carries its variants so dashboard.js can fill them in place.
 */
function nudgeField(view: FormView, nudges: readonly NudgeChoice[]): SafeHtml {
  const w = wordsOf(view);
  const current = fieldValue(view, 'nudge');
  const invalid = view.issues.some((i) => i.path === 'nudge');
  const options = nudges.map(
    (n) =>
      html`<option value="${n.key}" data-variants="${JSON.stringify(n.variants.map((v) => ({ key: v.key, name: v.name })))}"${n.key === current ? html` selected` : ''}>${n.key}</option>`,
  );
  return html`<label class="field${invalid ? ' invalid' : ''}"><span>${say(w, 'workspace.experiment.nudge')}</span>
  <select name="nudge" data-variants-source${view.readOnly ? html` disabled` : ''}><option value="">—</option>${options}</select>
  ${view.readOnly ? '' : html`<button type="submit" class="secondary" name="intent" value="fill-variants" data-fill-variants data-testid="fill-variants">${say(w, 'workspace.experiment.fillVariants')}</button>`}
  <small>${say(w, 'workspace.experiment.nudgeHint')}</small>${fieldErrors(view, 'nudge')}</label>`;
}

/** A code's word in the reader's language (`kind.conversion`); a code the catalogue lacks as it is. */
const wordFor =
  (i: I18n, prefix: string) =>
  (code: string): string => {
    const key = `${prefix}.${code}`;
    return key in APP_CATALOGUES.en ? i.t(key as MessageKey) : code;
  };

function metricRows(view: FormView): SafeHtml {
  const i = wordsOf(view);
  const { t } = i;
  const rows = Array.from({ length: rowCount(view, 'metrics', 2) }, (_, n) => {
    const at = `metrics[${n}]`;
    return html`<fieldset class="metric" data-testid="metric-row-${n}"><legend>${say(i, 'workspace.metric.legend', { n: n + 1 })}</legend>
  ${textField(view, `${at}.key`, t('workspace.field.key'))}
  ${textField(view, `${at}.name`, t('workspace.field.name'))}
  ${selectField(view, `${at}.kind`, t('workspace.metric.kind'), metricKinds, true, wordFor(i, 'kind'))}
  ${selectField(view, `${at}.role`, t('workspace.metric.role'), metricRoles, true, wordFor(i, 'metricRole'))}
  ${textField(view, `${at}.event`, t('workspace.metric.event'), { hint: t('workspace.metric.eventHint') })}
  ${textField(view, `${at}.windowHours`, t('workspace.metric.windowHours'), { type: 'number', step: 'any' })}
  ${kindFields(view, at)}
  ${textField(view, `${at}.margin`, t('workspace.metric.margin'), { type: 'number', step: 'any' })}
  ${checkBox(view, `${at}.lowerIsBetter`, t('workspace.metric.lowerIsBetter'))}
  ${removeRowButton(view, 'metrics', n)}
</fieldset>`;
  });
  return html`<fieldset><legend>${say(i, 'workspace.metric.all')}</legend>${fieldErrors(view, 'metrics')}${rows}
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'metrics', t('workspace.metric.add'))}</p>`}</fieldset>`;
}

function qaRows(view: FormView): SafeHtml {
  const i = wordsOf(view);
  const rows = Array.from({ length: rowCount(view, 'qaOverrides', 1) }, (_, n) => {
    const at = `qaOverrides[${n}]`;
    return html`<tr><td>${textField(view, `${at}.customerId`, i.t('workspace.qa.customerId'))}</td><td>${textField(view, `${at}.variant`, i.t('workspace.qa.variant'))}</td><td>${removeRowButton(view, 'qaOverrides', n)}</td></tr>`;
  });
  return html`<fieldset><legend>${say(i, 'workspace.qa.legend')}</legend>${fieldErrors(view, 'qaOverrides')}<table class="rows"><tbody>${rows}</tbody></table>
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'qaOverrides', i.t('workspace.qa.add'))}</p>`}</fieldset>`;
}

/**
 * The prior on the primary metric. A template's prior is set by instantiate and carried through the
 * form as it is (hidden), so saving the form keeps it; choosing another source replaces it.
 */
function priorFields(view: FormView): SafeHtml {
  const i = wordsOf(view);
  const from = fieldValue(view, 'prior.from');
  const template = from === 'template';
  const kept = ['prior.template', 'prior.relativeLift', 'prior.sd', 'prior.publishedRelativeLift']
    .filter((name) => fieldValue(view, name) !== '')
    .map((name) => html`<input type="hidden" name="${name}" value="${fieldValue(view, name)}">`);
  const fromTemplate = template
    ? html` ${say(i, 'workspace.prior.fromTemplate')} <code data-testid="prior-template">${fieldValue(view, 'prior.template')}</code>: ${say(i, 'workspace.prior.templateFigures', { lift: fieldValue(view, 'prior.relativeLift'), sd: fieldValue(view, 'prior.sd') })}`
    : '';
  return html`<fieldset><legend>${say(i, 'workspace.prior.legend')}</legend>${fieldErrors(view, 'prior', true)}
  ${selectField(view, 'prior.from', i.t('workspace.prior.label'), template ? ['past-nudges', 'template', 'none'] : ['past-nudges', 'none'])}
  <p class="muted">${say(i, 'workspace.prior.explain')}${fromTemplate}</p>
  ${template && !view.readOnly ? kept : ''}</fieldset>`;
}

export interface ExperimentFormOptions {
  existing?: string;
  nudges: readonly NudgeChoice[];
}

export function experimentForm(view: FormView, opts: ExperimentFormOptions): SafeHtml {
  const i = wordsOf(view);
  const { t } = i;
  const body = html`${errorSummary(view)}
  <fieldset><legend>${say(i, 'workspace.experiment.legend')}</legend>
  ${opts.existing ? html`<input type="hidden" name="key" value="${opts.existing}"><p>${say(i, 'workspace.field.keyIs')} <code>${opts.existing}</code></p>` : textField(view, 'key', t('workspace.field.key'))}
  ${textField(view, 'name', t('workspace.field.name'))}
  ${nudgeField(view, opts.nudges)}
  ${textField(view, 'owner', t('workspace.experiment.owner'))}
  ${textArea(view, 'hypothesis', t('workspace.experiment.hypothesis'))}
  ${textField(view, 'control', t('workspace.experiment.control'))}
  </fieldset>
  ${variantRows(
    view,
    opts.nudges.find((n) => n.key === fieldValue(view, 'nudge')),
  )}
  <fieldset><legend>${say(i, 'workspace.experiment.who')}</legend>
  ${textField(view, 'coverage', t('workspace.experiment.coverage'), { type: 'number', step: 'any', hint: t('workspace.experiment.coverageHint') })}
  ${textField(view, 'unit', t('workspace.experiment.unit'), { placeholder: 'customerId' })}
  ${targetingRows(view)}
  ${textArea(view, 'targeting', t('workspace.experiment.targeting'), t('workspace.experiment.operators', { operators: conditionOperators.join(' ') }), true)}
  ${checkBox(view, 'overlap', t('workspace.experiment.overlap'))}
  </fieldset>
  ${metricRows(view)}
  <fieldset><legend>${say(i, 'workspace.decision.legend')}</legend>${fieldErrors(view, 'decision', true)}
  ${textField(view, 'decision.chanceToBeatControl', t('workspace.decision.chance'), { type: 'number', step: 'any' })}
  ${textField(view, 'decision.lossTolerance', t('workspace.decision.lossTolerance'), { type: 'number', step: 'any' })}
  ${textField(view, 'decision.harmThreshold', t('workspace.decision.harmThreshold'), { type: 'number', step: 'any' })}
  ${textField(view, 'decision.minSample', t('workspace.decision.minSample'), { type: 'number' })}
  ${textField(view, 'refreshSchedule', t('workspace.decision.refreshSchedule'))}
  </fieldset>
  ${priorFields(view)}
  ${qaRows(view)}`;
  const action = opts.existing
    ? `/dashboard/edit/experiment/${encodeURIComponent(opts.existing)}`
    : '/dashboard/edit/experiment';
  const submit = opts.existing ? t('workspace.experiment.save') : t('workspace.experiment.create');
  return formShell(view, action, body, submit, 'experiment-form');
}

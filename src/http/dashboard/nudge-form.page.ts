import { deliverAt, isValidTimeZone } from '../../domain/assignment/deliver-at.js';
import {
  framingPayloadSchema,
  type Nudge,
  type NudgeType,
  weekdaySchema,
} from '../../domain/schemas/nudge.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import {
  addRowButton,
  checkBox,
  errorSummary,
  type FormView,
  fieldErrors,
  formShell,
  removeRowButton,
  rowCount,
  selectField,
  textArea,
  textField,
  wordsOf,
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

/** The payload inputs of one variant, per nudge type (a new type adds one entry here). */
const payloadFields: Record<NudgeType, (view: FormView, at: string, t: I18n['t']) => SafeHtml> = {
  default: (view, at, t) => html`${textField(view, `${at}.option`, t('workspace.nudge.option'))}
    ${selectField(view, `${at}.mode`, t('workspace.nudge.mode'), ['opt-in', 'opt-out'])}
    ${textField(view, `${at}.label`, t('workspace.nudge.label'))}`,
  framing: (
    view,
    at,
    t,
  ) => html`${selectField(view, `${at}.frame`, t('workspace.nudge.frame'), framingPayloadSchema.shape.frame.options)}
    ${textArea(view, `${at}.message`, t('workspace.nudge.message'))}`,
  timing: (
    view,
    at,
    t,
  ) => html`${textField(view, `${at}.delayMinutes`, t('workspace.nudge.delayMinutes'), { type: 'number' })}
    ${textField(view, `${at}.localHour`, t('workspace.nudge.localHour'), { type: 'number' })}
    <fieldset class="weekdays"><legend>${say(wordsOf(view), 'workspace.nudge.weekdays')}</legend>${weekdaySchema.options.map((d) => checkBox(view, `${at}.weekdays`, d, d))}${fieldErrors(view, `${at}.weekdays`)}</fieldset>
    ${textArea(view, `${at}.message`, t('workspace.nudge.message'))}`,
  reminder: (view, at, t) => html`${textArea(view, `${at}.message`, t('workspace.nudge.message'))}
    ${textField(view, `${at}.afterHours`, t('workspace.nudge.afterHours'), { type: 'number', step: 'any' })}
    ${textField(view, `${at}.maxReminders`, t('workspace.nudge.maxReminders'), { type: 'number' })}`,
  'social-proof': (view, at, t) => html`${textArea(view, `${at}.message`, t('workspace.nudge.message'))}
    ${textField(view, `${at}.statistic`, t('workspace.nudge.statistic'))}`,
};

export interface NudgeFormOptions {
  type: NudgeType;
  existing?: string;
  /** Touchpoint keys to choose from. */
  touchpoints: readonly string[];
}

export function nudgeForm(view: FormView, opts: NudgeFormOptions): SafeHtml {
  const i = wordsOf(view);
  const { t } = i;
  const rows = Array.from({ length: Math.max(rowCount(view, 'variants', 1), 2) }, (_, n) => {
    const at = `variants[${n}]`;
    return html`<fieldset class="variant" data-testid="variant-row-${n}"><legend>${say(i, 'workspace.nudge.variant', { n: n + 1 })}</legend>
  ${textField(view, `${at}.key`, t('workspace.field.key'), { placeholder: n === 0 ? 'control' : 'treatment' })}
  ${textField(view, `${at}.name`, t('workspace.field.name'))}
  ${payloadFields[opts.type](view, `${at}.payload`, t)}${fieldErrors(view, `${at}.payload`)}
  ${removeRowButton(view, 'variants', n)}
</fieldset>`;
  });
  const body = html`${errorSummary(view)}
  <input type="hidden" name="type" value="${opts.type}">
  ${opts.existing ? html`<input type="hidden" name="key" value="${opts.existing}"><p>${say(i, 'workspace.field.keyIs')} <code>${opts.existing}</code> · ${say(i, 'workspace.nudge.typeIs')} <strong>${opts.type}</strong></p>` : textField(view, 'key', t('workspace.field.key'))}
  ${selectField(view, 'touchpoint', t('workspace.nudge.touchpoint'), opts.touchpoints)}
  ${textField(view, 'name', t('workspace.field.name'))}
  ${textArea(view, 'principle', t('workspace.nudge.principle'), t('workspace.nudge.principleHint'))}
  ${textArea(view, 'description', t('workspace.field.description'))}
  <h3>${say(i, 'workspace.nudge.variants')}</h3>${fieldErrors(view, 'variants')}
  ${rows}
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'variants', t('workspace.field.addVariant'))}</p>`}`;
  const action = opts.existing
    ? `/dashboard/edit/nudge/${encodeURIComponent(opts.existing)}`
    : `/dashboard/edit/nudge`;
  const submit = opts.existing ? t('workspace.nudge.save') : t('workspace.nudge.create');
  return formShell(view, action, body, submit, 'nudge-form');
}

/** What each variant shows, as a customer would see it; timing nudges with their delivery time. */
export function nudgePreview(nudge: Nudge, timeZone: string, at: Date, i: I18n = ENGLISH_I18N): SafeHtml {
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const cards = nudge.variants.map((v) => {
    const p = v.payload as Record<string, unknown>;
    let shows: SafeHtml;
    if (nudge.type === 'default') {
      shows = html`<p>${say(i, 'workspace.preview.preselected')} <strong>${String(p.option)}</strong> (${String(p.mode)})</p>${p.label ? html`<p>${String(p.label)}</p>` : ''}`;
    } else if (nudge.type === 'timing') {
      const when = deliverAt(
        at,
        p as { delayMinutes?: number; localHour?: number; weekdays?: string[] },
        zone,
      );
      shows = html`<p data-testid="deliver-at-${v.key}">${say(i, 'workspace.preview.deliveredAt')} <time>${when.toISOString()}</time> (${zone})</p>${p.message ? html`<p>${String(p.message)}</p>` : ''}`;
    } else {
      shows = html`${p.frame ? html`<span class="badge">${String(p.frame)}</span>` : ''}<p class="message">${String(p.message ?? '')}</p>${p.statistic ? html`<p>${String(p.statistic)}</p>` : ''}`;
    }
    return html`<article class="preview-card" data-testid="preview-${v.key}"><h4>${v.name} <code>${v.key}</code></h4>${shows}</article>`;
  });
  const timing =
    nudge.type === 'timing'
      ? html`<form method="get" class="inline" data-testid="deliver-at-form">
  <label>${say(i, 'workspace.preview.timeZone')} <input name="timeZone" value="${zone}"></label>
  <label>${say(i, 'workspace.preview.chosenTime')} <input name="at" value="${at.toISOString()}"></label>
  <button type="submit">${say(i, 'workspace.preview.submit')}</button>
</form>`
      : '';
  return html`<section class="preview" data-testid="variant-preview"><h2>${say(i, 'workspace.preview.title')}</h2>${timing}<div class="cards">${cards}</div></section>`;
}

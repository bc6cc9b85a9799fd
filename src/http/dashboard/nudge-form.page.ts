import { deliverAt, isValidTimeZone } from '../../domain/assignment/deliver-at.js';
import {
  framingPayloadSchema,
  type Nudge,
  type NudgeType,
  weekdaySchema,
} from '../../domain/schemas/nudge.schema.js';
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
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';

/** The payload inputs of one variant, per nudge type (a new type adds one entry here). */
const payloadFields: Record<NudgeType, (view: FormView, at: string) => SafeHtml> = {
  default: (view, at) => html`${textField(view, `${at}.option`, 'Pre-selected option')}
    ${selectField(view, `${at}.mode`, 'Opt-in or opt-out', ['opt-in', 'opt-out'])}
    ${textField(view, `${at}.label`, 'Label')}`,
  framing: (
    view,
    at,
  ) => html`${selectField(view, `${at}.frame`, 'Frame', framingPayloadSchema.shape.frame.options)}
    ${textArea(view, `${at}.message`, 'Message')}`,
  timing: (view, at) => html`${textField(view, `${at}.delayMinutes`, 'Delay (minutes)', { type: 'number' })}
    ${textField(view, `${at}.localHour`, 'Local hour (0-23)', { type: 'number' })}
    <fieldset class="weekdays"><legend>Weekdays</legend>${weekdaySchema.options.map((d) => checkBox(view, `${at}.weekdays`, d, d))}${fieldErrors(view, `${at}.weekdays`)}</fieldset>
    ${textArea(view, `${at}.message`, 'Message')}`,
  reminder: (view, at) => html`${textArea(view, `${at}.message`, 'Message')}
    ${textField(view, `${at}.afterHours`, 'After (hours)', { type: 'number', step: 'any' })}
    ${textField(view, `${at}.maxReminders`, 'At most (reminders)', { type: 'number' })}`,
  'social-proof': (view, at) => html`${textArea(view, `${at}.message`, 'Message')}
    ${textField(view, `${at}.statistic`, 'Statistic')}`,
};

export interface NudgeFormOptions {
  type: NudgeType;
  existing?: string;
  /** Touchpoint keys to choose from. */
  touchpoints: readonly string[];
}

export function nudgeForm(view: FormView, opts: NudgeFormOptions): SafeHtml {
  const rows = Array.from({ length: Math.max(rowCount(view, 'variants', 1), 2) }, (_, i) => {
    const at = `variants[${i}]`;
    return html`<fieldset class="variant" data-testid="variant-row-${i}"><legend>Variant ${i + 1}</legend>
  ${textField(view, `${at}.key`, 'Key', { placeholder: i === 0 ? 'control' : 'treatment' })}
  ${textField(view, `${at}.name`, 'Name')}
  ${payloadFields[opts.type](view, `${at}.payload`)}${fieldErrors(view, `${at}.payload`)}
  ${removeRowButton(view, 'variants', i)}
</fieldset>`;
  });
  const body = html`${errorSummary(view)}
  <input type="hidden" name="type" value="${opts.type}">
  ${opts.existing ? html`<input type="hidden" name="key" value="${opts.existing}"><p>Key: <code>${opts.existing}</code> · type <strong>${opts.type}</strong></p>` : textField(view, 'key', 'Key')}
  ${selectField(view, 'touchpoint', 'Touchpoint', opts.touchpoints)}
  ${textField(view, 'name', 'Name')}
  ${textArea(view, 'principle', 'Behavioural principle', 'why it should work, e.g. loss aversion')}
  ${textArea(view, 'description', 'Description')}
  <h3>Variants</h3>${fieldErrors(view, 'variants')}
  ${rows}
  ${view.readOnly ? '' : html`<p class="row-actions">${addRowButton(view, 'variants', 'Add a variant')}</p>`}`;
  const action = opts.existing
    ? `/dashboard/edit/nudge/${encodeURIComponent(opts.existing)}`
    : `/dashboard/edit/nudge`;
  return formShell(view, action, body, opts.existing ? 'Save nudge' : 'Create nudge', 'nudge-form');
}

/** What each variant shows, as a customer would see it; timing nudges with their delivery time. */
export function nudgePreview(nudge: Nudge, timeZone: string, at: Date): SafeHtml {
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const cards = nudge.variants.map((v) => {
    const p = v.payload as Record<string, unknown>;
    let shows: SafeHtml;
    if (nudge.type === 'default') {
      shows = html`<p>Pre-selected: <strong>${String(p.option)}</strong> (${String(p.mode)})</p>${p.label ? html`<p>${String(p.label)}</p>` : ''}`;
    } else if (nudge.type === 'timing') {
      const when = deliverAt(
        at,
        p as { delayMinutes?: number; localHour?: number; weekdays?: string[] },
        zone,
      );
      shows = html`<p data-testid="deliver-at-${v.key}">Delivered at <time>${when.toISOString()}</time> (${zone})</p>${p.message ? html`<p>${String(p.message)}</p>` : ''}`;
    } else {
      shows = html`${p.frame ? html`<span class="badge">${String(p.frame)}</span>` : ''}<p class="message">${String(p.message ?? '')}</p>${p.statistic ? html`<p>${String(p.statistic)}</p>` : ''}`;
    }
    return html`<article class="preview-card" data-testid="preview-${v.key}"><h4>${v.name} <code>${v.key}</code></h4>${shows}</article>`;
  });
  const timing =
    nudge.type === 'timing'
      ? html`<form method="get" class="inline" data-testid="deliver-at-form">
  <label>Time zone <input name="timeZone" value="${zone}"></label>
  <label>Chosen time (UTC) <input name="at" value="${at.toISOString()}"></label>
  <button type="submit">Preview delivery</button>
</form>`
      : '';
  return html`<section class="preview" data-testid="variant-preview"><h2>Preview</h2>${timing}<div class="cards">${cards}</div></section>`;
}

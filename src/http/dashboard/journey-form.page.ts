import { channelSchema } from '../../domain/schemas/common.schema.js';
import {
  addRowButton,
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

export const channels = channelSchema.options;

/** A journey and its ordered stages: rows in order, a button to add one, one per row to remove it. */
export function journeyForm(view: FormView, existing?: string): SafeHtml {
  const rows = Array.from({ length: Math.max(rowCount(view, 'stages', 2), 1) }, (_, i) => {
    const at = `stages[${i}]`;
    return html`<tr data-testid="stage-row-${i}"><td>${i + 1}</td>
  <td>${textField(view, `${at}.key`, 'Key', { placeholder: 'discover' })}</td>
  <td>${textField(view, `${at}.name`, 'Name', { placeholder: 'Discover' })}</td>
  <td>${removeRowButton(view, 'stages', i)}</td></tr>`;
  });
  const body = html`${errorSummary(view)}
  ${existing ? html`<input type="hidden" name="key" value="${existing}">` : ''}
  <fieldset><legend>Journey</legend>
  ${existing ? html`<p>Key: <code>${existing}</code></p>` : textField(view, 'key', 'Key', { hint: 'lower-case, e.g. home-loan' })}
  ${textField(view, 'name', 'Name')}
  ${textField(view, 'industry', 'Industry')}
  ${textArea(view, 'description', 'Description')}
  </fieldset>
  <fieldset><legend>Stages, in order</legend>${fieldErrors(view, 'stages')}
  <table class="rows"><tbody>${rows}</tbody></table>
  ${view.readOnly ? '' : html`<p class="hint row-actions">${addRowButton(view, 'stages', 'Add a stage')} A blank row adds no stage; nothing is saved until you save.</p>`}
  </fieldset>`;
  const action = existing
    ? `/dashboard/edit/journey/${encodeURIComponent(existing)}`
    : '/dashboard/edit/journey';
  return formShell(view, action, body, existing ? 'Save journey' : 'Create journey', 'journey-form');
}

/** A touchpoint in a stage, with its channel. */
export function touchpointForm(view: FormView, existing?: string): SafeHtml {
  const body = html`${errorSummary(view)}
  ${existing ? html`<input type="hidden" name="key" value="${existing}"><p>Key: <code>${existing}</code></p>` : textField(view, 'key', 'Key', { hint: 'e.g. home-loan.apply.payment-plan' })}
  ${textField(view, 'journey', 'Journey key')}
  ${textField(view, 'stage', 'Stage key')}
  ${selectField(view, 'channel', 'Channel', channels)}
  ${textField(view, 'name', 'Name')}
  ${textArea(view, 'description', 'Description')}`;
  const action = existing
    ? `/dashboard/edit/touchpoint/${encodeURIComponent(existing)}`
    : '/dashboard/edit/touchpoint';
  return formShell(view, action, body, existing ? 'Save touchpoint' : 'Add touchpoint', 'touchpoint-form');
}

/** The small form in a stage column of the journey map. */
export function stageTouchpointForm(csrf: string, journey: string, stage: string): SafeHtml {
  return html`<form method="post" action="/dashboard/edit/touchpoint" class="add-touchpoint" data-testid="add-touchpoint-${stage}">
  <input type="hidden" name="csrf" value="${csrf}">
  <input type="hidden" name="journey" value="${journey}">
  <input type="hidden" name="stage" value="${stage}">
  <input type="hidden" name="from" value="map">
  <label>Key <input name="key" placeholder="${journey}.${stage}.name"></label>
  <label>Name <input name="name"></label>
  <label>Channel <select name="channel">${channels.map((c) => html`<option value="${c}">${c}</option>`)}</select></label>
  <button type="submit">Add touchpoint</button>
</form>`;
}

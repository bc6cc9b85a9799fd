import { channelSchema } from '../../domain/schemas/common.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
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
  wordsOf,
} from './form-fields.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

export const channels = channelSchema.options;

/** A journey and its ordered stages: rows in order, a button to add one, one per row to remove it. */
export function journeyForm(view: FormView, existing?: string): SafeHtml {
  const i = wordsOf(view);
  const { t } = i;
  const rows = Array.from({ length: Math.max(rowCount(view, 'stages', 2), 1) }, (_, n) => {
    const at = `stages[${n}]`;
    return html`<tr data-testid="stage-row-${n}"><td>${n + 1}</td>
  <td>${textField(view, `${at}.key`, t('workspace.field.key'), { placeholder: 'discover' })}</td>
  <td>${textField(view, `${at}.name`, t('workspace.field.name'), { placeholder: t('workspace.journey.stageNamePlaceholder') })}</td>
  <td>${removeRowButton(view, 'stages', n)}</td></tr>`;
  });
  const body = html`${errorSummary(view)}
  ${existing ? html`<input type="hidden" name="key" value="${existing}">` : ''}
  <fieldset><legend>${say(i, 'workspace.journey.legend')}</legend>
  ${existing ? html`<p>${say(i, 'workspace.field.keyIs')} <code>${existing}</code></p>` : textField(view, 'key', t('workspace.field.key'), { hint: t('workspace.journey.keyHint') })}
  ${textField(view, 'name', t('workspace.field.name'))}
  ${textField(view, 'industry', t('workspace.journey.industry'))}
  ${textArea(view, 'description', t('workspace.field.description'))}
  </fieldset>
  <fieldset><legend>${say(i, 'workspace.journey.stages')}</legend>${fieldErrors(view, 'stages')}
  <table class="rows"><tbody>${rows}</tbody></table>
  ${view.readOnly ? '' : html`<p class="hint row-actions">${addRowButton(view, 'stages', t('workspace.journey.addStage'))} ${say(i, 'workspace.journey.blankRow')}</p>`}
  </fieldset>`;
  const action = existing
    ? `/dashboard/edit/journey/${encodeURIComponent(existing)}`
    : '/dashboard/edit/journey';
  const submit = existing ? t('workspace.journey.save') : t('workspace.journey.create');
  return formShell(view, action, body, submit, 'journey-form');
}

/** A touchpoint in a stage, with its channel. */
export function touchpointForm(view: FormView, existing?: string): SafeHtml {
  const i = wordsOf(view);
  const { t } = i;
  const body = html`${errorSummary(view)}
  ${existing ? html`<input type="hidden" name="key" value="${existing}"><p>${say(i, 'workspace.field.keyIs')} <code>${existing}</code></p>` : textField(view, 'key', t('workspace.field.key'), { hint: t('workspace.touchpoint.keyHint') })}
  ${textField(view, 'journey', t('workspace.touchpoint.journey'))}
  ${textField(view, 'stage', t('workspace.touchpoint.stage'))}
  ${selectField(view, 'channel', t('workspace.touchpoint.channel'), channels)}
  ${textField(view, 'name', t('workspace.field.name'))}
  ${textArea(view, 'description', t('workspace.field.description'))}`;
  const action = existing
    ? `/dashboard/edit/touchpoint/${encodeURIComponent(existing)}`
    : '/dashboard/edit/touchpoint';
  const submit = existing ? t('workspace.touchpoint.save') : t('workspace.touchpoint.add');
  return formShell(view, action, body, submit, 'touchpoint-form');
}

/** The small form in a stage column of the journey map. */
export function stageTouchpointForm(
  csrf: string,
  journey: string,
  stage: string,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  return html`<form method="post" action="/dashboard/edit/touchpoint" class="add-touchpoint" data-testid="add-touchpoint-${stage}">
  <input type="hidden" name="csrf" value="${csrf}">
  <input type="hidden" name="journey" value="${journey}">
  <input type="hidden" name="stage" value="${stage}">
  <input type="hidden" name="from" value="map">
  <label>${say(i, 'workspace.field.key')} <input name="key" placeholder="${journey}.${stage}.name"></label>
  <label>${say(i, 'workspace.field.name')} <input name="name"></label>
  <label>${say(i, 'workspace.touchpoint.channel')} <select name="channel">${channels.map((c) => html`<option value="${c}">${c}</option>`)}</select></label>
  <button type="submit">${say(i, 'workspace.touchpoint.add')}</button>
</form>`;
}

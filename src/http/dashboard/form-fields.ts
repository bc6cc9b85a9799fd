import type { FieldIssue } from '../../domain/errors.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import type { FormBody } from './form-data.js';
import { html, type SafeHtml } from './html.js';
import { say } from './say.js';

/** What every workspace form is drawn from: the values shown, the errors, and whether it may be edited. */
export interface FormView {
  values: FormBody;
  issues: FieldIssue[];
  /** Viewers and file-managed definitions: the same page, no inputs to change, no buttons. */
  readOnly: boolean;
  csrf: string;
  /** A message without a field (a lifecycle rule, a conflict). */
  message?: string;
  /** A note that is not an error (rows added, variants filled in): nothing was stored. */
  notice?: string;
  /**
   * Rows per list when the form is drawn again from what was posted: the rows shown then, one
   * more or one fewer, with no spare rows added on top.
   */
  rows?: Readonly<Record<string, number>>;
  /** The reader's language, which the form's own words are in; English when absent. */
  i18n?: I18n;
}

/** The language a form is drawn in. */
export const wordsOf = (view: FormView): I18n => view.i18n ?? ENGLISH_I18N;

/** A stored definition as form values, under the same names the form posts. */
export function flatten(value: unknown, prefix = '', out: FormBody = {}): FormBody {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) out[prefix] = value as string[];
    else
      value.forEach((v, i) => {
        flatten(v, `${prefix}[${i}]`, out);
      });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined && value !== null) {
    out[prefix] = String(value);
  }
  return out;
}

export function fieldValue(view: FormView, name: string): string {
  const v = view.values[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

export function valuesOf(view: FormView, name: string): string[] {
  const v = view.values[name];
  return Array.isArray(v) ? v : v ? [v] : [];
}

/** How many rows a list shows: those stored plus spare blank ones, or as many as the form asked for. */
export function rowCount(view: FormView, list: string, spare: number): number {
  const asked = view.rows?.[list];
  if (asked !== undefined && !view.readOnly) return asked;
  const re = new RegExp(`^${list.replace(/[.[\]]/g, '\\$&')}\\[(\\d+)\\]`);
  let n = 0;
  for (const name of Object.keys(view.values)) {
    const m = re.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return view.readOnly ? n : n + spare;
}

/** The errors of one field, shown beside it; `deep` also takes those of the fields inside it. */
export function fieldErrors(view: FormView, name: string, deep = false): SafeHtml {
  const mine = view.issues.filter(
    (i) => i.path === name || (deep && (i.path.startsWith(`${name}.`) || i.path.startsWith(`${name}[`))),
  );
  return html`${mine.map(
    (i) =>
      html`<span class="field-error" data-testid="field-error" data-field="${i.path}">${i.reason}</span>`,
  )}`;
}

/** Every error at the top as well, so none is missed whatever field it concerns. */
export function errorSummary(view: FormView): SafeHtml {
  const notice = view.notice
    ? html`<p class="alert notice" data-testid="form-notice" role="status">${view.notice}</p>`
    : '';
  if (!view.message && view.issues.length === 0) return html`${notice}`;
  return html`<div class="alert error" data-testid="form-errors" role="alert">
  ${view.message ? html`<p>${view.message}</p>` : ''}
  ${view.issues.length ? html`<ul>${view.issues.map((i) => html`<li><code>${i.path}</code>: ${i.reason}</li>`)}</ul>` : ''}
  <p>${say(wordsOf(view), 'workspace.form.nothingChanged')}</p>
</div>`;
}

interface FieldOptions {
  type?: 'text' | 'number' | 'datetime-local';
  step?: string;
  hint?: string;
  placeholder?: string;
}

export function textField(view: FormView, name: string, label: string, opts: FieldOptions = {}): SafeHtml {
  const invalid = view.issues.some((i) => i.path === name);
  return html`<label class="field${invalid ? ' invalid' : ''}"><span>${label}</span>
  <input name="${name}" type="${opts.type ?? 'text'}" value="${fieldValue(view, name)}"${opts.step ? html` step="${opts.step}"` : ''}${opts.placeholder ? html` placeholder="${opts.placeholder}"` : ''}${view.readOnly ? html` readonly` : ''} aria-invalid="${invalid ? 'true' : 'false'}">
  ${opts.hint ? html`<small>${opts.hint}</small>` : ''}${fieldErrors(view, name)}</label>`;
}

export function textArea(view: FormView, name: string, label: string, hint?: string, deep = false): SafeHtml {
  const invalid = view.issues.some((i) => i.path === name || (deep && i.path.startsWith(`${name}.`)));
  return html`<label class="field wide${invalid ? ' invalid' : ''}"><span>${label}</span>
  <textarea name="${name}" rows="3"${view.readOnly ? html` readonly` : ''}>${fieldValue(view, name)}</textarea>
  ${hint ? html`<small>${hint}</small>` : ''}${fieldErrors(view, name, deep)}</label>`;
}

export function selectField(
  view: FormView,
  name: string,
  label: string,
  options: readonly string[],
  blank = true,
  /** What a reader is shown for an option whose value is a code; the code itself when absent. */
  labelOf?: (option: string) => string,
): SafeHtml {
  const current = fieldValue(view, name);
  const invalid = view.issues.some((i) => i.path === name);
  return html`<label class="field${invalid ? ' invalid' : ''}"><span>${label}</span>
  <select name="${name}"${view.readOnly ? html` disabled` : ''}>
    ${blank ? html`<option value="">—</option>` : ''}
    ${options.map((o) => html`<option value="${o}"${o === current ? html` selected` : ''}>${labelOf ? labelOf(o) : o}</option>`)}
  </select>${fieldErrors(view, name)}</label>`;
}

export function checkBox(view: FormView, name: string, label: string, value = 'on'): SafeHtml {
  const on = valuesOf(view, name).some((v) => v === value || (value === 'on' && v === 'true'));
  return html`<label class="check"><input type="checkbox" name="${name}" value="${value}"${on ? html` checked` : ''}${view.readOnly ? html` disabled` : ''}> ${label}</label>`;
}

/**
 * A submit that draws the form again with one more empty row in `list`, keeping what was entered
 * and storing nothing (so rows are added before the first save, and without script).
 */
export function addRowButton(view: FormView, list: string, label: string): SafeHtml {
  if (view.readOnly) return html``;
  return html`<button type="submit" class="row-add" name="intent" value="add:${list}" data-testid="add-${list}">${label}</button>`;
}

/** A submit that draws the form again without row `index` of `list`; nothing is stored. */
export function removeRowButton(view: FormView, list: string, index: number): SafeHtml {
  if (view.readOnly) return html``;
  return html`<button type="submit" class="row-remove" name="intent" value="remove:${list}[${index}]" data-testid="remove-${list}-${index}" aria-label="${wordsOf(view).t('workspace.form.removeRow', { n: index + 1 })}">${say(wordsOf(view), 'workspace.form.remove')}</button>`;
}

/** The form element with its CSRF token; a read-only view is the same fields with nothing to post. */
export function formShell(
  view: FormView,
  action: string,
  body: SafeHtml,
  submit: string,
  testId: string,
): SafeHtml {
  if (view.readOnly) {
    return html`<div class="workspace-form read-only" data-testid="${testId}">${body}</div>`;
  }
  // Enter in a field presses the first submit button: this one, so it saves rather than adds a row.
  return html`<form method="post" action="${action}" class="workspace-form" data-testid="${testId}">
  <button type="submit" class="default-action" tabindex="-1" aria-hidden="true">${submit}</button>
  <input type="hidden" name="csrf" value="${view.csrf}">
  ${fieldValue(view, 'version') ? html`<input type="hidden" name="version" value="${fieldValue(view, 'version')}">` : ''}
  ${body}
  <p><button type="submit" data-testid="save">${submit}</button></p>
</form>`;
}

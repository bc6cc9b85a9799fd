import type { Response } from 'express';
import { DomainError, errorCatalogue } from '../../domain/errors.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { type FormBody, fieldIssues, formValue } from './form-data.js';
import type { FormView } from './form-fields.js';
import { type FormIntent, intentOf, postedRows, withNudgeVariants, withoutRow } from './form-rows.js';
import { pageReply } from './page-reply.js';
import { formPage, readerOf, who } from './workspace-context.js';
import type { Kind, WorkspaceServices } from './workspace-kinds.js';

/** How the workspace's forms answer other than with a save: drawn again, as entered. */
export function formReplies(services: WorkspaceServices) {
  /** The variant keys of a nudge, or the field issue that says why there are none. */
  async function nudgeVariants(key: string | undefined, i: I18n = ENGLISH_I18N): Promise<string[] | string> {
    if (!key?.trim()) return i.t('workspace.fill.chooseNudge');
    const nudge = await services.nudges.repo.getByKey(key.trim());
    return nudge ? nudge.variants.map((v) => v.key) : i.t('workspace.fill.noNudge', { key: key.trim() });
  }

  /**
   * The form drawn again for an intent other than save: one more row, one fewer, or the nudge's
   * variants, with everything else as entered. Nothing is stored.
   */
  async function redraw(res: Response, kind: Kind, posted: FormBody, intent: FormIntent, existing?: string) {
    const i = readerOf(res);
    const { intent: _intent, ...entered } = posted;
    let values: FormBody = entered;
    const rows = postedRows(entered);
    const issues: FormView['issues'] = [];
    let notice: string;
    if (intent.kind === 'add') {
      rows[intent.list] = (rows[intent.list] ?? 0) + 1;
      notice = i.t('workspace.fill.rowAdded');
    } else if (intent.kind === 'remove') {
      values = withoutRow(entered, intent.list, intent.index);
      rows[intent.list] = Math.max(0, (rows[intent.list] ?? 1) - 1);
      notice = i.t('workspace.fill.rowRemoved');
    } else {
      const keys = await nudgeVariants(formValue(entered, 'nudge'), i);
      if (typeof keys === 'string') {
        issues.push({ path: 'nudge', reason: keys });
        notice = '';
      } else {
        values = withNudgeVariants(entered, keys);
        rows.variants = keys.length;
        notice = i.t('workspace.fill.variantsOf', { nudge: formValue(entered, 'nudge')?.trim() ?? '' });
      }
    }
    const view: FormView = { values, issues, readOnly: false, csrf: who(res).csrf, rows };
    if (notice) view.notice = notice;
    const opts = { ...(existing ? { existing } : {}), nudgeType: formValue(entered, 'type'), canEdit: true };
    return pageReply(await formPage(services, res, kind, view, opts), issues.length > 0 ? 400 : 200);
  }

  /** Renders the form again with the posted values and the error beside its field. */
  async function refused(res: Response, kind: Kind, err: unknown, posted: FormBody, existing?: string) {
    if (!(err instanceof DomainError)) throw err;
    const status = errorCatalogue[err.code].status;
    if (status !== 400 && status !== 404 && status !== 409) throw err;
    const { csrf } = who(res);
    const { intent: _intent, ...values } = posted;
    const view: FormView = {
      values,
      issues: fieldIssues(err),
      readOnly: false,
      csrf,
      message: err.message,
      rows: postedRows(values),
    };
    const opts = { ...(existing ? { existing } : {}), nudgeType: formValue(posted, 'type'), canEdit: true };
    return pageReply(await formPage(services, res, kind, view, opts), status as 400 | 404 | 409);
  }

  /** A save, or another intent of the form; an intent the form does not know is a field error. */
  function intentOrRefusal(res: Response, kind: Kind, body: FormBody): FormIntent | undefined | DomainError {
    try {
      return intentOf(kind, body, readerOf(res));
    } catch (err) {
      if (err instanceof DomainError) return err;
      throw err;
    }
  }

  return { nudgeVariants, redraw, refused, intentOrRefusal };
}

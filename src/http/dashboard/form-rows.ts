import { validationError } from '../../domain/errors.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { type FormBody, formValue } from './form-data.js';
import type { Kind } from './workspace-kinds.js';

/**
 * What a submit button other than Save asks for. Each comes back as the same form with what was
 * entered and stores nothing, so adding a row never needs a save first and works without script.
 */
export type FormIntent =
  | { kind: 'add'; list: string }
  | { kind: 'remove'; list: string; index: number }
  | { kind: 'fill-variants' };

/** The lists of rows each form has. */
export const rowLists: Record<Kind, readonly string[]> = {
  journey: ['stages'],
  touchpoint: [],
  nudge: ['variants'],
  experiment: ['variants', 'targetingRules', 'metrics', 'qaOverrides'],
};

/** The intent a form posts in its `intent` field, or undefined for a save; an unknown one is a field error. */
export function intentOf(kind: Kind, form: FormBody, i: I18n = ENGLISH_I18N): FormIntent | undefined {
  const value = formValue(form, 'intent');
  if (value === undefined || value === '') return undefined;
  if (value === 'fill-variants' && kind === 'experiment') return { kind: 'fill-variants' };
  const add = /^add:([A-Za-z]+)$/.exec(value);
  const remove = /^remove:([A-Za-z]+)\[(\d{1,3})\]$/.exec(value);
  const list = add?.[1] ?? remove?.[1];
  if (list && rowLists[kind].includes(list)) {
    return remove ? { kind: 'remove', list, index: Number(remove[2]) } : { kind: 'add', list };
  }
  const reason = i.t('workspace.form.unknownIntent', { value });
  throw validationError([{ path: 'intent', reason }], `${reason}.`);
}

const rowName = /^([A-Za-z]+)\[(\d+)\](.*)$/;

/** Rows each list showed, as posted: every row posts at least one input, so the highest index + 1. */
export function postedRows(form: FormBody): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const name of Object.keys(form)) {
    const m = rowName.exec(name);
    if (m) rows[m[1]!] = Math.max(rows[m[1]!] ?? 0, Number(m[2]) + 1);
  }
  return rows;
}

/** The form without one row of a list; the rows after it move up one place. */
export function withoutRow(form: FormBody, list: string, index: number): FormBody {
  const out: FormBody = {};
  for (const [name, value] of Object.entries(form)) {
    const m = rowName.exec(name);
    if (!m || m[1] !== list) {
      out[name] = value;
      continue;
    }
    const at = Number(m[2]);
    if (at === index) continue;
    out[at > index ? `${list}[${at - 1}]${m[3]}` : name] = value;
  }
  return out;
}

/**
 * Equal weights that add up to exactly 1 at four decimals (the last takes what rounding left),
 * so three variants get 0.3333, 0.3333 and 0.3334 rather than a sum the weight rule refuses.
 */
export function equalWeights(n: number): string[] {
  if (n <= 0) return [];
  const each = Math.floor(10_000 / n);
  return Array.from({ length: n }, (_, i) => String((i === n - 1 ? 10_000 - each * (n - 1) : each) / 10_000));
}

/**
 * The experiment form with its variant rows replaced by the nudge's variants (keys, equal weights);
 * the control stays when it is one of them, else becomes `control` if the nudge has it, else the first.
 */
export function withNudgeVariants(form: FormBody, variantKeys: readonly string[]): FormBody {
  const out: FormBody = {};
  for (const [name, value] of Object.entries(form)) {
    if (rowName.exec(name)?.[1] !== 'variants') out[name] = value;
  }
  const weights = equalWeights(variantKeys.length);
  variantKeys.forEach((key, i) => {
    out[`variants[${i}].key`] = key;
    out[`variants[${i}].weight`] = weights[i]!;
  });
  const control = formValue(form, 'control')?.trim() ?? '';
  if (!variantKeys.includes(control) && variantKeys.length > 0) {
    out.control = variantKeys.includes('control') ? 'control' : variantKeys[0]!;
  }
  return out;
}

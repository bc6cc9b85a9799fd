import { z } from 'zod';
import { DomainError, type FieldIssue } from '../../domain/errors.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';

/**
 * A urlencoded form as the workspace's forms post it: field names are the domain's field paths
 * (`variants[0].weight`, `decision.minSample`), so a domain error's path names the field it concerns.
 */
export const formBodySchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
export type FormBody = z.infer<typeof formBodySchema>;

/** Fields posted as text that the schemas want as numbers or booleans. */
const NUMBERS = new Set([
  'weight',
  'coverage',
  'windowHours',
  'margin',
  'chanceToBeatControl',
  'lossTolerance',
  'harmThreshold',
  'minSample',
  'delayMinutes',
  'localHour',
  'afterHours',
  'maxReminders',
  // metric kinds' options (winsorisation percentile, ordinal scale ends)
  'percentile',
  'min',
  'max',
  'relativeLift',
  'sd',
  'publishedRelativeLift',
]);
const BOOLEANS = new Set(['overlap', 'lowerIsBetter', 'split', 'ignoreZeros']);
/** Always lists, even with one box ticked. */
const LISTS = new Set(['weekdays']);
/** Form-only fields, never part of a definition. */
const CONTROL = new Set(['csrf', 'version', 'action', 'from', 'timeZone', 'previewAt', 'intent']);

type Tree = { [k: string]: Tree | Tree[] | string | string[] | undefined };

function segments(name: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of name.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  }
  return out;
}

/** Rebuilds the nested value from dotted names; row indices become array positions. */
export function nestForm(form: FormBody): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(form)) {
    const parts = segments(name);
    if (parts.length === 0 || CONTROL.has(String(parts[0]))) continue;
    // Names such as `__proto__` cannot reach an object through a form.
    if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) continue;
    let node: Record<string | number, unknown> = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      const nextIsIndex = typeof parts[i + 1] === 'number';
      if (node[part] === undefined) node[part] = nextIsIndex ? [] : {};
      node = node[part] as Record<string | number, unknown>;
    });
  }
  // A form with every field blank is an empty definition (the schema names what is missing), not nothing.
  return (clean(root) ?? {}) as Record<string, unknown>;
}

/**
 * Blank inputs are left out (so defaults apply and blank spare rows vanish), numbers and ticked
 * boxes get their types; a value that is not a number stays text so the schema names the field.
 */
function clean(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    const t = value.trim();
    if (BOOLEANS.has(key)) return t === 'on' || t === 'true';
    if (t === '') return undefined;
    if (NUMBERS.has(key) && Number.isFinite(Number(t))) return Number(t);
    return LISTS.has(key) ? [t] : t;
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      const kept = value.map((v) => v.trim()).filter((v) => v !== '');
      return kept.length ? kept : undefined;
    }
    const rows = value.map((v) => clean(v)).filter((v) => v !== undefined);
    return rows.length ? rows : undefined;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Tree)
      .map(([k, v]) => [k, clean(v, k)] as const)
      .filter(([, v]) => v !== undefined);
    const meaningful = entries.filter(([k, v]) => !(BOOLEANS.has(k) && v === false));
    return meaningful.length ? Object.fromEntries(entries) : undefined;
  }
  return undefined;
}

/** A text field holding JSON (targeting); a parse failure is a field error like any other. */
export function jsonField(text: unknown, path: string, i: I18n = ENGLISH_I18N): unknown {
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // The example is code, so it goes in as a value: braces are syntax in a catalogue message.
    const example = '{"country": {"$in": ["NL", "BE"]}}';
    throw new DomainError('validation_failed', i.t('workspace.rules.invalidForm'), {
      fields: [{ path, reason: i.t('workspace.form.notJson', { example }) }],
    });
  }
}

/** The first posted value of a control field. */
export function formValue(form: FormBody, name: string): string | undefined {
  const v = form[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The field issues a domain error carries, or none. */
export function fieldIssues(err: DomainError): FieldIssue[] {
  const fields = (err.details as { fields?: unknown } | undefined)?.fields;
  return Array.isArray(fields) ? (fields as FieldIssue[]) : [];
}

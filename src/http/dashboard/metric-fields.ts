/**
 * The fields of a metric row that belong to one kind or another, drawn from the kinds' own
 * definition schemas in the registry: a new kind's options appear in the workspace without a line
 * here. A field several kinds share (aggregation) is one input, its label naming the kinds.
 */
import type { z } from 'zod';
import { APP_CATALOGUES, type MessageKey } from '../../i18n/index.js';
import { metricKindModules } from '../../metrics/registry.js';
import { checkBox, type FormView, selectField, textField, wordsOf } from './form-fields.js';
import { html, type SafeHtml } from './html.js';

interface Leaf {
  path: string;
  widget: 'select' | 'number' | 'check' | 'text';
  options: string[];
  kinds: string[];
  hint?: string;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let t = s;
  for (let d = defOf(t); (d.type === 'optional' || d.type === 'default') && d.innerType; d = defOf(t)) {
    t = d.innerType;
  }
  return t;
}

function leaves(
  shape: Record<string, z.ZodType>,
  prefix: string,
  kind: string,
  out: Map<string, Leaf>,
): void {
  for (const [name, field] of Object.entries(shape)) {
    if (!prefix && (name === 'kind' || name === 'event')) continue;
    const path = prefix ? `${prefix}.${name}` : name;
    const inner = unwrap(field);
    const d = defOf(inner);
    if (d.type === 'object' && d.shape) {
      leaves(d.shape, path, kind, out);
      continue;
    }
    const widget =
      d.type === 'enum' ? 'select' : d.type === 'number' ? 'number' : d.type === 'boolean' ? 'check' : 'text';
    const leaf = out.get(path) ?? { path, widget, options: [], kinds: [] };
    leaf.kinds.push(kind);
    for (const o of Object.values(d.entries ?? {})) if (!leaf.options.includes(o)) leaf.options.push(o);
    const hint = field.description ?? inner.description;
    if (hint && !leaf.hint) leaf.hint = hint;
    out.set(path, leaf);
  }
}

const all = new Map<string, Leaf>();
for (const k of metricKindModules) leaves(k.fields as Record<string, z.ZodType>, '', k.kind, all);

/** The kinds' fields whose input shows a hint, with the hint as their schema describes it. */
export const kindFieldHints: ReadonlyMap<string, string> = new Map(
  [...all.values()].flatMap((f) =>
    f.hint && (f.widget === 'text' || f.widget === 'number') ? [[f.path, f.hint] as const] : [],
  ),
);

/**
 * A field's hint in the reader's language: the catalogue words it under the field's path; a new
 * kind's field the catalogue does not know yet keeps its schema's English description.
 */
function hintOf(f: Leaf, view: FormView): string | undefined {
  const key = `workspace.metricHint.${f.path}`;
  return key in APP_CATALOGUES.en ? wordsOf(view).t(key as MessageKey) : f.hint;
}

/** The kind-specific inputs of one metric row (`at` is its name prefix, `metrics[0]`). */
export function kindFields(view: FormView, at: string): SafeHtml {
  return html`${[...all.values()].map((f) => {
    const name = `${at}.${f.path}`;
    // The field's path and the kinds are codes, the same in every language.
    const label = `${f.path} (${f.kinds.join(', ')})`;
    if (f.widget === 'select') return selectField(view, name, label, f.options);
    if (f.widget === 'check') return checkBox(view, name, label, 'true');
    const hint = hintOf(f, view);
    return textField(view, name, label, {
      ...(f.widget === 'number' ? { type: 'number' as const, step: 'any' } : {}),
      ...(hint ? { hint } : {}),
    });
  })}`;
}

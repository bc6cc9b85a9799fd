/**
 * The README's reference of every field a definitions file may hold, written from the schemas
 * themselves (the JSON Schema editors get, generated from the zod schemas), so the documented
 * fields, allowed values and defaults are the ones sync and the API accept. `npm run
 * fields:readme` writes it between the markers; a test fails while the README differs.
 */
import { z } from 'zod';
import { payloadSchemas } from '../schemas/nudge.schema.js';
import { definitionFileJsonSchema } from './definition-file.schema.js';

interface JsonField {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
  items?: JsonField;
  properties?: Record<string, JsonField>;
  required?: string[];
  additionalProperties?: unknown;
  oneOf?: JsonField[];
  anyOf?: JsonField[];
}

const KEY_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

function bounds(low: number | undefined, high: number | undefined, unit: string): string {
  // zod writes the safe-integer limits of `.int()` as bounds; they bound nothing a person types.
  const min = low === Number.MIN_SAFE_INTEGER ? undefined : low;
  const max = high === Number.MAX_SAFE_INTEGER ? undefined : high;
  if (min !== undefined && max !== undefined) return min === max ? `${min} ${unit}` : `${min}-${max} ${unit}`;
  if (max !== undefined) return `up to ${max} ${unit}`;
  if (min !== undefined) return `at least ${min} ${unit}`;
  return '';
}

/** A field's allowed values in words: its type, enumeration, range, length or pattern. */
function describeField(f: JsonField): string {
  if (f.const !== undefined) return code(f.const);
  if (f.enum) return f.enum.map(code).join(', ');
  if (f.type === 'array' && f.items) {
    const count = bounds(f.minItems, f.maxItems, 'items');
    const of = f.items.type === 'object' || variantsOf(f.items) ? 'entries as below' : describeField(f.items);
    return `list of ${of}${count ? ` (${count})` : ''}`;
  }
  if (f.type === 'string') {
    if (f.pattern === KEY_PATTERN) {
      return `a key: lower-case letters, digits, \`.\` \`_\` \`-\` (${bounds(f.minLength, f.maxLength, 'characters')})`;
    }
    if (f.pattern) return `text matching \`${f.pattern}\``;
    const length = bounds(f.minLength, f.maxLength, 'characters');
    return length ? `text (${length})` : 'text';
  }
  if (f.type === 'number' || f.type === 'integer') {
    const name = f.type === 'integer' ? 'whole number' : 'number';
    if (f.exclusiveMinimum !== undefined) {
      return `${name} above ${f.exclusiveMinimum}${f.maximum !== undefined ? `, up to ${f.maximum}` : ''}`;
    }
    const range = bounds(f.minimum, f.maximum, '').trim();
    return range ? `${name} ${range}` : name;
  }
  if (f.type === 'boolean') return '`true` or `false`';
  if (f.type === 'object') return f.properties ? 'settings as below' : 'an object (JSON)';
  return f.type ?? 'value';
}

type Row = [path: string, required: boolean, values: string, what: string];

/** The branches of a union of objects told apart by a constant field (`kind`), or undefined. */
function variantsOf(f: JsonField | undefined): { tag: string; branches: JsonField[] } | undefined {
  const branches = f?.oneOf ?? f?.anyOf;
  if (!branches || branches.length < 2 || !branches.every((b) => b.type === 'object')) return undefined;
  const tag = Object.keys(branches[0]?.properties ?? {}).find((name) =>
    branches.every((b) => b.properties?.[name]?.const !== undefined),
  );
  return tag ? { tag, branches } : undefined;
}

/**
 * One object for a union told apart by `tag`: the tag lists every value, and a field only some
 * branches have says which, and is required only when every branch requires it.
 */
function mergedObject({ tag, branches }: { tag: string; branches: JsonField[] }): JsonField {
  const values = branches.map((b) => String(b.properties?.[tag]?.const));
  const properties: Record<string, JsonField> = {
    [tag]: {
      type: 'string',
      enum: values,
      description:
        branches[0]?.properties?.[tag]?.description ??
        'which of these it is; a field marked with some of them is for those only',
    },
  };
  const required = new Set<string>([tag]);
  const names = [...new Set(branches.flatMap((b) => Object.keys(b.properties ?? {})))].filter(
    (n) => n !== tag,
  );
  for (const name of names) {
    const having = branches.filter((b) => b.properties?.[name] !== undefined);
    const field = having[0]?.properties?.[name] ?? {};
    const only = having.length < branches.length;
    const tagOf = (b: JsonField) => String(b.properties?.[tag]?.const);
    // Branches that describe the field differently each say so: "ratio: the numerator...".
    const byText = new Map<string, string[]>();
    for (const b of having) {
      const text = b.properties?.[name]?.description ?? '';
      byText.set(text, [...(byText.get(text) ?? []), tagOf(b)]);
    }
    const description =
      byText.size > 1
        ? [...byText].map(([text, tags]) => `${tags.join(', ')}: ${text || '–'}`).join('; ')
        : only
          ? `${having.map(tagOf).join(', ')} only${field.description ? `: ${field.description}` : ''}`
          : field.description;
    properties[name] = description === undefined ? field : { ...field, description };
    if (!only && branches.every((b) => b.required?.includes(name))) required.add(name);
  }
  return { type: 'object', properties, required: [...required] };
}

/** One row per field, then the fields of its entries (`stages[].key`) or its parts (`decision.x`). */
function rowsOf(object: JsonField, prefix: string, skip: (path: string) => string | undefined): Row[] {
  const required = new Set(object.required ?? []);
  const rows: Row[] = [];
  for (const [name, field] of Object.entries(object.properties ?? {})) {
    const path = `${prefix}${name}`;
    const instead = skip(path);
    const fallback = field.default !== undefined ? `; default ${code(field.default)}` : '';
    rows.push([
      path,
      required.has(name),
      instead ?? `${describeField(field)}${fallback}`,
      field.description ?? '',
    ]);
    if (instead) continue;
    const union = field.type === 'array' ? variantsOf(field.items) : undefined;
    if (union) rows.push(...rowsOf(mergedObject(union), `${path}[].`, skip));
    else if (field.type === 'array' && field.items?.type === 'object')
      rows.push(...rowsOf(field.items, `${path}[].`, skip));
    if (field.type === 'object' && field.properties) rows.push(...rowsOf(field, `${path}.`, skip));
  }
  return rows;
}

function table(rows: Row[]): string[] {
  const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| field | required | allowed values | what it is |',
    '|---|---|---|---|',
    ...rows.map(
      ([p, req, values, what]) => `| \`${p}\` | ${req ? 'yes' : 'no'} | ${cell(values)} | ${cell(what)} |`,
    ),
  ];
}

/** The nudge fields common to every type, with `type` listing them all and payloads left to their table. */
function nudgeObject(items: JsonField): JsonField {
  const branches = items.oneOf ?? items.anyOf ?? [items];
  const first = branches[0] ?? {};
  const types = branches.map((b) => b.properties?.type?.const).filter((t) => t !== undefined);
  return { ...first, properties: { ...first.properties, type: { type: 'string', enum: types } } };
}

export const NUDGE_FIELDS_START =
  '<!-- nudge-payload-fields: generated from src/domain/schemas/nudge.schema.ts -->';
export const NUDGE_FIELDS_END = '<!-- /nudge-payload-fields -->';

export function nudgePayloadFieldsTable(): string {
  const rows = ['| nudge type | payload field | required | allowed values |', '|---|---|---|---|'];
  for (const [type, schema] of Object.entries(payloadSchemas)) {
    const json = z.toJSONSchema(schema, { io: 'input' }) as JsonField;
    const required = new Set(json.required ?? []);
    for (const [name, field] of Object.entries(json.properties ?? {})) {
      const fallback = field.default !== undefined ? `; default ${code(field.default)}` : '';
      rows.push(
        `| \`${type}\` | \`${name}\` | ${required.has(name) ? 'yes' : 'no'} | ${describeField(field)}${fallback} |`,
      );
    }
  }
  return [NUDGE_FIELDS_START, ...rows, NUDGE_FIELDS_END].join('\n');
}

export const FIELDS_START =
  '<!-- definition-fields:begin (generated from the schemas: npm run fields:readme) -->';
export const FIELDS_END = '<!-- definition-fields:end -->';

const kinds = [
  ['journeys', 'Journeys'],
  ['touchpoints', 'Touchpoints'],
  ['nudges', 'Nudges'],
  ['experiments', 'Experiments'],
  ['holdouts', 'Holdouts'],
  ['fatiguePolicies', 'Fatigue policies'],
] as const;

/** Every field of every kind a file declares, then the nudge payloads per type, between the markers. */
export function definitionFieldsSection(): string {
  const schema = definitionFileJsonSchema() as { properties: Record<string, JsonField> };
  const out: string[] = [FIELDS_START];
  for (const [section, title] of kinds) {
    const items = schema.properties[section]?.items ?? {};
    const object = section === 'nudges' ? nudgeObject(items) : items;
    const payload = (p: string) =>
      p === 'variants[].payload' ? 'per nudge type: see the payload fields below' : undefined;
    out.push('', `**${title}** (\`${section}:\`)`, '', ...table(rowsOf(object, '', payload)));
  }
  out.push(
    '',
    '**Nudge payloads**: what each variant of a nudge shows, by nudge type',
    '',
    nudgePayloadFieldsTable(),
    FIELDS_END,
  );
  return out.join('\n');
}

/** The README with the section replaced; undefined when the README has no markers. */
export function withDefinitionFields(readme: string): string | undefined {
  const from = readme.indexOf(FIELDS_START);
  const to = readme.indexOf(FIELDS_END);
  if (from < 0 || to < from) return undefined;
  return `${readme.slice(0, from)}${definitionFieldsSection()}${readme.slice(to + FIELDS_END.length)}`;
}

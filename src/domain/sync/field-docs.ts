/**
 * The README's table of nudge payload fields, written from the payload schemas themselves, so the
 * documented fields and allowed values are the ones the service accepts (a test compares them).
 */
import { z } from 'zod';
import { payloadSchemas } from '../schemas/nudge.schema.js';

interface JsonField {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  items?: JsonField;
  description?: string;
}

function describeField(f: JsonField): string {
  if (f.enum) return f.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (f.type === 'array' && f.items) return `list of ${describeField(f.items)}`;
  const range =
    f.minimum !== undefined || f.maximum !== undefined ? ` ${f.minimum ?? ''}-${f.maximum ?? ''}` : '';
  const length = f.maxLength !== undefined ? ` (up to ${f.maxLength} characters)` : '';
  return `${f.type ?? 'value'}${range}${length}`;
}

export const NUDGE_FIELDS_START =
  '<!-- nudge-payload-fields: generated from src/domain/schemas/nudge.schema.ts -->';
export const NUDGE_FIELDS_END = '<!-- /nudge-payload-fields -->';

export function nudgePayloadFieldsTable(): string {
  const rows = ['| nudge type | payload field | required | allowed values |', '|---|---|---|---|'];
  for (const [type, schema] of Object.entries(payloadSchemas)) {
    const json = z.toJSONSchema(schema, { io: 'input' }) as {
      properties?: Record<string, JsonField>;
      required?: string[];
    };
    const required = new Set(json.required ?? []);
    for (const [name, field] of Object.entries(json.properties ?? {})) {
      rows.push(
        `| \`${type}\` | \`${name}\` | ${required.has(name) ? 'yes' : 'no'} | ${describeField(field)} |`,
      );
    }
  }
  return [NUDGE_FIELDS_START, ...rows, NUDGE_FIELDS_END].join('\n');
}

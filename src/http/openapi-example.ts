/**
 * A request example built from a JSON Schema, so every documented body has one that follows its
 * schema without anybody writing (and forgetting to update) it by hand.
 */
type Schema = Record<string, unknown>;

const SAMPLE_STRINGS: Record<string, string> = {
  'date-time': '2026-03-02T10:00:00Z',
  date: '2026-03-02',
  uri: 'https://example.com/hook',
  email: 'cx-team@example.com',
};

function sampleString(s: Schema, name: string | undefined): string {
  const format = typeof s.format === 'string' ? SAMPLE_STRINGS[s.format] : undefined;
  if (format) return format;
  if (name === 'customerId') return 'cust-1042';
  if (name === 'eventId') return 'evt-8f2c';
  if (name === 'currency') return 'EUR';
  if (name === 'key' || name?.endsWith('Key')) return 'home-loan';
  if (typeof s.pattern === 'string' && !/^\^\[a-z0-9]/.test(s.pattern)) return 'value';
  return name ?? 'text';
}

export function exampleOf(schema: unknown, name?: string, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  const s = schema as Schema;
  if ('example' in s) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('default' in s) return s.default;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) return exampleOf(options[0], name, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    return Object.assign({}, ...s.allOf.map((part) => exampleOf(part, name, depth + 1) ?? {}));
  }
  switch (s.type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      const out: Record<string, unknown> = {};
      // Required fields, so the example is the smallest body that is accepted.
      for (const [key, value] of Object.entries(properties)) {
        if (required.has(key)) out[key] = exampleOf(value, key, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? Math.max(1, s.minItems) : 1;
      return Array.from({ length: Math.min(min, 3) }, () => exampleOf(s.items, name, depth + 1));
    }
    case 'string':
      return sampleString(s, name);
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'number':
      return typeof s.minimum === 'number'
        ? s.minimum
        : typeof s.exclusiveMinimum === 'number'
          ? s.exclusiveMinimum + 0.5
          : 0.5;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

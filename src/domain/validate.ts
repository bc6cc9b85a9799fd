import type { z } from 'zod';
import { type FieldIssue, validationError } from './errors.js';

export function issuesOf(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const parts = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)));
    const path = parts.reduce<string>(
      (acc, p) => (p.startsWith('[') ? acc + p : acc ? `${acc}.${p}` : p),
      prefix,
    );
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
    return { path: path || '(root)', reason: issue.message + keys };
  });
}

/** Parses a value with a schema or throws a validation_failed DomainError listing each field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(issuesOf(result.error, prefix));
  return result.data;
}

/**
 * Finds keys starting with '$', which must never reach a query or a stored document. Walks with an
 * explicit stack, so even a value that escaped the shape limits cannot exhaust the call stack.
 */
export function findOperatorKeys(value: unknown, allowUnder: string[] = [], path = ''): FieldIssue[] {
  const found: FieldIssue[] = [];
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, here] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${here}[${i}]`]);
      continue;
    }
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      const at = here ? `${here}.${key}` : key;
      // Targeting conditions use GrowthBook's operator syntax; they are validated as conditions instead.
      if (allowUnder.includes(key)) continue;
      stack.push([inner, at]);
    }
    for (const [key] of entries) {
      if (key.startsWith('$') && !allowUnder.includes(key)) {
        found.push({ path: here ? `${here}.${key}` : key, reason: 'keys starting with "$" are not allowed' });
      }
    }
  }
  return found;
}

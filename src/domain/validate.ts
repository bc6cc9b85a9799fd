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

/** Finds keys starting with '$' or containing '.', which must never reach a query or a stored document. */
export function findOperatorKeys(value: unknown, allowUnder: string[] = [], path = ''): FieldIssue[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findOperatorKeys(v, allowUnder, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  const found: FieldIssue[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    // Targeting conditions use GrowthBook's operator syntax; they are validated as conditions instead.
    if (allowUnder.includes(key)) continue;
    if (key.startsWith('$')) found.push({ path: here, reason: 'keys starting with "$" are not allowed' });
    found.push(...findOperatorKeys(inner, allowUnder, here));
  }
  return found;
}

/**
 * FerretDB 1.x refuses field names that start with `$` anywhere in a stored document (MongoDB
 * limits them too, and dots in names), yet GrowthBook targeting conditions are made of such
 * names (`$in`, `$gt`, `plan.tier`). Documents are therefore stored with those names escaped and
 * read back unescaped: a name that starts with `$` or `~` or contains `.` or `%` becomes `~` plus
 * the name with `%`, `.` and `$` percent-encoded. The mapping is one-to-one, so values round-trip.
 */
function needsEscape(name: string): boolean {
  return name.startsWith('$') || name.startsWith('~') || name.includes('.') || name.includes('%');
}

/** One field name, escaped as stored (also usable inside a dotted update path). */
export function escapeName(name: string): string {
  if (!needsEscape(name)) return name;
  return `~${name.replaceAll('%', '%25').replaceAll('.', '%2E').replaceAll('$', '%24')}`;
}

export function unescapeName(name: string): string {
  if (!name.startsWith('~')) return name;
  return name.slice(1).replaceAll('%24', '$').replaceAll('%2E', '.').replaceAll('%25', '%');
}

function mapNames(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapNames(v, rename));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), mapNames(v, rename)]));
}

export function escapeFieldNames<T>(value: T): T {
  return mapNames(value, escapeName) as T;
}

export function unescapeFieldNames<T>(value: T): T {
  return mapNames(value, unescapeName) as T;
}

import { expect } from 'vitest';
import { channelSchema } from '../../src/domain/schemas/common.schema.js';
import { metricRoles } from '../../src/domain/schemas/experiment.schema.js';
import { framingPayloadSchema, nudgeTypes, weekdaySchema } from '../../src/domain/schemas/nudge.schema.js';
import type { SafeHtml } from '../../src/http/dashboard/html.js';
import { ruleOperators } from '../../src/http/dashboard/targeting-rules.js';

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => entities[e] ?? e);

/**
 * What a reader reads on a page, piece by piece: each text between tags and each title,
 * aria-label and placeholder, trimmed, whitespace collapsed; pieces without a letter left out.
 */
export function readPieces(page: SafeHtml | string): string[] {
  const markup = String(page);
  const attributes = [...markup.matchAll(/\s(?:title|aria-label|placeholder)="([^"]*)"/g)].map((m) => m[1]!);
  const texts = markup.replace(/<script[\s\S]*?<\/script>/g, '').split(/<[^>]*>/);
  return [...texts, ...attributes]
    .map((s) => decode(s).replace(/\s+/g, ' ').trim())
    .filter((s) => /\p{L}/u.test(s));
}

/**
 * The pieces a page drawn in another language still shares with the English one, apart from the
 * codes and names the caller expects to stay as they are: what was left untranslated.
 */
export function untranslated(
  english: SafeHtml | string,
  other: SafeHtml | string,
  stays: (piece: string) => boolean,
): string[] {
  const theirs = new Set(readPieces(other));
  return [...new Set(readPieces(english))].filter((p) => theirs.has(p) && !stays(p));
}

/** Codes a workspace page shows as they are: option values, operators, commands. */
const codes = new Set<string>([
  ...channelSchema.options,
  ...nudgeTypes,
  ...ruleOperators,
  ...weekdaySchema.options,
  ...framingPayloadSchema.shape.frame.options,
  ...metricRoles,
  ...['opt-in', 'opt-out', 'past-nudges', 'template', 'none', 'first', 'sum', 'count', 'top2', 'mean'],
  ...['npm run sync', 'experiments/', 'control', 'treatment', 'plan', 'discover', 'customerId', 'NPS'],
]);
/** Keys, files and zones: lower-case tokens joined by - . or /, alone or in brackets; ISO times. */
const keyLike =
  /^\(?[a-z0-9$]+(?:[-./][A-Za-z0-9$]+)+\/?\)?$|^\((UTC|[A-Z][a-z]+\/[A-Z][a-z]+|opt-in|opt-out)\)$|^\d{4}-\d\d-\d\dT[\d:.]+Z$/;
/** A metric kind's own field, labelled by its path and the kinds that have it. */
const kindField = /^[\w.]+ \([a-z, ]+\)$/;

/** What stays as it is in every language: codes, keys, and the names given here. */
export function staysAsIs(names: Iterable<string>): (piece: string) => boolean {
  const given = new Set(names);
  return (p) => given.has(p) || codes.has(p) || keyLike.test(p) || kindField.test(p);
}

/** Asserts that a worded piece of a page has each of its language's words and none of these English ones. */
export function expectWorded(text: string, words: readonly string[], english: readonly string[]): void {
  for (const w of words) expect(text).toContain(w);
  for (const e of english) expect(text).not.toContain(e);
}

import type { I18n, MessageKey } from './translator.js';
import { APP_CATALOGUES } from './translator.js';

/**
 * A metric kind's name in the reader's language: the catalogue's `kind.<kind>` message, or the
 * kind itself for a kind the catalogue does not name yet (a new kind module reads as its code
 * until its words are added; `test/unit/i18n` checks the registered ones are).
 */
export function kindName(i: I18n, kind: string): string {
  const key = `kind.${kind}`;
  return key in APP_CATALOGUES.en ? i.t(key as MessageKey) : kind;
}

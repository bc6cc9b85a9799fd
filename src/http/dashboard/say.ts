import type { I18n, MessageKey } from '../../i18n/index.js';
import { escapeHtml, raw, type SafeHtml } from './html.js';

/**
 * A catalogue message as page markup: the message is the page's own text, as a template's
 * literal parts are, and every value put into it is escaped, so the English pages read byte for
 * byte as before and a name such as `<script>` still never becomes markup. The catalogues hold no
 * markup (a unit test checks it).
 */
export function say(i: I18n, key: MessageKey, params?: Record<string, string | number>): SafeHtml {
  const safe = params
    ? Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? escapeHtml(v) : v]),
      )
    : undefined;
  return raw(i.t(key, safe));
}

/** `say` bound to one reader, for pages that word many things. */
export const sayer =
  (i: I18n) =>
  (key: MessageKey, params?: Record<string, string | number>): SafeHtml =>
    say(i, key, params);

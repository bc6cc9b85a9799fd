import type { I18n, MessageKey } from '../../i18n/index.js';
import { html, raw, type SafeHtml } from './html.js';
import { say } from './say.js';

const MARK = '\u0000';

/**
 * A catalogue message with markup in some of its places (a figure in a `<span>` a test finds, a
 * key in `<code>`): the message and its values are put in as `say` puts them, and each slot's
 * markup goes where its `{name}` stands, wherever the language puts it in the sentence.
 */
export function sayWith(
  i: I18n,
  key: MessageKey,
  params: Record<string, string | number>,
  slots: Record<string, SafeHtml>,
): SafeHtml {
  const names = Object.keys(slots);
  const marked = Object.fromEntries(names.map((n, index) => [n, `${MARK}${index}${MARK}`]));
  const text = say(i, key, { ...params, ...marked }).value;
  const parts = text.split(MARK);
  // Even parts are text, odd parts the index of a slot.
  return html`${parts.map((part, index) => (index % 2 === 0 ? raw(part) : (slots[names[Number(part)]!] ?? raw(''))))}`;
}

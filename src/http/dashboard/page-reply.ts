import type { SafeHtml } from './html.js';

export const noStore = { 'Cache-Control': 'no-store' } as const;

/** A page as a route's reply; `lang` is sent as its Content-Language. */
export function pageReply<S extends number>(page: SafeHtml, status: S, lang?: string) {
  return { status, headers: lang ? { ...noStore, 'Content-Language': lang } : noStore, body: page.value };
}

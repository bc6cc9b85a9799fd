import type { SafeHtml } from './html.js';

export const noStore = { 'Cache-Control': 'no-store' } as const;

/** A page as a route's reply. */
export function pageReply<S extends number>(page: SafeHtml, status: S) {
  return { status, headers: noStore, body: page.value };
}

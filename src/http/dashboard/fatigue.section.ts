import type { FatigueShare } from '../../domain/fatigue/fatigue-share.js';
import { chance, count, dateTime } from './format.js';
import { html, type SafeHtml } from './html.js';

/**
 * The portfolio's fatigue section, apart from the ranking so each can change alone: per journey
 * and channel, the share of recently contacted customers at a fatigue cap.
 */
export function fatigueSection(f: FatigueShare): SafeHtml {
  const basis = f.complete
    ? html`every customer with counted contacts (${count(f.sampled)})`
    : html`a bounded read of ${count(f.sampled)} customers' contact records (the first the database returns), not all of them`;
  return html`<section class="ranking fatigue" data-testid="fatigue-section"><h2>Fatigue: customers at the cap</h2>
<p class="muted">Per journey and channel: of the customers contacted there inside the policy window, the share at a fatigue cap
that covers the journey (its own policy or a global one); they get the default experience until contacts leave the window.
From <span data-testid="fatigue-basis">${basis}</span>, as of ${dateTime(f.computedAt)}.</p>
${
  f.rows.length === 0
    ? html`<p class="empty" data-testid="fatigue-empty">No customer has been contacted under an active fatigue policy yet.</p>`
    : html`<table data-testid="fatigue-table"><thead><tr><th>Journey</th><th>Channel</th><th>Customers contacted</th><th>At the cap</th><th>Share at the cap</th><th>Policies</th></tr></thead><tbody>
${f.rows.map(
  (r) => html`<tr data-testid="fatigue-row-${r.journey}-${r.channel}">
  <td>${r.journey}</td><td><span class="channel ch-${r.channel}">${r.channel}</span></td>
  <td class="num">${count(r.customers)}</td><td class="num">${count(r.atCap)}</td>
  <td class="num" data-testid="fatigue-share-${r.journey}-${r.channel}">${r.share === null ? '–' : chance(r.share)}</td>
  <td>${r.policies.join(', ')}</td></tr>`,
)}
</tbody></table>`
}
</section>`;
}

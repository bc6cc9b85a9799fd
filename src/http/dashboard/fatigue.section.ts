import type { FatigueShare } from '../../domain/fatigue/fatigue-share.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { chance, count, dateTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { sayer } from './say.js';
import { sayWith } from './say-slots.js';

/**
 * The portfolio's fatigue section, apart from the ranking so each can change alone: per journey
 * and channel, the share of recently contacted customers at a fatigue cap.
 */
export function fatigueSection(f: FatigueShare, i: I18n = ENGLISH_I18N): SafeHtml {
  const t = sayer(i);
  const w = i.wording;
  const basis = t(f.complete ? 'fatigue.basisComplete' : 'fatigue.basisBounded', {
    count: count(f.sampled, w),
  });
  const intro = sayWith(
    i,
    'fatigue.intro',
    { when: dateTime(f.computedAt, i) },
    { basis: html`<span data-testid="fatigue-basis">${basis}</span>` },
  );
  return html`<section class="ranking fatigue" data-testid="fatigue-section"><h2>${t('fatigue.title')}</h2>
<p class="muted">${intro}</p>
${
  f.rows.length === 0
    ? html`<p class="empty" data-testid="fatigue-empty">${t('fatigue.empty')}</p>`
    : html`<table data-testid="fatigue-table"><thead><tr><th>${t('fatigue.colJourney')}</th><th>${t('fatigue.colChannel')}</th><th>${t('fatigue.colContacted')}</th><th>${t('fatigue.colAtCap')}</th><th>${t('fatigue.colShare')}</th><th>${t('fatigue.colPolicies')}</th></tr></thead><tbody>
${f.rows.map(
  (r) => html`<tr data-testid="fatigue-row-${r.journey}-${r.channel}">
  <td>${r.journey}</td><td><span class="channel ch-${r.channel}">${r.channel}</span></td>
  <td class="num">${count(r.customers, w)}</td><td class="num">${count(r.atCap, w)}</td>
  <td class="num" data-testid="fatigue-share-${r.journey}-${r.channel}">${r.share === null ? '–' : chance(r.share, w)}</td>
  <td>${r.policies.join(', ')}</td></tr>`,
)}
</tbody></table>`
}
</section>`;
}

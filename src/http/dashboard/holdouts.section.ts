import type { HoldoutReadout } from '../../domain/holdouts/holdout-readout.js';
import { HOLDOUT_ARM, type Holdout, NUDGED_ARM } from '../../domain/schemas/holdout.schema.js';
import type { JourneySummary } from '../../domain/schemas/insights.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { isVariantResult, type Wording } from '../../stats/index.js';
import { chance, count, dateTime, effectClass, relative, relativeInterval, statusLabel } from './format.js';
import { html, type SafeHtml } from './html.js';
import { sayer } from './say.js';
import { sayWith } from './say-slots.js';

/** Holdouts a journey's map shows: its own and the global ones; drafts are not on the map yet. */
export function holdoutsOf(holdouts: readonly Holdout[], journey: string): Holdout[] {
  return holdouts
    .filter((h) => h.status !== 'draft' && (h.journey === undefined || h.journey === journey))
    .sort((a, b) => a.key.localeCompare(b.key));
}

// A small share keeps a decimal: 2.5% held out, but 10% rather than 10.0%.
const sharePct = (share: number, w: Wording) => w.percent(share * 100, share * 100 < 10 ? 1 : 0);

function scope(h: Holdout, touchpoints: number, i: I18n): string {
  return h.journey === undefined
    ? i.t('holdout.scopeGlobal', { count: touchpoints })
    : i.t('holdout.scopeJourney', { count: touchpoints });
}

/** Above the map: which holdouts cover the journey, their share, status and a link to their figures. */
export function holdoutsPanel(
  holdouts: readonly Holdout[],
  summary: JourneySummary,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  if (holdouts.length === 0) return html``;
  const t = sayer(i);
  const n = summary.touchpoints.length;
  return html`<section class="holdouts" data-testid="holdouts-${summary.journey.key}">
  <h3>${t('holdout.panelTitle')}</h3>
  <p class="muted">${t('holdout.panelIntro')}</p>
  <table><thead><tr><th>${t('holdout.colHoldout')}</th><th>${t('holdout.colShare')}</th><th>${t('holdout.colStatus')}</th><th>${t('holdout.colCovers')}</th><th>${t('holdout.colReadout')}</th></tr></thead><tbody>
  ${holdouts.map(
    (h) => html`<tr data-testid="holdout-${h.key}">
    <td>${h.name}</td>
    <td class="num" data-testid="holdout-${h.key}-share">${sharePct(h.share, i.wording)}</td>
    <td><span class="badge status" data-testid="holdout-${h.key}-status">${statusLabel(h.status, i)}</span></td>
    <td data-testid="holdout-${h.key}-covers">${scope(h, n, i)}</td>
    <td><a href="/dashboard/holdouts/${encodeURIComponent(h.key)}" data-testid="holdout-${h.key}-link">${t('holdout.readoutLink')}</a></td>
  </tr>`,
  )}
  </tbody></table>
</section>`;
}

/** On each touchpoint card: the holdouts that withhold its nudges from their members. */
export function holdoutBadges(
  holdouts: readonly Holdout[],
  touchpoint: string,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  if (holdouts.length === 0) return html``;
  return html`<p class="held" data-testid="tp-${touchpoint}-holdouts">${holdouts.map((h) => {
    const share = sharePct(h.share, i.wording);
    const title = i.t('holdout.badgeTitle', { name: h.name, share, status: statusLabel(h.status, i) });
    return html`<span class="badge holdout" title="${title}">${i.t('holdout.badge', { key: h.key, share })}</span> `;
  })}</p>`;
}

function metricRows(r: HoldoutReadout, i: I18n): SafeHtml[] {
  const w = i.wording;
  const t = sayer(i);
  return r.holdout.metrics.map((m) => {
    const result = r.readout.metrics[m.key];
    const held = result?.variants[HOLDOUT_ARM];
    const nudged = result?.variants[NUDGED_ARM];
    const ok = isVariantResult(nudged);
    return html`<tr data-testid="holdout-metric-${m.key}">
  <td>${m.name ?? m.key} <span class="muted">${t(`kind.${m.kind}`)}</span></td>
  <td class="num">${held ? count(held.n, w) : '–'}</td>
  <td class="num">${nudged ? count(nudged.n, w) : '–'}</td>
  <td class="num eff eff-${effectClass(ok ? nudged.chanceToBeatControl : null)}" data-testid="holdout-metric-${m.key}-chance">${ok ? chance(nudged.chanceToBeatControl, w) : '–'}</td>
  <td class="num" data-testid="holdout-metric-${m.key}-lift">${ok ? relative(nudged.relativeLift.mean, w) : '–'}</td>
  <td class="num">${ok ? relativeInterval(nudged.relativeLift.ci95, i) : '–'}</td>
</tr>`;
  });
}

function head(h: Holdout, i: I18n): SafeHtml {
  const t = sayer(i);
  const back = h.journey ? t('holdout.journeyMap') : t('holdout.journeys');
  const where = h.journey
    ? sayWith(i, 'holdout.metaJourney', {}, { journey: html`<code>${h.journey}</code>` })
    : t('holdout.metaGlobal');
  return html`<p><a href="/dashboard${h.journey ? `/journeys/${encodeURIComponent(h.journey)}` : ''}">← ${back}</a></p>
<h1>${h.name}</h1>
<p class="meta">${sayWith(i, 'holdout.metaHoldout', {}, { key: html`<code>${h.key}</code>` })} · <span class="badge status" data-testid="holdout-status">${statusLabel(h.status, i)}</span> ·
${t('holdout.metaHeldBy', { share: sharePct(h.share, i.wording), unit: h.unit })} · ${where}</p>`;
}

/** The holdout's readout figures, or why there are none yet. */
export function holdoutBody(h: Holdout, readout: HoldoutReadout | string, i: I18n = ENGLISH_I18N): SafeHtml {
  const t = sayer(i);
  if (typeof readout === 'string') {
    return html`${head(h, i)}<p class="alert" data-testid="holdout-no-readout">${readout}</p>`;
  }
  const w = i.wording;
  const exposed = (arm: string, id: string) =>
    html`<span data-testid="${id}">${count(readout.exposures[arm] ?? 0, w)}</span>`;
  const computed = sayWith(
    i,
    'holdout.computed',
    { when: dateTime(readout.computedAt, i) },
    {
      held: exposed(HOLDOUT_ARM, 'holdout-exposed-holdout'),
      nudged: exposed(NUDGED_ARM, 'holdout-exposed-nudged'),
    },
  );
  return html`${head(h, i)}
<p class="muted">${computed}</p>
<ul class="summary" data-testid="holdout-summary">${readout.summary.map((s) => html`<li>${s}</li>`)}</ul>
<table data-testid="holdout-metrics"><thead><tr><th>${t('col.metric')}</th><th>${t('holdout.colHeld')}</th><th>${t('holdout.colNudged')}</th><th>${t('holdout.colChance')}</th><th>${t('holdout.colLift')}</th><th>${t('holdout.colInterval')}</th></tr></thead>
<tbody>${metricRows(readout, i)}</tbody></table>`;
}

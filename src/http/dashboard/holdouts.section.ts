import type { HoldoutReadout } from '../../domain/holdouts/holdout-readout.js';
import { HOLDOUT_ARM, type Holdout, NUDGED_ARM } from '../../domain/schemas/holdout.schema.js';
import type { JourneySummary } from '../../domain/schemas/insights.schema.js';
import { isVariantResult } from '../../stats/index.js';
import { chance, count, dateTime, effectClass, relative, relativeInterval } from './format.js';
import { html, type SafeHtml } from './html.js';

/** Holdouts a journey's map shows: its own and the global ones; drafts are not on the map yet. */
export function holdoutsOf(holdouts: readonly Holdout[], journey: string): Holdout[] {
  return holdouts
    .filter((h) => h.status !== 'draft' && (h.journey === undefined || h.journey === journey))
    .sort((a, b) => a.key.localeCompare(b.key));
}

const sharePct = (share: number) => `${(share * 100).toFixed(share * 100 < 10 ? 1 : 0)}%`;

function scope(h: Holdout, touchpoints: number): string {
  return h.journey === undefined
    ? `Global: every touchpoint of every journey (${touchpoints} here)`
    : `Every touchpoint of this journey (${touchpoints})`;
}

/** Above the map: which holdouts cover the journey, their share, status and a link to their figures. */
export function holdoutsPanel(holdouts: readonly Holdout[], summary: JourneySummary): SafeHtml {
  if (holdouts.length === 0) return html``;
  const n = summary.touchpoints.length;
  return html`<section class="holdouts" data-testid="holdouts-${summary.journey.key}">
  <h3>Holdouts</h3>
  <p class="muted">Held-out customers get the default experience on every covered touchpoint, on every channel, so the programme's cumulative effect is measured against them.</p>
  <table><thead><tr><th>Holdout</th><th>Share held out</th><th>Status</th><th>Covers</th><th>Readout</th></tr></thead><tbody>
  ${holdouts.map(
    (h) => html`<tr data-testid="holdout-${h.key}">
    <td>${h.name}</td>
    <td class="num" data-testid="holdout-${h.key}-share">${sharePct(h.share)}</td>
    <td><span class="badge status" data-testid="holdout-${h.key}-status">${h.status}</span></td>
    <td data-testid="holdout-${h.key}-covers">${scope(h, n)}</td>
    <td><a href="/dashboard/holdouts/${encodeURIComponent(h.key)}" data-testid="holdout-${h.key}-link">Readout figures</a></td>
  </tr>`,
  )}
  </tbody></table>
</section>`;
}

/** On each touchpoint card: the holdouts that withhold its nudges from their members. */
export function holdoutBadges(holdouts: readonly Holdout[], touchpoint: string): SafeHtml {
  if (holdouts.length === 0) return html``;
  return html`<p class="held" data-testid="tp-${touchpoint}-holdouts">${holdouts.map(
    (h) =>
      html`<span class="badge holdout" title="${h.name}: ${sharePct(h.share)} held out (${h.status})">Holdout ${h.key} · ${sharePct(h.share)}</span> `,
  )}</p>`;
}

function metricRows(r: HoldoutReadout): SafeHtml[] {
  return r.holdout.metrics.map((m) => {
    const result = r.readout.metrics[m.key];
    const held = result?.variants[HOLDOUT_ARM];
    const nudged = result?.variants[NUDGED_ARM];
    const ok = isVariantResult(nudged);
    return html`<tr data-testid="holdout-metric-${m.key}">
  <td>${m.name ?? m.key} <span class="muted">${m.kind}</span></td>
  <td class="num">${held ? count(held.n) : '–'}</td>
  <td class="num">${nudged ? count(nudged.n) : '–'}</td>
  <td class="num eff eff-${effectClass(ok ? nudged.chanceToBeatControl : null)}" data-testid="holdout-metric-${m.key}-chance">${ok ? chance(nudged.chanceToBeatControl) : '–'}</td>
  <td class="num" data-testid="holdout-metric-${m.key}-lift">${ok ? relative(nudged.relativeLift.mean) : '–'}</td>
  <td class="num">${ok ? relativeInterval(nudged.relativeLift.ci95) : '–'}</td>
</tr>`;
  });
}

/** The holdout's readout figures, or why there are none yet. */
export function holdoutBody(h: Holdout, readout: HoldoutReadout | string): SafeHtml {
  const head = html`<p><a href="/dashboard${h.journey ? `/journeys/${encodeURIComponent(h.journey)}` : ''}">← ${h.journey ? 'Journey map' : 'Journeys'}</a></p>
<h1>${h.name}</h1>
<p class="meta">Holdout <code>${h.key}</code> · <span class="badge status" data-testid="holdout-status">${h.status}</span> ·
${sharePct(h.share)} held out by ${h.unit} · ${h.journey ? html`journey <code>${h.journey}</code>` : 'global (every journey)'}</p>`;
  if (typeof readout === 'string') {
    return html`${head}<p class="alert" data-testid="holdout-no-readout">${readout}</p>`;
  }
  return html`${head}
<p class="muted">Computed ${dateTime(readout.computedAt)}. Units that reached a covered touchpoint:
<span data-testid="holdout-exposed-holdout">${count(readout.exposures[HOLDOUT_ARM] ?? 0)}</span> held out,
<span data-testid="holdout-exposed-nudged">${count(readout.exposures[NUDGED_ARM] ?? 0)}</span> nudged.</p>
<ul class="summary" data-testid="holdout-summary">${readout.summary.map((s) => html`<li>${s}</li>`)}</ul>
<table data-testid="holdout-metrics"><thead><tr><th>Metric</th><th>Held out (n)</th><th>Nudged (n)</th><th>Chance the programme is better</th><th>Relative lift</th><th>95% interval</th></tr></thead>
<tbody>${metricRows(readout)}</tbody></table>`;
}

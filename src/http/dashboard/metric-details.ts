/**
 * What some metrics report beside the comparison table: an ordinal metric's distribution, the
 * two parts of a split revenue metric, the cap of a winsorised one, and a CUPED adjustment with
 * the unadjusted figures. Each block appears only when the readout or the counts carry it.
 */
import type { Counts } from '../../domain/schemas/snapshot.schema.js';
import type { MetricResult } from '../../stats/readout.schema.js';
import { absolute, chance, count, estimate } from './format.js';
import { html, type SafeHtml } from './html.js';

type Names = (key: string) => string;
type MetricCounts = Counts['metrics'][string] | undefined;

const interval = (unit: string, ci: readonly [number, number]) =>
  `${estimate(unit, ci[0])} to ${estimate(unit, ci[1])}`;

function distribution(key: string, m: MetricResult, name: Names): SafeHtml | string {
  const o = m.ordinal;
  if (!o) return '';
  const rows = Object.entries(o.arms).map(
    ([variant, a]) => html`<tr><th scope="row">${name(variant)}</th>
  ${a.shares.map((s) => html`<td class="num" data-testid="share-${key}-${variant}-${s.score}">${chance(s.share)} <span class="muted">(${count(s.count)})</span></td>`)}
  <td class="num" data-testid="mean-score-${key}-${variant}">${a.mean.estimate.toFixed(2)}</td>
  <td class="num" data-testid="top2-${key}-${variant}">${chance(a.top2.estimate)}</td></tr>`,
  );
  return html`<table class="details" data-testid="distribution-${key}">
<caption>Answers by point (posterior share, answers); compared on ${m.summary === 'mean' ? 'the mean score' : 'the top-2-box share'}</caption>
<thead><tr><th>Variant</th>${o.scores.map((s) => html`<th>${s}</th>`)}<th>Mean score</th><th>Top-2-box</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function twoPart(key: string, m: MetricResult, name: Names): SafeHtml | string {
  const t = m.twoPart;
  if (!t) return '';
  const rows = Object.entries(t.arms).map(
    ([variant, a]) => html`<tr><th scope="row">${name(variant)}</th>
  <td class="num" data-testid="non-zero-share-${key}-${variant}">${chance(a.share.estimate)} <span class="muted">(${chance(a.share.ci95[0])} to ${chance(a.share.ci95[1])})</span></td>
  <td class="num" data-testid="per-non-zero-${key}-${variant}">${a.perNonZero ? html`${estimate('amount', a.perNonZero.estimate)} <span class="muted">(${interval('amount', a.perNonZero.ci95)})</span>` : 'not enough data'}</td></tr>`,
  );
  return html`<table class="details" data-testid="two-part-${key}">
<caption>Two-part model: amount per unit = share of units not at 0 x amount per unit not at 0</caption>
<thead><tr><th>Variant</th><th>Units not at 0</th><th>Amount per unit not at 0</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function winsorized(key: string, counts: MetricCounts): SafeHtml | string {
  const w = (
    counts as { winsorized?: { percentile: number; ignoreZeros: boolean; cap: number | null } } | undefined
  )?.winsorized;
  if (!w) return '';
  const of = w.ignoreZeros ? 'non-zero amounts' : 'amounts of all exposed units';
  const pct = `${Number((w.percentile * 100).toPrecision(4))}th percentile`;
  if (w.cap === null)
    return html`<p class="muted" data-testid="winsorized-${key}">Winsorised at the ${pct} of the pooled ${of}: that percentile is not above 0, so nothing is capped.</p>`;
  const units = Object.values(counts?.variants ?? {}).reduce(
    (s, c) => s + ((c as { cappedUnits?: number }).cappedUnits ?? 0),
    0,
  );
  return html`<p class="muted" data-testid="winsorized-${key}">Amounts above ${estimate('amount', w.cap)} count as ${estimate('amount', w.cap)}: the ${pct} of the pooled ${of} (all arms together, rounded up to a grid edge); ${count(units)} ${units === 1 ? 'unit' : 'units'} capped.</p>`;
}

function cuped(key: string, m: MetricResult, name: Names, control: string): SafeHtml | string {
  const c = m.cuped;
  if (!c) return '';
  const rows = Object.entries(c.arms).map(([variant, a]) => {
    const lift = c.unadjustedLift[variant];
    return html`<tr><th scope="row">${name(variant)}</th>
  <td class="num" data-testid="cuped-adjusted-${key}-${variant}">${estimate(m, a.adjusted)}</td>
  <td class="num" data-testid="cuped-unadjusted-${key}-${variant}">${a.unadjusted ? estimate(m, a.unadjusted.estimate) : '–'}</td>
  <td class="num">${variant === control ? 'baseline' : lift ? html`${absolute(m, lift.mean)} <span class="muted">(${absolute(m, lift.ci95[0])} to ${absolute(m, lift.ci95[1])})</span>` : '–'}</td></tr>`;
  });
  return html`<table class="details" data-testid="cuped-${key}">
<caption>Adjusted for ${c.label ?? 'a pre-exposure covariate'} (CUPED): variance <span data-testid="cuped-reduction-${key}">${chance(c.varianceReduction)}</span> lower than without it</caption>
<thead><tr><th>Variant</th><th>Adjusted estimate</th><th>Unadjusted estimate</th><th>Unadjusted lift (95% credible interval)</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export function metricDetails(
  key: string,
  m: MetricResult,
  counts: MetricCounts,
  name: Names,
  control: string,
): SafeHtml {
  return html`${distribution(key, m, name)}${twoPart(key, m, name)}${winsorized(key, counts)}${cuped(key, m, name, control)}`;
}

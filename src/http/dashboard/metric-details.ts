/**
 * What some metrics report beside the comparison table: an ordinal metric's distribution, the
 * two parts of a split revenue metric, the cap of a winsorised one, and a CUPED adjustment with
 * the unadjusted figures. Each block appears only when the readout or the counts carry it.
 */
import type { Counts } from '../../domain/schemas/snapshot.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import type { MetricResult } from '../../stats/readout.schema.js';
import { absolute, chance, count, estimate } from './format.js';
import { html, type SafeHtml } from './html.js';
import { sayer } from './say.js';
import { sayWith } from './say-slots.js';

type Names = (key: string) => string;
type MetricCounts = Counts['metrics'][string] | undefined;

const interval = (unit: string, ci: readonly [number, number], i: I18n) =>
  i.t('range', { low: estimate(unit, ci[0], i.wording), high: estimate(unit, ci[1], i.wording) });

function distribution(key: string, m: MetricResult, name: Names, i: I18n): SafeHtml | string {
  const o = m.ordinal;
  if (!o) return '';
  const t = sayer(i);
  const w = i.wording;
  const rows = Object.entries(o.arms).map(
    ([variant, a]) => html`<tr><th scope="row">${name(variant)}</th>
  ${a.shares.map((s) => html`<td class="num" data-testid="share-${key}-${variant}-${s.score}">${chance(s.share, w)} <span class="muted">(${count(s.count, w)})</span></td>`)}
  <td class="num" data-testid="mean-score-${key}-${variant}">${w.fixed(a.mean.estimate, 2)}</td>
  <td class="num" data-testid="top2-${key}-${variant}">${chance(a.top2.estimate, w)}</td></tr>`,
  );
  return html`<table class="details" data-testid="distribution-${key}">
<caption>${t('metricDetails.distribution', { summary: m.summary === 'mean' ? 'mean' : 'top2' })}</caption>
<thead><tr><th>${t('col.variant')}</th>${o.scores.map((s) => html`<th>${s}</th>`)}<th>${t('metricDetails.meanScore')}</th><th>${t('metricDetails.top2')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function twoPart(key: string, m: MetricResult, name: Names, i: I18n): SafeHtml | string {
  const tp = m.twoPart;
  if (!tp) return '';
  const t = sayer(i);
  const w = i.wording;
  const rows = Object.entries(tp.arms).map(
    ([variant, a]) => html`<tr><th scope="row">${name(variant)}</th>
  <td class="num" data-testid="non-zero-share-${key}-${variant}">${chance(a.share.estimate, w)} <span class="muted">(${t('range', { low: chance(a.share.ci95[0], w), high: chance(a.share.ci95[1], w) })})</span></td>
  <td class="num" data-testid="per-non-zero-${key}-${variant}">${a.perNonZero ? html`${estimate('amount', a.perNonZero.estimate, w)} <span class="muted">(${interval('amount', a.perNonZero.ci95, i)})</span>` : t('metricDetails.notEnoughData')}</td></tr>`,
  );
  return html`<table class="details" data-testid="two-part-${key}">
<caption>${t('metricDetails.twoPart')}</caption>
<thead><tr><th>${t('col.variant')}</th><th>${t('metricDetails.nonZeroShare')}</th><th>${t('metricDetails.perNonZero')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function winsorized(key: string, counts: MetricCounts, i: I18n): SafeHtml | string {
  const cap = (
    counts as { winsorized?: { percentile: number; ignoreZeros: boolean; cap: number | null } } | undefined
  )?.winsorized;
  if (!cap) return '';
  const t = sayer(i);
  const params = {
    percentile: Number((cap.percentile * 100).toPrecision(4)),
    zeros: cap.ignoreZeros ? 'ignored' : 'counted',
  };
  if (cap.cap === null)
    return html`<p class="muted" data-testid="winsorized-${key}">${t('metricDetails.winsorNoCap', params)}</p>`;
  const units = Object.values(counts?.variants ?? {}).reduce(
    (s, c) => s + ((c as { cappedUnits?: number }).cappedUnits ?? 0),
    0,
  );
  return html`<p class="muted" data-testid="winsorized-${key}">${t('metricDetails.winsorCap', { ...params, cap: estimate('amount', cap.cap, i.wording), units })}</p>`;
}

function cuped(key: string, m: MetricResult, name: Names, control: string, i: I18n): SafeHtml | string {
  const c = m.cuped;
  if (!c) return '';
  const t = sayer(i);
  const w = i.wording;
  const rows = Object.entries(c.arms).map(([variant, a]) => {
    const lift = c.unadjustedLift[variant];
    return html`<tr><th scope="row">${name(variant)}</th>
  <td class="num" data-testid="cuped-adjusted-${key}-${variant}">${estimate(m, a.adjusted, w)}</td>
  <td class="num" data-testid="cuped-unadjusted-${key}-${variant}">${a.unadjusted ? estimate(m, a.unadjusted.estimate, w) : '–'}</td>
  <td class="num">${variant === control ? t('metricDetails.baseline') : lift ? html`${absolute(m, lift.mean, w)} <span class="muted">(${t('range', { low: absolute(m, lift.ci95[0], w), high: absolute(m, lift.ci95[1], w) })})</span>` : '–'}</td></tr>`;
  });
  const caption = sayWith(
    i,
    'metricDetails.cuped',
    { label: c.label ?? i.t('metricDetails.cupedCovariate') },
    { reduction: html`<span data-testid="cuped-reduction-${key}">${chance(c.varianceReduction, w)}</span>` },
  );
  return html`<table class="details" data-testid="cuped-${key}">
<caption>${caption}</caption>
<thead><tr><th>${t('col.variant')}</th><th>${t('metricDetails.adjusted')}</th><th>${t('metricDetails.unadjusted')}</th><th>${t('metricDetails.unadjustedLift')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export function metricDetails(
  key: string,
  m: MetricResult,
  counts: MetricCounts,
  name: Names,
  control: string,
  i: I18n = ENGLISH_I18N,
): SafeHtml {
  return html`${distribution(key, m, name, i)}${twoPart(key, m, name, i)}${winsorized(key, counts, i)}${cuped(key, m, name, control, i)}`;
}

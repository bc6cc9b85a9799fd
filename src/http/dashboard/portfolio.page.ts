import {
  type PooledEffect,
  type Portfolio,
  type PortfolioEntry,
  type PortfolioMeasure,
  portfolioMeasures,
} from '../../domain/schemas/insights.schema.js';
import { signed } from '../../stats/format.js';
import { type ChartSpec, chart } from './experiment.page.js';
import { chance, dateTime, effectClass, relative } from './format.js';
import { html, type SafeHtml } from './html.js';

type Entry =
  | Portfolio['touchpoints'][number]
  | Portfolio['nudgeTypes'][number]
  | Portfolio['channels'][number];

/** Each measure in its own unit, named in its column heading. */
export const measureHeadings: Record<PortfolioMeasure, string> = {
  conversion: 'Conversion (relative lift)',
  csat: 'CSAT (points)',
  nps: 'NPS (points)',
  effort: 'Customer effort (points less)',
};

const short: Record<PortfolioMeasure, string> = {
  conversion: 'Conversion',
  csat: 'CSAT',
  nps: 'NPS',
  effort: 'Effort',
};

/** A figure of one measure: "+4.2%" for conversion, "+0.12" CSAT or effort points, "+3.0" NPS points. */
export function measureText(measure: PortfolioMeasure, x: number): string {
  if (measure === 'conversion') return relative(x);
  return signed(x, measure === 'nps' ? 1 : 2);
}

/** A pooled cell as text: "+4.2% -1.0% to +9.3% (3)", or "–" when no experiment measured it. */
export function pooledCellText(measure: PortfolioMeasure, p: PooledEffect): string {
  if (p.estimate === null || p.ci95 === null) return '–';
  const f = (x: number) => measureText(measure, x);
  return `${f(p.estimate)} ${f(p.ci95[0])} to ${f(p.ci95[1])} (${p.experiments})`;
}

/** The colour of a pooled effect: the chance it is an improvement. */
function pooledCell(measure: PortfolioMeasure, p: PooledEffect, testid: string): SafeHtml {
  if (p.estimate === null || p.ci95 === null) {
    return html`<td class="num eff eff-none" data-testid="${testid}">–</td>`;
  }
  const f = (x: number) => measureText(measure, x);
  const detail = p.items
    .map(
      (i) =>
        `${i.experiment} (${i.variant}, ${i.metric}): ${f(i.estimate)}, ${chance(i.chanceToBeatControl)}`,
    )
    .join('\n');
  return html`<td class="num eff eff-${effectClass(p.chanceBetter)}" data-testid="${testid}" title="${detail}">${f(p.estimate)} <span class="muted">${f(p.ci95[0])} to ${f(p.ci95[1])}</span> <span class="muted">(${p.experiments})</span></td>`;
}

function rankingTable(
  title: string,
  rows: { id: string; label: SafeHtml; entry: Entry }[],
  prefix: string,
): SafeHtml {
  return html`<section class="ranking"><h2>${title}</h2>
<table data-testid="${prefix}-table"><thead><tr><th>#</th><th>${title.replace(/^By /, '')}</th>${portfolioMeasures.map((m) => html`<th>${measureHeadings[m]}</th>`)}<th>Experiments</th></tr></thead><tbody>
${rows.map(
  (r, i) => html`<tr data-testid="${prefix}-row-${r.id}"><td class="num">${i + 1}</td><td>${r.label}</td>
  ${portfolioMeasures.map((m) => pooledCell(m, r.entry[m], `${prefix}-${r.id}-${m}`))}
  <td>${r.entry.experiments.map((k, j) => html`${j > 0 ? ', ' : ''}<a href="/dashboard/experiments/${encodeURIComponent(k)}">${k}</a>`)}</td></tr>`,
)}
</tbody></table></section>`;
}

/** Units differ between measures; the chance of an improvement is one scale they share. */
function chanceChart(title: string, labels: string[], entries: PortfolioEntry[], testid: string): SafeHtml {
  const spec: ChartSpec = {
    type: 'bars',
    title,
    unit: '%',
    range: [0, 100],
    labels,
    series: portfolioMeasures.map((m) => ({
      label: short[m],
      data: entries.map((e) => (e[m].chanceBetter === null ? null : e[m].chanceBetter * 100)),
    })),
  };
  return chart(spec, testid);
}

export function portfolioBody(p: Portfolio): SafeHtml {
  const types = p.nudgeTypes.map((t) => ({ id: t.type, label: html`${t.type}`, entry: t }));
  const tps = p.touchpoints.map((t) => ({
    id: t.key,
    label: html`${t.name} <span class="muted">${t.journey} · ${t.stage} · </span><span class="channel ch-${t.channel}">${t.channel}</span>`,
    entry: t,
  }));
  const channels = p.channels.map((c) => ({ id: c.channel, label: html`${c.channel}`, entry: c }));
  return html`<h1>Portfolio</h1>
<p class="muted">What the experiments behind each row say together: each experiment's leading variant (the shipped one when decided)
enters with its lift and the width of its interval, and a random-effects model pools them, weighing each by its precision and
widening the 95% credible interval as experiments disagree. Each measure in its own unit: conversion as a relative lift, CSAT and
customer effort in points of their scale, NPS in NPS points; all signed so that positive is better for the customer (for effort,
less effort). Running and concluded experiments, as of <span data-testid="portfolio-computed-at">${dateTime(p.computedAt)}</span>.
In brackets: how many experiments measured it. Colour: the chance the pooled effect is an improvement. Rows are ranked by that
chance on satisfaction (CSAT, NPS, effort), then on conversion.</p>
<div class="two">
${chanceChart(
  'Nudge types: chance each measure improves (%)',
  p.nudgeTypes.map((t) => t.type),
  p.nudgeTypes,
  'portfolio-chart-types',
)}
${chanceChart(
  'Channels: chance each measure improves (%)',
  p.channels.map((c) => c.channel),
  p.channels,
  'portfolio-chart-channels',
)}
</div>
${rankingTable('By nudge type', types, 'pf-type')}
${rankingTable('By touchpoint', tps, 'pf-tp')}
${rankingTable('By channel', channels, 'pf-ch')}`;
}

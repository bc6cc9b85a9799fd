import {
  type PooledEffect,
  type Portfolio,
  type PortfolioEntry,
  type PortfolioMeasure,
  portfolioMeasures,
  portfolioScales,
} from '../../domain/schemas/insights.schema.js';
import { ENGLISH_I18N, type I18n, type MessageKey } from '../../i18n/index.js';
import { signed } from '../../stats/format.js';
import { ENGLISH, type Wording } from '../../stats/wording.js';
import { type ChartSpec, chart } from './experiment.page.js';
import { chance, dateTime, effectClass, relative } from './format.js';
import { html, type SafeHtml } from './html.js';
import { sayer } from './say.js';

type Entry =
  | Portfolio['touchpoints'][number]
  | Portfolio['nudgeTypes'][number]
  | Portfolio['channels'][number];

/** Each measure in its own unit, named in its column heading (CSAT's names its 1-5 scale). */
const measureHeadings: Record<PortfolioMeasure, MessageKey> = {
  conversion: 'portfolio.colConversion',
  csat: 'metrics.portfolio.colCsat',
  nps: 'portfolio.colNps',
  effort: 'portfolio.colEffort',
  ratio: 'metrics.portfolio.colRatio',
};

const short: Record<PortfolioMeasure, MessageKey> = {
  conversion: 'portfolio.seriesConversion',
  csat: 'portfolio.seriesCsat',
  nps: 'portfolio.seriesNps',
  effort: 'portfolio.seriesEffort',
  ratio: 'metrics.portfolio.seriesRatio',
};

/** A figure of one measure: "+4.2%" for conversion and ratios, "+0.12" CSAT or effort points, "+3.0" NPS points. */
export function measureText(measure: PortfolioMeasure, x: number, w: Wording = ENGLISH): string {
  if (portfolioScales[measure] === 'relative') return relative(x, w);
  return signed(x, measure === 'nps' ? 1 : 2, w);
}

/** A pooled cell as text: "+4.2% -1.0% to +9.3% (3)", or "–" when no experiment measured it. */
export function pooledCellText(measure: PortfolioMeasure, p: PooledEffect, i: I18n = ENGLISH_I18N): string {
  if (p.estimate === null || p.ci95 === null) return '–';
  const f = (x: number) => measureText(measure, x, i.wording);
  return `${f(p.estimate)} ${i.t('range', { low: f(p.ci95[0]), high: f(p.ci95[1]) })} (${p.experiments})`;
}

/** The colour of a pooled effect: the chance it is an improvement. */
function pooledCell(measure: PortfolioMeasure, p: PooledEffect, testid: string, i: I18n): SafeHtml {
  if (p.estimate === null || p.ci95 === null) {
    return html`<td class="num eff eff-none" data-testid="${testid}">–</td>`;
  }
  const w = i.wording;
  const f = (x: number) => measureText(measure, x, w);
  const detail = p.items
    .map(
      (x) =>
        `${x.experiment} (${x.variant}, ${x.metric}): ${f(x.estimate)}, ${chance(x.chanceToBeatControl, w)}`,
    )
    .join('\n');
  return html`<td class="num eff eff-${effectClass(p.chanceBetter)}" data-testid="${testid}" title="${detail}">${f(p.estimate)} <span class="muted">${i.t('range', { low: f(p.ci95[0]), high: f(p.ci95[1]) })}</span> <span class="muted">(${p.experiments})</span></td>`;
}

function rankingTable(
  title: string,
  column: string,
  rows: { id: string; label: SafeHtml; entry: Entry }[],
  prefix: string,
  i: I18n,
): SafeHtml {
  const { t } = i;
  return html`<section class="ranking"><h2>${title}</h2>
<table data-testid="${prefix}-table"><thead><tr><th>#</th><th>${column}</th>${portfolioMeasures.map((m) => html`<th>${t(measureHeadings[m])}</th>`)}<th>${t('portfolio.colExperiments')}</th></tr></thead><tbody>
${rows.map(
  (r, n) => html`<tr data-testid="${prefix}-row-${r.id}"><td class="num">${n + 1}</td><td>${r.label}</td>
  ${portfolioMeasures.map((m) => pooledCell(m, r.entry[m], `${prefix}-${r.id}-${m}`, i))}
  <td>${r.entry.experiments.map((k, j) => html`${j > 0 ? ', ' : ''}<a href="/dashboard/experiments/${encodeURIComponent(k)}">${k}</a>`)}</td></tr>`,
)}
</tbody></table></section>`;
}

/** Units differ between measures; the chance of an improvement is one scale they share. */
function chanceChart(
  title: string,
  labels: string[],
  entries: PortfolioEntry[],
  testid: string,
  i: I18n,
): SafeHtml {
  const spec: ChartSpec = {
    type: 'bars',
    title,
    unit: '%',
    range: [0, 100],
    labels,
    series: portfolioMeasures.map((m) => ({
      label: i.t(short[m]),
      data: entries.map((e) => (e[m].chanceBetter === null ? null : e[m].chanceBetter * 100)),
    })),
  };
  return chart(spec, testid, i);
}

export function portfolioBody(p: Portfolio, i: I18n = ENGLISH_I18N): SafeHtml {
  const t = i.t;
  const say = sayer(i);
  const types = p.nudgeTypes.map((x) => ({ id: x.type, label: html`${x.type}`, entry: x }));
  const tps = p.touchpoints.map((x) => ({
    id: x.key,
    label: html`${x.name} <span class="muted">${x.journey} · ${x.stage} · </span><span class="channel ch-${x.channel}">${x.channel}</span>`,
    entry: x,
  }));
  const channels = p.channels.map((c) => ({ id: c.channel, label: html`${c.channel}`, entry: c }));
  return html`<h1>${t('portfolio.title')}</h1>
<p class="muted">${say('portfolio.introBefore')} <span data-testid="portfolio-computed-at">${dateTime(p.computedAt, i)}</span>.
${say('portfolio.introAfter')}</p>
<p class="muted" data-testid="portfolio-scales">${say('metrics.portfolio.scales')}</p>
<div class="two">
${chanceChart(
  t('portfolio.chartTypes'),
  p.nudgeTypes.map((x) => x.type),
  p.nudgeTypes,
  'portfolio-chart-types',
  i,
)}
${chanceChart(
  t('portfolio.chartChannels'),
  p.channels.map((c) => c.channel),
  p.channels,
  'portfolio-chart-channels',
  i,
)}
</div>
${rankingTable(t('portfolio.byType'), t('portfolio.colType'), types, 'pf-type', i)}
${rankingTable(t('portfolio.byTouchpoint'), t('portfolio.colTouchpoint'), tps, 'pf-tp', i)}
${rankingTable(t('portfolio.byChannel'), t('portfolio.colChannel'), channels, 'pf-ch', i)}`;
}

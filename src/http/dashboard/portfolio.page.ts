import type { Effect, Portfolio } from '../../domain/schemas/insights.schema.js';
import { ENGLISH_I18N, type I18n } from '../../i18n/index.js';
import { type ChartSpec, chart } from './experiment.page.js';
import { chance, dateTime, effectClass, relative } from './format.js';
import { html, type SafeHtml } from './html.js';
import { sayer } from './say.js';

type Entry =
  | Portfolio['touchpoints'][number]
  | Portfolio['nudgeTypes'][number]
  | Portfolio['channels'][number];

/** The colour of a summarised effect: the mean chance to beat control of the experiments behind it. */
function effectCell(e: Effect, testid: string, i: I18n): SafeHtml {
  const w = i.wording;
  if (e.meanRelativeLift === null || e.items.length === 0) {
    return html`<td class="num eff eff-none" data-testid="${testid}">–</td>`;
  }
  const p = e.items.reduce((s, x) => s + x.chanceToBeatControl, 0) / e.items.length;
  const detail = e.items
    .map(
      (x) =>
        `${x.experiment} (${x.variant}, ${x.metric}): ${relative(x.betterRelativeLift, w)}, ${chance(x.chanceToBeatControl, w)}`,
    )
    .join('\n');
  return html`<td class="num eff eff-${effectClass(p)}" data-testid="${testid}" title="${detail}">${relative(e.meanRelativeLift, w)} <span class="muted">(${e.experiments})</span></td>`;
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
<table data-testid="${prefix}-table"><thead><tr><th>#</th><th>${column}</th><th>${t('portfolio.colSatisfaction')}</th><th>${t('portfolio.colConversion')}</th><th>${t('portfolio.colExperiments')}</th></tr></thead><tbody>
${rows.map(
  (r, n) => html`<tr data-testid="${prefix}-row-${r.id}"><td class="num">${n + 1}</td><td>${r.label}</td>
  ${effectCell(r.entry.satisfaction, `${prefix}-${r.id}-satisfaction`, i)}
  ${effectCell(r.entry.conversion, `${prefix}-${r.id}-conversion`, i)}
  <td>${r.entry.experiments.map((k, j) => html`${j > 0 ? ', ' : ''}<a href="/dashboard/experiments/${encodeURIComponent(k)}">${k}</a>`)}</td></tr>`,
)}
</tbody></table></section>`;
}

function effectChart(title: string, labels: string[], entries: Entry[], testid: string, i: I18n): SafeHtml {
  const spec: ChartSpec = {
    type: 'bars',
    title,
    unit: '%',
    labels,
    series: [
      {
        label: i.t('portfolio.seriesSatisfaction'),
        data: entries.map((e) => pctOrNull(e.satisfaction.meanRelativeLift)),
      },
      {
        label: i.t('portfolio.seriesConversion'),
        data: entries.map((e) => pctOrNull(e.conversion.meanRelativeLift)),
      },
    ],
  };
  return chart(spec, testid, i);
}

const pctOrNull = (x: number | null): number | null => (x === null ? null : x * 100);

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
<div class="two">
${effectChart(
  t('portfolio.chartTypes'),
  p.nudgeTypes.map((x) => x.type),
  p.nudgeTypes,
  'portfolio-chart-types',
  i,
)}
${effectChart(
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

import type { Effect, Portfolio } from '../../domain/schemas/insights.schema.js';
import { type ChartSpec, chart } from './experiment.page.js';
import { chance, dateTime, effectClass, relative } from './format.js';
import { html, type SafeHtml } from './html.js';

type Entry =
  | Portfolio['touchpoints'][number]
  | Portfolio['nudgeTypes'][number]
  | Portfolio['channels'][number];

/** The colour of a summarised effect: the mean chance to beat control of the experiments behind it. */
function effectCell(e: Effect, testid: string): SafeHtml {
  if (e.meanRelativeLift === null || e.items.length === 0) {
    return html`<td class="num eff eff-none" data-testid="${testid}">–</td>`;
  }
  const p = e.items.reduce((s, i) => s + i.chanceToBeatControl, 0) / e.items.length;
  const detail = e.items
    .map(
      (i) =>
        `${i.experiment} (${i.variant}, ${i.metric}): ${relative(i.betterRelativeLift)}, ${chance(i.chanceToBeatControl)}`,
    )
    .join('\n');
  return html`<td class="num eff eff-${effectClass(p)}" data-testid="${testid}" title="${detail}">${relative(e.meanRelativeLift)} <span class="muted">(${e.experiments})</span></td>`;
}

function rankingTable(
  title: string,
  rows: { id: string; label: SafeHtml; entry: Entry }[],
  prefix: string,
): SafeHtml {
  return html`<section class="ranking"><h2>${title}</h2>
<table data-testid="${prefix}-table"><thead><tr><th>#</th><th>${title.replace(/^By /, '')}</th><th>Effect on satisfaction (CSAT / NPS)</th><th>Effect on conversion</th><th>Experiments</th></tr></thead><tbody>
${rows.map(
  (r, i) => html`<tr data-testid="${prefix}-row-${r.id}"><td class="num">${i + 1}</td><td>${r.label}</td>
  ${effectCell(r.entry.satisfaction, `${prefix}-${r.id}-satisfaction`)}
  ${effectCell(r.entry.conversion, `${prefix}-${r.id}-conversion`)}
  <td>${r.entry.experiments.map((k, j) => html`${j > 0 ? ', ' : ''}<a href="/dashboard/experiments/${encodeURIComponent(k)}">${k}</a>`)}</td></tr>`,
)}
</tbody></table></section>`;
}

function effectChart(title: string, labels: string[], entries: Entry[], testid: string): SafeHtml {
  const spec: ChartSpec = {
    type: 'bars',
    title,
    unit: '%',
    labels,
    series: [
      { label: 'Satisfaction', data: entries.map((e) => pctOrNull(e.satisfaction.meanRelativeLift)) },
      { label: 'Conversion', data: entries.map((e) => pctOrNull(e.conversion.meanRelativeLift)) },
    ],
  };
  return chart(spec, testid);
}

const pctOrNull = (x: number | null): number | null => (x === null ? null : x * 100);

export function portfolioBody(p: Portfolio): SafeHtml {
  const types = p.nudgeTypes.map((t) => ({ id: t.type, label: html`${t.type}`, entry: t }));
  const tps = p.touchpoints.map((t) => ({
    id: t.key,
    label: html`${t.name} <span class="muted">${t.journey} · ${t.stage} · </span><span class="channel ch-${t.channel}">${t.channel}</span>`,
    entry: t,
  }));
  const channels = p.channels.map((c) => ({ id: c.channel, label: html`${c.channel}`, entry: c }));
  return html`<h1>Portfolio</h1>
<p class="muted">Mean relative lift of each experiment's leading variant (the shipped one when decided), signed so that
positive is better for the customer; running and concluded experiments, as of <span data-testid="portfolio-computed-at">${dateTime(p.computedAt)}</span>.
An NPS effect counts in NPS points / 100, so +3.0% there is +3 NPS points (an NPS near 0 makes a ratio meaningless).
In brackets: how many experiments measured it. Colour: mean chance to beat control.</p>
<div class="two">
${effectChart(
  'Nudge types: mean lift (%)',
  p.nudgeTypes.map((t) => t.type),
  p.nudgeTypes,
  'portfolio-chart-types',
)}
${effectChart(
  'Channels: mean lift (%)',
  p.channels.map((c) => c.channel),
  p.channels,
  'portfolio-chart-channels',
)}
</div>
${rankingTable('By nudge type', types, 'pf-type')}
${rankingTable('By touchpoint', tps, 'pf-tp')}
${rankingTable('By channel', channels, 'pf-ch')}`;
}

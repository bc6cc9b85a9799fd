import { measuredTraffic } from '../../domain/planning.service.js';
import type {
  Counts,
  HistoryPoint,
  ReadoutResponse,
  Segments,
} from '../../domain/schemas/snapshot.schema.js';
import { ENGLISH_I18N, type I18n, kindName } from '../../i18n/index.js';
import { scaleOf } from '../../stats/evidence.js';
import { basisText, unitOf } from '../../stats/format.js';
import { plan } from '../../stats/planning.js';
import { isVariantResult, type MetricResult, type Readout } from '../../stats/readout.schema.js';
import { priorSection, responseSection } from './evidence.section.js';
import {
  absolute,
  actionLabel,
  chance,
  count,
  dateTime,
  effectClass,
  estimate,
  loss,
  pValue,
  relative,
  relativeInterval,
  statusLabel,
} from './format.js';
import { html, jsonScript, type SafeHtml } from './html.js';
import { metricDetails } from './metric-details.js';
import { chartWords, insufficientReason } from './page-words.js';
import { sayer } from './say.js';

/** Chart specifications the served script turns into Chart.js configurations (see assets/dashboard.js). */
export type ChartSpec =
  | {
      type: 'interval';
      title: string;
      unit: string;
      labels: string[];
      lows: number[];
      highs: number[];
      means: number[];
    }
  | {
      type: 'line' | 'bars';
      title: string;
      unit: string;
      labels: string[];
      series: { label: string; data: (number | null)[] }[];
      /** Fixed y range, e.g. [0, 100] for chances. */
      range?: [number, number];
    }
  | {
      type: 'band';
      title: string;
      unit: string;
      labels: string[];
      series: { label: string; mean: (number | null)[]; lo: (number | null)[]; hi: (number | null)[] }[];
    };

let chartSeq = 0;
export function chart(spec: ChartSpec, testid: string, i?: I18n): SafeHtml {
  chartSeq = (chartSeq + 1) % 1_000_000;
  const id = `chart-${chartSeq}`;
  const words = chartWords(i);
  return html`<figure class="chart" data-testid="${testid}">
  <div class="canvas-box"><canvas data-chart="${id}" role="img" aria-label="${spec.title}"></canvas></div>
  ${jsonScript(id, words ? { ...spec, ...words } : spec)}
</figure>`;
}

/** NPS is charted and compared in points, the other kinds as a percentage lift over control. */
const inPoints = (m: MetricResult): boolean => unitOf(m) === 'nps';

/** Variant key to the name the nudge gives it; the key itself for readouts made before names. */
type Names = (key: string) => string;
const namesOf =
  (readout: Readout): Names =>
  (key) =>
    readout.variantNames?.[key] ?? key;

function liftChart(key: string, m: MetricResult, control: string, name: Names, i: I18n): SafeHtml {
  const labels: string[] = [];
  const lows: number[] = [];
  const highs: number[] = [];
  const means: number[] = [];
  for (const [variant, r] of Object.entries(m.variants)) {
    if (variant === control || !isVariantResult(r)) continue;
    const lift = inPoints(m) ? r.absoluteLift : r.relativeLift;
    const scale = inPoints(m) ? 1 : 100;
    labels.push(name(variant));
    lows.push(lift.ci95[0] * scale);
    highs.push(lift.ci95[1] * scale);
    means.push(lift.mean * scale);
  }
  if (labels.length === 0) return html``;
  return chart(
    {
      type: 'interval',
      title: i.t('chart.liftTitle', { metric: m.name, control: name(control) }),
      unit: inPoints(m) ? i.t('chart.unitPoints') : '%',
      labels,
      lows,
      highs,
      means,
    },
    `lift-chart-${key}`,
    i,
  );
}

function metricTable(
  key: string,
  m: MetricResult,
  name: Names,
  counts: Counts['metrics'][string] | undefined,
  i: I18n,
): SafeHtml {
  const t = sayer(i);
  const w = i.wording;
  const rows = Object.entries(m.variants).map(([variant, r]) => {
    const id = `${key}-${variant}`;
    // The estimate is a posterior mean; the raw counts beside it show what it was made from.
    const basis = html`<span class="muted" data-testid="basis-${id}">(${basisText(m, counts?.variants[variant], w)})</span>`;
    if (r.status === 'insufficient-data') {
      return html`<tr><th scope="row">${name(variant)}</th><td class="num">${count(r.n, w)}</td><td colspan="7" class="muted">${insufficientReason(r.reason, i)}</td></tr>`;
    }
    if (!isVariantResult(r)) {
      return html`<tr class="control"><th scope="row">${name(variant)} <span class="badge">${t('experiment.controlBadge')}</span></th>
  <td class="num" data-testid="n-${id}">${count(r.n, w)}</td>
  <td class="num" data-testid="estimate-${id}">${estimate(m, r.estimate, w)}</td><td class="num">${basis}</td>
  <td colspan="6" class="muted">${t('experiment.baseline')}</td></tr>`;
    }
    const lift = inPoints(m)
      ? html`<td class="num" data-testid="lift-${id}">${absolute('nps', r.absoluteLift.mean, w)}</td>
  <td class="num">${t('range', { low: absolute('nps', r.absoluteLift.ci95[0], w), high: absolute('nps', r.absoluteLift.ci95[1], w) })}</td>`
      : html`<td class="num" data-testid="lift-${id}">${relative(r.relativeLift.mean, w)}</td>
  <td class="num" data-testid="lift-ci-${id}">${relativeInterval(r.relativeLift.ci95, i)}</td>`;
    return html`<tr><th scope="row">${name(variant)}</th>
  <td class="num" data-testid="n-${id}">${count(r.n, w)}</td>
  <td class="num" data-testid="estimate-${id}">${estimate(m, r.estimate, w)}</td><td class="num">${basis}</td>
  <td class="num eff eff-${effectClass(r.chanceToBeatControl)}" data-testid="chance-${id}">${chance(r.chanceToBeatControl, w)}</td>
  <td class="num" data-testid="abs-lift-${id}">${absolute(m, r.absoluteLift.mean, w)}</td>
  ${lift}
  <td class="num">${chance(r.chanceToBeBest, w)}</td>
  <td class="num">${loss(m, r.expectedLoss.ship, w)}</td></tr>`;
  });
  const unit = unitOf(m);
  const liftHeading =
    unit === 'rate'
      ? 'col.liftPercentagePoints'
      : unit === 'score' || unit === 'nps'
        ? 'col.liftPoints'
        : 'col.lift';
  return html`<table class="metric" data-testid="metric-${key}">
<thead><tr><th>${t('col.variant')}</th><th>${t('col.customers')}</th><th>${t('col.estimate')}</th><th>${t('col.counted')}</th><th>${t('col.chanceToBeat')}</th>
<th>${t(liftHeading)}</th>
<th>${inPoints(m) ? t('col.liftNpsPoints') : t('col.relativeLift')}</th><th>${t('col.interval')}</th><th>${t('col.chanceToBeBest')}</th><th>${t('col.expectedLoss')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

const roleKeys = {
  primary: 'metricRole.primary',
  guardrail: 'metricRole.guardrail',
  secondary: 'metricRole.secondary',
} as const;

function metricsSection(
  readout: Readout,
  control: string,
  counts: Counts | null | undefined,
  i: I18n,
): SafeHtml {
  const t = sayer(i);
  const name = namesOf(readout);
  const order = { primary: 0, guardrail: 1, secondary: 2 } as const;
  const metrics = Object.entries(readout.metrics).sort((a, b) => order[a[1].role] - order[b[1].role]);
  return html`<section class="metrics"><h2>${t('experiment.metrics')}</h2>
${metrics.map(
  ([key, m]) => html`<div class="metric-block">
  <h3>${m.name} <span class="badge role-${m.role}">${t(roleKeys[m.role])}</span> <span class="muted">${kindName(i, m.kind)}${m.summary ? t(m.summary === 'top2' ? 'experiment.summaryTop2' : 'experiment.summaryMean') : ''}${m.lowerIsBetter ? t('experiment.lowerIsBetter') : ''}</span></h3>
  <div class="metric-grid">${metricTable(key, m, name, counts?.metrics[key], i)}${liftChart(key, m, control, name, i)}</div>
  ${metricDetails(key, m, counts?.metrics[key], name, control, i)}
</div>`,
)}
</section>`;
}

function guardrailsSection(readout: Readout, control: string, i: I18n): SafeHtml {
  const t = sayer(i);
  const w = i.wording;
  const name = namesOf(readout);
  const rows = Object.entries(readout.metrics)
    .filter(([, m]) => m.role === 'guardrail')
    .flatMap(([key, m]) =>
      Object.entries(m.variants)
        .filter(([v]) => v !== control)
        .map(([variant, r]) => {
          const harm = isVariantResult(r) ? r.chanceOfHarm : undefined;
          const level =
            harm === undefined ? 'none' : harm >= 0.1 ? 'loss' : harm >= 0.05 ? 'lean-loss' : 'win';
          return html`<tr><th scope="row">${m.name}</th><td>${name(variant)}</td>
  <td class="num">${m.margin === undefined ? t('guardrails.marginDefault') : m.margin === 0 ? t('guardrails.marginAny') : absolute(m, m.margin, w).replace(/^\+/, '')}</td>
  <td class="num eff eff-${level}" data-testid="harm-${key}-${variant}">${harm === undefined ? t('notEnoughData') : chance(harm, w)}</td></tr>`;
        }),
    );
  if (rows.length === 0)
    return html`<section class="guardrails"><h2>${t('guardrails.title')}</h2><p class="muted">${t('guardrails.none')}</p></section>`;
  return html`<section class="guardrails"><h2>${t('guardrails.title')}</h2>
<table><thead><tr><th>${t('col.metric')}</th><th>${t('col.variant')}</th><th>${t('col.harmMargin')}</th><th>${t('col.chanceOfHarm')}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function trafficSection(view: ReadoutResponse, readout: Readout, i: I18n): SafeHtml {
  const t = sayer(i);
  const w = i.wording;
  const name = namesOf(readout);
  const exposures = view.latest?.counts?.exposures ?? {};
  const total = Object.values(exposures).reduce((s, n) => s + n, 0);
  const srm = readout.srm;
  return html`<section class="traffic"><h2>${t('traffic.title')}</h2>
<p class="srm ${srm.mismatch ? 'eff-loss' : 'eff-win'}" data-testid="srm-status" data-mismatch="${String(srm.mismatch)}">
${srm.mismatch ? t('traffic.mismatch') : t('traffic.healthy')} (${t('traffic.chiSquare', { value: w.fixed(srm.chiSquare, 2) })}, p = <span data-testid="srm-p">${pValue(srm.pValue, w)}</span>)</p>
<table><thead><tr><th>${t('col.variant')}</th><th>${t('col.exposedCustomers')}</th><th>${t('col.share')}</th></tr></thead><tbody>
${Object.entries(exposures).map(
  ([
    v,
    n,
  ]) => html`<tr><th scope="row">${name(v)}</th><td class="num" data-testid="exposures-${v}">${count(n, w)}</td>
  <td class="num">${total > 0 ? chance(n / total, w) : '–'}</td></tr>`,
)}
</tbody></table></section>`;
}

/**
 * Scheduled refreshes are hours apart, so day and minute say enough; refreshes made by hand or by
 * the demo can be seconds apart, and then the seconds are what tells the points apart.
 */
export function historyLabels(times: string[]): string[] {
  const first = Date.parse(times[0] ?? '');
  const last = Date.parse(times[times.length - 1] ?? '');
  const close = last - first < 2 * 3_600_000;
  return times.map((t) =>
    close ? `${t.slice(5, 10)} ${t.slice(11, 19)}` : `${t.slice(5, 10)} ${t.slice(11, 16)}`,
  );
}

function historySection(
  history: HistoryPoint[],
  primaryKey: string | undefined,
  primary: MetricResult | undefined,
  name: Names,
  i: I18n,
): SafeHtml {
  const t = sayer(i);
  if (!primaryKey || history.length === 0) return html``;
  const labels = historyLabels(history.map((p) => p.computedAt));
  const variants = [...new Set(history.flatMap((p) => Object.keys(p.metrics[primaryKey] ?? {})))];
  const points = primary ? inPoints(primary) : false;
  const chanceSpec: ChartSpec = {
    type: 'line',
    title: i.t('chart.chanceOverTime', { metric: primary?.name ?? primaryKey }),
    unit: '%',
    range: [0, 100],
    labels,
    series: variants.map((v) => ({
      label: name(v),
      data: history.map((p) => {
        const c = p.metrics[primaryKey]?.[v]?.chanceToBeatControl;
        return c === null || c === undefined ? null : c * 100;
      }),
    })),
  };
  const pick = (p: HistoryPoint, v: string, f: (l: { mean: number; ci95: [number, number] }) => number) => {
    const l = p.metrics[primaryKey]?.[v]?.relativeLift;
    return l ? f(l) * 100 : null;
  };
  const liftSpec: ChartSpec = {
    type: 'band',
    title: i.t('chart.liftOverTime', { metric: primary?.name ?? primaryKey }),
    unit: '%',
    labels,
    series: variants.map((v) => ({
      label: name(v),
      mean: history.map((p) => pick(p, v, (l) => l.mean)),
      lo: history.map((p) => pick(p, v, (l) => l.ci95[0])),
      hi: history.map((p) => pick(p, v, (l) => l.ci95[1])),
    })),
  };
  return html`<section class="history"><h2>${t('history.title')} <span class="muted">(${t('history.snapshots', { count: history.length })}${points ? t('history.npsRelative') : ''})</span></h2>
<div class="two">${chart(chanceSpec, 'history-chance', i)}${chart(liftSpec, 'history-lift', i)}</div></section>`;
}

function segmentsSection(
  segments: Segments | null,
  primaryKey: string | undefined,
  control: string,
  name: Names,
  i: I18n,
): SafeHtml {
  const t = sayer(i);
  const w = i.wording;
  if (!segments || !primaryKey || Object.keys(segments.attributes).length === 0) return html``;
  const blocks = Object.entries(segments.attributes).map(
    ([attr, values]) => html`<div class="segment"><h3>${t('segments.by', { attribute: attr })}</h3>
<table><thead><tr><th>${attr}</th><th>${t('col.exposed')}</th><th>${t('col.variant')}</th><th>${t('col.chanceToBeat')}</th><th>${t('col.relativeLift')}</th><th>${t('col.interval')}</th></tr></thead><tbody>
${values.flatMap((s) => {
  const m = s.readout?.metrics[primaryKey];
  const exposed = count(
    Object.values(s.exposures).reduce((a, n) => a + n, 0),
    w,
  );
  if (!m)
    return [
      html`<tr><th scope="row">${s.value}</th><td class="num">${exposed}</td><td colspan="4" class="muted">${s.reason && i.lang === 'en' ? s.reason : t('notEnoughData')}</td></tr>`,
    ];
  return Object.entries(m.variants)
    .filter(([v]) => v !== control)
    .map(([v, r]) =>
      isVariantResult(r)
        ? html`<tr><th scope="row">${s.value}</th><td class="num">${exposed}</td><td>${name(v)}</td>
  <td class="num eff eff-${effectClass(r.chanceToBeatControl)}" data-testid="segment-${attr}-${s.value}-${v}">${chance(r.chanceToBeatControl, w)}</td>
  <td class="num">${relative(r.relativeLift.mean, w)}</td><td class="num">${relativeInterval(r.relativeLift.ci95, i)}</td></tr>`
        : html`<tr><th scope="row">${s.value}</th><td class="num">${exposed}</td><td>${name(v)}</td><td colspan="3" class="muted">${t('notEnoughData')}</td></tr>`,
    );
})}
</tbody></table></div>`,
  );
  return html`<section class="segments"><h2>${t('segments.title')} <span class="badge">${t('segments.exploratory')}</span></h2>
<p class="muted" data-testid="segment-comparisons">${t('segments.comparisons', { comparisons: segments.comparisons })}</p>
<div class="two">${blocks}</div></section>`;
}

/**
 * Planning: traffic measured from the snapshot history, the control's latest estimate as the
 * baseline, and what that means for a +10% lift (`GET /v1/experiments/:key/plan` for other lifts).
 */
function planningSection(
  view: ReadoutResponse,
  readout: Readout,
  control: string,
  i: I18n,
): SafeHtml | string {
  const t = sayer(i);
  const w = i.wording;
  const points = view.history.map((h) => ({ computedAt: h.computedAt, counts: { exposures: h.exposures } }));
  const daily = measuredTraffic(points);
  const primary = Object.values(readout.metrics).find((m) => m.role === 'primary');
  const c = primary?.variants[control];
  if (!daily || !primary || c?.status !== 'ok') return '';
  // A rate is planned as a conversion, NPS as NPS, every level (score, amount, ratio) as a mean.
  const kind = scaleOf(primary) === 'rate' ? 'conversion' : inPoints(primary) ? 'nps' : 'mean';
  const sd = kind === 'mean' ? ((c.ci95[1] - c.ci95[0]) / 3.92) * Math.sqrt(c.n) : undefined;
  if (kind === 'conversion' && !(c.estimate > 0 && c.estimate < 1)) return '';
  const p = plan({
    kind,
    baseline: c.estimate,
    dailyExposures: daily,
    arms: Object.keys(primary.variants).length,
    lift: kind === 'nps' ? 5 : 0.1,
    ...(sd && sd > 0 ? { sd } : {}),
  });
  const unit =
    p.liftUnit === 'points'
      ? (x: number) => w.t('figure.points', { value: w.fixed(x, 1) })
      : (x: number) => relative(x, w);
  const days = p.chosenLift.expectedDaysToShip;
  return html`<section class="planning"><h2>${t('planning.title')}</h2>
<p data-testid="plan-summary">${t('planning.summary', {
    daily: count(Math.round(daily), w),
    planned: count(p.plannedSample, w),
    sequential: unit(p.minimumDetectableEffect.sequential),
    fixed: unit(p.minimumDetectableEffect.fixedHorizon),
    lift: unit(p.chosenLift.lift),
    chance: chance(p.chosenLift.chanceOfShipByHorizon, w),
    after: days === null ? '' : i.t('planning.afterDays', { days: Math.round(days) }),
  })}</p></section>`;
}

/** The rule behind every decision, short enough to read aloud (DECISION_RULE.md has the rest). */
export const DECISION_RULE_IN_BRIEF = ENGLISH_I18N.t('experiment.decisionRule');

export function experimentBody(
  view: ReadoutResponse,
  opts: { printing: boolean; i18n?: I18n | undefined },
): SafeHtml {
  const i = opts.i18n ?? ENGLISH_I18N;
  const t = sayer(i);
  // Links to the exports carry the page's language; English pages keep their plain links.
  const langQuery = i.lang === 'en' ? '' : `?lang=${i.lang}`;
  const e = view.experiment;
  const key = encodeURIComponent(e.key);
  const readout = view.latest?.readout ?? null;
  const primaryEntry = readout
    ? Object.entries(readout.metrics).find(([, m]) => m.role === 'primary')
    : undefined;
  const decision = readout?.decision;
  const name = readout ? namesOf(readout) : (k: string) => k;
  const header = html`<header class="exp-head">
  <h1 data-testid="experiment-name">${e.name}</h1>
  <p class="meta"><span class="badge status">${statusLabel(e.status, i)}</span> ${t('experiment.meta', { phase: e.phase, touchpoint: e.touchpoint, nudge: e.nudge, control: name(e.control) })}
  · ${t('experiment.readoutOf')} <span data-testid="computed-at">${dateTime(view.latest?.computedAt, i)}</span></p>
  ${
    opts.printing
      ? ''
      : html`<p class="exports"><a href="/dashboard/experiments/${key}/readout.csv${langQuery}" data-testid="csv-link">${t('experiment.downloadCsv')}</a>
  <a href="/v1/experiments/${key}/readout.pdf${langQuery}" data-testid="pdf-link">${t('experiment.downloadPdf')}</a></p>`
  }
</header>`;
  const failure = view.lastFailure
    ? html`<p class="alert error" data-testid="last-failure">${t('experiment.lastFailure', { time: dateTime(view.lastFailure.computedAt, i), error: view.lastFailure.error })}</p>`
    : '';
  const suggestions = (view.eventSuggestions ?? []).map(
    (x) =>
      html`<p class="alert" data-testid="event-suggestion">${t('experiment.eventSuggestion', { events: x.events, seen: x.seen, metric: x.metric, expected: x.expected })}</p>`,
  );
  if (!readout || !decision) {
    return html`${header}${failure}${suggestions}<p class="empty" data-testid="no-readout">${t('experiment.noReadout')}</p>`;
  }
  return html`${header}${failure}${suggestions}
<section class="decision action-${decision.action}">
  <span class="badge big" data-testid="decision-action">${actionLabel(decision.action, i)}${decision.variant ? html`: ${name(decision.variant)}` : ''}</span>
  <p data-testid="decision-summary">${decision.summary}</p>
  <p class="muted" data-testid="decision-rule">${t('experiment.decisionRule')}</p>
</section>
${trafficSection(view, readout, i)}
${responseSection(view.latest?.evidence, name, i)}
${priorSection(view.latest?.evidence, name, i)}
${metricsSection(readout, e.control, view.latest?.counts, i)}
${guardrailsSection(readout, e.control, i)}
${planningSection(view, readout, e.control, i)}
${historySection(view.history, primaryEntry?.[0], primaryEntry?.[1], name, i)}
${segmentsSection(view.latest?.segments ?? null, primaryEntry?.[0], e.control, name, i)}`;
}

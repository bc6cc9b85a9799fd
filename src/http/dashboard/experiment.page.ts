import { measuredTraffic } from '../../domain/planning.service.js';
import type {
  Counts,
  HistoryPoint,
  ReadoutResponse,
  Segments,
} from '../../domain/schemas/snapshot.schema.js';
import { scaleOf } from '../../stats/evidence.js';
import { basisText, differenceUnit, unitOf } from '../../stats/format.js';
import { plan } from '../../stats/planning.js';
import { isVariantResult, type MetricResult, type Readout } from '../../stats/readout.schema.js';
import {
  absolute,
  actionLabels,
  chance,
  count,
  dateTime,
  effectClass,
  estimate,
  loss,
  pValue,
  relative,
  relativeInterval,
} from './format.js';
import { html, jsonScript, type SafeHtml } from './html.js';
import { metricDetails } from './metric-details.js';

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
export function chart(spec: ChartSpec, testid: string): SafeHtml {
  chartSeq = (chartSeq + 1) % 1_000_000;
  const id = `chart-${chartSeq}`;
  return html`<figure class="chart" data-testid="${testid}">
  <div class="canvas-box"><canvas data-chart="${id}" role="img" aria-label="${spec.title}"></canvas></div>
  ${jsonScript(id, spec)}
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

function liftChart(key: string, m: MetricResult, control: string, name: Names): SafeHtml {
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
      title: `${m.name}: lift over ${name(control)} with 95% credible interval`,
      unit: inPoints(m) ? ' pts' : '%',
      labels,
      lows,
      highs,
      means,
    },
    `lift-chart-${key}`,
  );
}

function metricTable(
  key: string,
  m: MetricResult,
  name: Names,
  counts: Counts['metrics'][string] | undefined,
): SafeHtml {
  const rows = Object.entries(m.variants).map(([variant, r]) => {
    const id = `${key}-${variant}`;
    // The estimate is a posterior mean; the raw counts beside it show what it was made from.
    const basis = html`<span class="muted" data-testid="basis-${id}">(${basisText(m, counts?.variants[variant])})</span>`;
    if (r.status === 'insufficient-data') {
      return html`<tr><th scope="row">${name(variant)}</th><td class="num">${count(r.n)}</td><td colspan="7" class="muted">${r.reason}</td></tr>`;
    }
    if (!isVariantResult(r)) {
      return html`<tr class="control"><th scope="row">${name(variant)} <span class="badge">control</span></th>
  <td class="num" data-testid="n-${id}">${count(r.n)}</td>
  <td class="num" data-testid="estimate-${id}">${estimate(m, r.estimate)}</td><td class="num">${basis}</td>
  <td colspan="6" class="muted">baseline</td></tr>`;
    }
    const lift = inPoints(m)
      ? html`<td class="num" data-testid="lift-${id}">${absolute('nps', r.absoluteLift.mean)}</td>
  <td class="num">${absolute('nps', r.absoluteLift.ci95[0])} to ${absolute('nps', r.absoluteLift.ci95[1])}</td>`
      : html`<td class="num" data-testid="lift-${id}">${relative(r.relativeLift.mean)}</td>
  <td class="num" data-testid="lift-ci-${id}">${relativeInterval(r.relativeLift.ci95)}</td>`;
    return html`<tr><th scope="row">${name(variant)}</th>
  <td class="num" data-testid="n-${id}">${count(r.n)}</td>
  <td class="num" data-testid="estimate-${id}">${estimate(m, r.estimate)}</td><td class="num">${basis}</td>
  <td class="num eff eff-${effectClass(r.chanceToBeatControl)}" data-testid="chance-${id}">${chance(r.chanceToBeatControl)}</td>
  <td class="num" data-testid="abs-lift-${id}">${absolute(m, r.absoluteLift.mean)}</td>
  ${lift}
  <td class="num">${chance(r.chanceToBeBest)}</td>
  <td class="num">${loss(m, r.expectedLoss.ship)}</td></tr>`;
  });
  return html`<table class="metric" data-testid="metric-${key}">
<thead><tr><th>Variant</th><th>Customers</th><th>Estimate</th><th>Counted</th><th>Chance to beat control</th>
<th>Lift${differenceUnit(m) ? ` (${differenceUnit(m)})` : ''}</th>
<th>${inPoints(m) ? 'Lift (NPS points)' : 'Relative lift'}</th><th>95% credible interval</th><th>Chance to be best</th><th>Expected loss if shipped</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function metricsSection(readout: Readout, control: string, counts: Counts | null | undefined): SafeHtml {
  const name = namesOf(readout);
  const order = { primary: 0, guardrail: 1, secondary: 2 } as const;
  const metrics = Object.entries(readout.metrics).sort((a, b) => order[a[1].role] - order[b[1].role]);
  return html`<section class="metrics"><h2>Metrics</h2>
${metrics.map(
  ([key, m]) => html`<div class="metric-block">
  <h3>${m.name} <span class="badge role-${m.role}">${m.role}</span> <span class="muted">${m.summary ? `${m.kind}, ${m.summary === 'top2' ? 'top-2-box' : 'mean score'}` : m.kind}${m.lowerIsBetter ? ', lower is better' : ''}</span></h3>
  <div class="metric-grid">${metricTable(key, m, name, counts?.metrics[key])}${liftChart(key, m, control, name)}</div>
  ${metricDetails(key, m, counts?.metrics[key], name, control)}
</div>`,
)}
</section>`;
}

function guardrailsSection(readout: Readout, control: string): SafeHtml {
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
  <td class="num">${m.margin === undefined ? 'default' : m.margin === 0 ? 'any' : absolute(m, m.margin).replace(/^\+/, '')}</td>
  <td class="num eff eff-${level}" data-testid="harm-${key}-${variant}">${harm === undefined ? 'not enough data' : chance(harm)}</td></tr>`;
        }),
    );
  if (rows.length === 0)
    return html`<section class="guardrails"><h2>Guardrails</h2><p class="muted">No guardrail metrics.</p></section>`;
  return html`<section class="guardrails"><h2>Guardrails</h2>
<table><thead><tr><th>Metric</th><th>Variant</th><th>Harm margin</th><th>Chance of harm</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function trafficSection(view: ReadoutResponse, readout: Readout): SafeHtml {
  const name = namesOf(readout);
  const exposures = view.latest?.counts?.exposures ?? {};
  const total = Object.values(exposures).reduce((s, n) => s + n, 0);
  const srm = readout.srm;
  return html`<section class="traffic"><h2>Traffic</h2>
<p class="srm ${srm.mismatch ? 'eff-loss' : 'eff-win'}" data-testid="srm-status" data-mismatch="${String(srm.mismatch)}">
${srm.mismatch ? 'Sample-ratio mismatch' : 'Traffic split healthy'} (chi-square ${srm.chiSquare.toFixed(2)}, p = <span data-testid="srm-p">${pValue(srm.pValue)}</span>)</p>
<table><thead><tr><th>Variant</th><th>Exposed customers</th><th>Share</th></tr></thead><tbody>
${Object.entries(exposures).map(
  ([
    v,
    n,
  ]) => html`<tr><th scope="row">${name(v)}</th><td class="num" data-testid="exposures-${v}">${count(n)}</td>
  <td class="num">${total > 0 ? chance(n / total) : '–'}</td></tr>`,
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
): SafeHtml {
  if (!primaryKey || history.length === 0) return html``;
  const labels = historyLabels(history.map((p) => p.computedAt));
  const variants = [...new Set(history.flatMap((p) => Object.keys(p.metrics[primaryKey] ?? {})))];
  const points = primary ? inPoints(primary) : false;
  const chanceSpec: ChartSpec = {
    type: 'line',
    title: `Chance to beat control on ${primary?.name ?? primaryKey} over time`,
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
    title: `Relative lift on ${primary?.name ?? primaryKey} over time (95% credible interval)`,
    unit: '%',
    labels,
    series: variants.map((v) => ({
      label: name(v),
      mean: history.map((p) => pick(p, v, (l) => l.mean)),
      lo: history.map((p) => pick(p, v, (l) => l.ci95[0])),
      hi: history.map((p) => pick(p, v, (l) => l.ci95[1])),
    })),
  };
  return html`<section class="history"><h2>Evidence over time <span class="muted">(${history.length} snapshots${points ? '; NPS lift shown relative' : ''})</span></h2>
<div class="two">${chart(chanceSpec, 'history-chance')}${chart(liftSpec, 'history-lift')}</div></section>`;
}

function segmentsSection(
  segments: Segments | null,
  primaryKey: string | undefined,
  control: string,
  name: Names,
): SafeHtml {
  if (!segments || !primaryKey || Object.keys(segments.attributes).length === 0) return html``;
  const blocks = Object.entries(segments.attributes).map(
    ([attr, values]) => html`<div class="segment"><h3>By ${attr}</h3>
<table><thead><tr><th>${attr}</th><th>Exposed</th><th>Variant</th><th>Chance to beat control</th><th>Relative lift</th><th>95% credible interval</th></tr></thead><tbody>
${values.flatMap((s) => {
  const m = s.readout?.metrics[primaryKey];
  const exposed = count(Object.values(s.exposures).reduce((a, n) => a + n, 0));
  if (!m)
    return [
      html`<tr><th scope="row">${s.value}</th><td class="num">${exposed}</td><td colspan="4" class="muted">${s.reason ?? 'not enough data'}</td></tr>`,
    ];
  return Object.entries(m.variants)
    .filter(([v]) => v !== control)
    .map(([v, r]) =>
      isVariantResult(r)
        ? html`<tr><th scope="row">${s.value}</th><td class="num">${exposed}</td><td>${name(v)}</td>
  <td class="num eff eff-${effectClass(r.chanceToBeatControl)}" data-testid="segment-${attr}-${s.value}-${v}">${chance(r.chanceToBeatControl)}</td>
  <td class="num">${relative(r.relativeLift.mean)}</td><td class="num">${relativeInterval(r.relativeLift.ci95)}</td></tr>`
        : html`<tr><th scope="row">${s.value}</th><td class="num">${exposed}</td><td>${name(v)}</td><td colspan="3" class="muted">not enough data</td></tr>`,
    );
})}
</tbody></table></div>`,
  );
  return html`<section class="segments"><h2>Segments <span class="badge">exploratory</span></h2>
<p class="muted" data-testid="segment-comparisons">${segments.comparisons} comparisons on the primary metric: with this many slices some look like winners by chance. Treat these as leads for a new experiment, not as decisions.</p>
<div class="two">${blocks}</div></section>`;
}

/**
 * Planning: traffic measured from the snapshot history, the control's latest estimate as the
 * baseline, and what that means for a +10% lift (`GET /v1/experiments/:key/plan` for other lifts).
 */
function planningSection(view: ReadoutResponse, readout: Readout, control: string): SafeHtml | string {
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
  const unit = p.liftUnit === 'points' ? (x: number) => `${x.toFixed(1)} points` : (x: number) => relative(x);
  const days = p.chosenLift.expectedDaysToShip;
  return html`<section class="planning"><h2>Planning</h2>
<p data-testid="plan-summary">About ${count(Math.round(daily))} exposures a day (from the snapshots): over ${count(p.plannedSample)} per arm in 28 days,
the smallest lift shipped 8 times in 10 is ${unit(p.minimumDetectableEffect.sequential)} (${unit(p.minimumDetectableEffect.fixedHorizon)} for a single look).
A true lift of ${unit(p.chosenLift.lift)} ships in ${chance(p.chosenLift.chanceOfShipByHorizon)} of runs${days === null ? '' : `, after ${days.toFixed(0)} days on average`}.</p></section>`;
}

/** The rule behind every decision, short enough to read aloud (DECISION_RULE.md has the rest). */
export const DECISION_RULE_IN_BRIEF =
  'A variant ships when it is very likely better than the control, every arm has enough customers and no guardrail shows harm. Because results are checked again and again, it must also pass a stricter test that a lucky streak cannot pass by checking often, so a high chance alone is not always enough.';

export function experimentBody(view: ReadoutResponse, opts: { printing: boolean }): SafeHtml {
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
  <p class="meta"><span class="badge status">${e.status}</span> phase ${e.phase} · touchpoint ${e.touchpoint} · nudge ${e.nudge} · control: ${name(e.control)}
  · readout of <span data-testid="computed-at">${dateTime(view.latest?.computedAt)}</span></p>
  ${
    opts.printing
      ? ''
      : html`<p class="exports"><a href="/dashboard/experiments/${key}/readout.csv" data-testid="csv-link">Download CSV</a>
  <a href="/v1/experiments/${key}/readout.pdf" data-testid="pdf-link">Download PDF</a></p>`
  }
</header>`;
  const failure = view.lastFailure
    ? html`<p class="alert error" data-testid="last-failure">The refresh at ${dateTime(view.lastFailure.computedAt)} failed (${view.lastFailure.error}); showing the previous readout.</p>`
    : '';
  const suggestions = (view.eventSuggestions ?? []).map(
    (x) =>
      html`<p class="alert" data-testid="event-suggestion">${count(x.events)} events named "${x.seen}" from this experiment's customers were not counted: ${x.metric} reads "${x.expected}". Did you mean "${x.expected}"?</p>`,
  );
  if (!readout || !decision) {
    return html`${header}${failure}${suggestions}<p class="empty" data-testid="no-readout">No readout yet: this experiment has not been refreshed since it started.</p>`;
  }
  return html`${header}${failure}${suggestions}
<section class="decision action-${decision.action}">
  <span class="badge big" data-testid="decision-action">${actionLabels[decision.action] ?? decision.action}${decision.variant ? html`: ${name(decision.variant)}` : ''}</span>
  <p data-testid="decision-summary">${decision.summary}</p>
  <p class="muted" data-testid="decision-rule">${DECISION_RULE_IN_BRIEF}</p>
</section>
${trafficSection(view, readout)}
${metricsSection(readout, e.control, view.latest?.counts)}
${guardrailsSection(readout, e.control)}
${planningSection(view, readout, e.control)}
${historySection(view.history, primaryEntry?.[0], primaryEntry?.[1], name)}
${segmentsSection(view.latest?.segments ?? null, primaryEntry?.[0], e.control, name)}`;
}

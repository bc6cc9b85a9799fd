/** The plain-language summary of a readout, written for people who decide, not analysts. */
import type { Decision } from './decision.ts';
import { absoluteLift, lossText, percent, pValueText, unitOf } from './format.ts';
import {
  type ArmResult,
  type HoldReason,
  isVariantResult,
  type MetricResult,
  type Readout,
  type VariantResult,
} from './readout.schema.ts';
import { ENGLISH, type Wording } from './wording.ts';

export interface SummaryContext {
  decision: Pick<Decision, 'action' | 'focus' | 'reasons' | 'harmedGuardrail' | 'blocks'>;
  control: string;
  primary: MetricResult;
  guardrails: MetricResult[];
  names: Map<string, string>;
  srmPValue: number;
}

export function formatChance(p: number, w: Wording = ENGLISH): string {
  if (p >= 0.9995) return w.t('chance.over', { value: w.percent(99.9, 1) });
  if (p <= 0.0005) return w.t('chance.under', { value: w.percent(0.1, 1) });
  if (p >= 0.99 || p <= 0.01) return percent(p, w);
  return w.percent(Math.round(p * 100), 0);
}

/**
 * Decimals that show an interval of this width with two significant digits, so a lift measured on
 * 10^8 users reads "+0.005% (... -0.002% to +0.013%)" rather than "+0.0% (-0.0% to +0.0%)".
 */
export function decimalsFor(width: number, least: number): number {
  if (!(width > 0) || !Number.isFinite(width)) return least;
  return Math.min(6, Math.max(least, 1 - Math.floor(Math.log10(width))));
}

const lead = (x: number, digits: number, w: Wording): string =>
  x >= 0 ? `+${w.fixed(x, digits)}` : `-${w.fixed(Math.abs(x), digits)}`;

/** A lift and its interval in percent (every number carries the sign) or in points (the unit once). */
function formatInterval(
  mean: number,
  [lo, hi]: [number, number],
  unit: 'percent' | 'points' | 'nps' | 'plain',
  w: Wording,
): string {
  const scale = unit === 'percent' ? 100 : 1;
  const digits = decimalsFor((hi - lo) * scale, 1);
  // The interval's ends always carry a sign here, zero included ("+0.0"), as they always have.
  const f = (x: number): string =>
    unit === 'percent'
      ? `${x * scale >= 0 ? '+' : '-'}${w.percent(Math.abs(x * scale), digits)}`
      : lead(x, digits, w);
  const meanText =
    unit === 'percent' || unit === 'plain'
      ? f(mean)
      : w.t(unit === 'nps' ? 'figure.npsPoints' : 'figure.points', { value: f(mean) });
  return w.t('lift.interval', { mean: meanText, low: f(lo), high: f(hi) });
}

/** True when the control's interval includes 0, so a lift relative to it means nothing. */
export function straddlesZero(control: ArmResult | undefined): boolean {
  return control?.status === 'ok' && control.ci95[0] <= 0 && control.ci95[1] >= 0;
}

/** The relative lift with its interval, then the same move in the metric's own unit. */
function formatLift(
  metric: MetricResult,
  r: VariantResult,
  control: ArmResult | undefined,
  w: Wording,
): string {
  const unit = unitOf(metric);
  if (unit === 'nps') return formatInterval(r.absoluteLift.mean, r.absoluteLift.ci95, 'nps', w);
  if (unit !== 'rate' && straddlesZero(control))
    return formatInterval(r.absoluteLift.mean, r.absoluteLift.ci95, unit === 'score' ? 'points' : 'plain', w);
  const rel = formatInterval(r.relativeLift.mean, r.relativeLift.ci95, 'percent', w);
  return w.t('lift.relativeAndAbsolute', {
    relative: rel,
    absolute: absoluteLift(metric, r.absoluteLift.mean, w),
  });
}

/** One reason the rule holds a ship back, in words a decision-maker can repeat. */
export function reasonText(r: HoldReason, w: Wording = ENGLISH): string {
  switch (r.code) {
    case 'no-data':
      return w.t('reason.noData', { metric: r.metric });
    case 'min-sample':
      return w.t('reason.minSample', {
        minSample: Math.round(r.minSample),
        metric: r.metric,
        smallest: Math.round(r.smallest),
      });
    case 'chance':
      return w.t('reason.chance', { chance: percent(r.chance, w), needed: percent(r.needed, w) });
    case 'loss':
      return w.t('reason.loss', {
        loss: lossText(r.unit ?? r.kind, r.loss, w),
        tolerance: lossText(r.unit ?? r.kind, r.tolerance, w),
      });
    case 'sequential':
      return r.morePerArm === undefined
        ? w.t('reason.sequentialWrongWay')
        : w.t('reason.sequentialMore', { more: Math.round(r.morePerArm) });
    case 'guardrail-harm':
      return w.t('reason.guardrailHarm', { metric: r.metric });
    case 'guardrail-missing':
      return w.t('reason.guardrailMissing', { metric: r.metric });
    default:
      return w.t('reason.notConclusive');
  }
}

function formatMargin(metric: MetricResult, w: Wording): string {
  if (metric.margin === 0) return '';
  // A number, not text: the message writes it in the language's digits and agrees the unit with it.
  const m = Number(metric.margin.toPrecision(3));
  const unit = unitOf(metric);
  if (unit === 'nps') return w.t('margin.npsPoints', { margin: m });
  if (unit === 'rate')
    return w.t('margin.percentagePoints', { margin: Number((metric.margin * 100).toPrecision(3)) });
  return w.t(unit === 'score' ? 'margin.points' : 'margin.plain', { margin: m });
}

function guardrailClause(g: MetricResult, key: string, blocked: boolean, w: Wording): string | undefined {
  const r = g.variants[key];
  if (!isVariantResult(r)) return w.t('guardrail.noData', { metric: g.name });
  const detail = w.t(g.lowerIsBetter ? 'guardrail.detailRise' : 'guardrail.detailDrop', {
    chance: formatChance(r.chanceOfHarm, w),
    margin: formatMargin(g, w),
  });
  return w.t(blocked ? 'guardrail.possibleHarm' : 'guardrail.noHarm', { metric: g.name, detail });
}

function closing(ctx: SummaryContext, w: Wording): string {
  const d = ctx.decision;
  switch (d.action) {
    case 'ship':
      return w.t('closing.ship');
    case 'keep-control':
      return w.t('closing.keepControl');
    case 'stop-guardrail':
      return d.harmedGuardrail
        ? w.t('closing.stopGuardrail', { guardrail: d.harmedGuardrail })
        : w.t('closing.stopSomeGuardrail');
    case 'stop-srm':
      return w.t('closing.stopSrm');
    default:
      return d.reasons && d.reasons.length > 0
        ? w.t('closing.keepRunningBecause', { reasons: d.reasons.map((r) => reasonText(r, w)).join('; ') })
        : w.t('closing.keepRunning');
  }
}

export function summarize(ctx: SummaryContext, w: Wording = ENGLISH): string {
  const { decision, primary } = ctx;
  const end = closing(ctx, w);
  if (decision.action === 'stop-srm') {
    return `${w.t('summary.srm', { p: pValueText(ctx.srmPValue, w) })} ${end}`;
  }
  const key = decision.focus;
  const r = key ? primary.variants[key] : undefined;
  if (!key || !isVariantResult(r)) {
    return `${w.t('summary.noComparison', { metric: primary.name })} ${end}`;
  }
  const head = w.t(primary.lowerIsBetter ? 'summary.leadLowers' : 'summary.leadRaises', {
    variant: ctx.names.get(key) ?? key,
    chance: formatChance(r.chanceToBeatControl, w),
    metric: primary.name,
    lift: formatLift(primary, r, primary.variants[ctx.control], w),
  });
  const clauses = ctx.guardrails
    .map((g) => guardrailClause(g, key, decision.blocks.get(g.name)?.get(key) ?? false, w))
    .filter((c): c is string => c !== undefined);
  return clauses.length > 0 ? `${head}; ${clauses.join('; ')}. ${end}` : `${head}. ${end}`;
}

/**
 * The summary of a stored readout in another language, from what the readout keeps of the
 * decision (`decision.basis`). Undefined for readouts stored before it was kept: their sentence
 * exists only as written then, in English.
 */
export function summarizeReadout(
  readout: Readout,
  control: string,
  w: Wording = ENGLISH,
): string | undefined {
  const basis = readout.decision.basis;
  const primary = Object.values(readout.metrics).find((m) => m.role === 'primary');
  if (!basis || !primary) return undefined;
  const guardrails = Object.values(readout.metrics).filter((m) => m.role === 'guardrail');
  const blocked = new Set(basis.blockedBy);
  const focus = basis.focus;
  const blocks = new Map(
    guardrails.map((g) => [g.name, new Map(focus ? [[focus, blocked.has(g.name)]] : [])] as const),
  );
  return summarize(
    {
      decision: {
        action: readout.decision.action,
        ...(focus !== undefined ? { focus } : {}),
        ...(readout.decision.reasons ? { reasons: readout.decision.reasons } : {}),
        ...(basis.harmedGuardrail !== undefined ? { harmedGuardrail: basis.harmedGuardrail } : {}),
        blocks,
      },
      control,
      primary,
      guardrails,
      names: new Map(Object.entries(readout.variantNames ?? {})),
      srmPValue: readout.srm.pValue,
    },
    w,
  );
}

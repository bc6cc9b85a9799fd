/** The plain-language summary of a readout, written for people who decide, not analysts. */
import type { Decision } from './decision.ts';
import { absoluteLift, countText, lossText, percent, unitOf } from './format.ts';
import {
  type ArmResult,
  type HoldReason,
  isVariantResult,
  type MetricResult,
  type VariantResult,
} from './readout.schema.ts';

export interface SummaryContext {
  decision: Decision;
  control: string;
  primary: MetricResult;
  guardrails: MetricResult[];
  names: Map<string, string>;
  srmPValue: number;
}

export function formatChance(p: number): string {
  if (p >= 0.9995) return 'over 99.9%';
  if (p <= 0.0005) return 'under 0.1%';
  if (p >= 0.99 || p <= 0.01) return `${(p * 100).toFixed(1)}%`;
  return `${Math.round(p * 100)}%`;
}

const signed = (x: number, digits: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;

/**
 * Decimals that show an interval of this width with two significant digits, so a lift measured on
 * 10^8 users reads "+0.005% (... -0.002% to +0.013%)" rather than "+0.0% (-0.0% to +0.0%)".
 */
export function decimalsFor(width: number, least: number): number {
  if (!(width > 0) || !Number.isFinite(width)) return least;
  return Math.min(6, Math.max(least, 1 - Math.floor(Math.log10(width))));
}

function formatInterval(mean: number, [lo, hi]: [number, number], scale: number, unit: string): string {
  const digits = decimalsFor((hi - lo) * scale, 1);
  const f = (x: number): string => signed(x * scale, digits);
  // A percent sign belongs on every number; a word unit only once.
  const end = unit === '%' ? '%' : '';
  return `${f(mean)}${unit} (95% credible interval ${f(lo)}${end} to ${f(hi)}${end})`;
}

/** True when the control's interval includes 0, so a lift relative to it means nothing. */
export function straddlesZero(control: ArmResult | undefined): boolean {
  return control?.status === 'ok' && control.ci95[0] <= 0 && control.ci95[1] >= 0;
}

/** The relative lift with its interval, then the same move in the metric's own unit. */
function formatLift(metric: MetricResult, r: VariantResult, control: ArmResult | undefined): string {
  const unit = unitOf(metric);
  if (unit === 'nps') return formatInterval(r.absoluteLift.mean, r.absoluteLift.ci95, 1, ' NPS points');
  if (unit !== 'rate' && straddlesZero(control))
    return formatInterval(r.absoluteLift.mean, r.absoluteLift.ci95, 1, unit === 'score' ? ' points' : '');
  const rel = formatInterval(r.relativeLift.mean, r.relativeLift.ci95, 100, '%');
  return `${rel}, that is ${absoluteLift(metric, r.absoluteLift.mean)}`;
}

/** One reason the rule holds a ship back, in words a decision-maker can repeat. */
export function reasonText(r: HoldReason): string {
  switch (r.code) {
    case 'no-data':
      return `not enough data on ${r.metric} yet`;
    case 'min-sample':
      return `fewer than ${countText(r.minSample)} per arm on ${r.metric} so far (the smallest arm has ${countText(r.smallest)})`;
    case 'chance':
      return `a ${percent(r.chance)} chance to beat the control is below the ${percent(r.needed)} we ask for`;
    case 'loss':
      return `if shipped now it could still cost ${lossText(r.unit ?? r.kind, r.loss)} on average, more than the ${lossText(r.unit ?? r.kind, r.tolerance)} we accept`;
    case 'sequential':
      return r.morePerArm === undefined
        ? 'we check daily, so a stronger result is needed, and today the effect points the wrong way'
        : `we check daily, so a stronger result is needed: about ${countText(r.morePerArm)} more customers per arm at today's effect`;
    case 'guardrail-harm':
      return `the possible harm to ${r.metric} has to clear first`;
    case 'guardrail-missing':
      return `waiting for data on ${r.metric}`;
    default:
      return 'the evidence is not conclusive yet';
  }
}

function formatMargin(metric: MetricResult): string {
  if (metric.margin === 0) return '';
  const m = Number(metric.margin.toPrecision(3));
  const unit = unitOf(metric);
  if (unit === 'nps') return ` over ${m} NPS points`;
  if (unit === 'rate') return ` over ${Number((metric.margin * 100).toPrecision(3))} percentage points`;
  return unit === 'score' ? ` over ${m} points` : ` over ${m}`;
}

function guardrailClause(g: MetricResult, key: string, blocked: boolean): string | undefined {
  const r = g.variants[key];
  if (!isVariantResult(r)) return `no usable data yet on ${g.name}`;
  const move = g.lowerIsBetter ? 'rise' : 'drop';
  const detail = `${formatChance(r.chanceOfHarm)} chance of a ${move}${formatMargin(g)}`;
  if (!blocked) return `no sign of harm to ${g.name} (${detail})`;
  return `possible harm to ${g.name} (${detail})`;
}

function closing(ctx: SummaryContext): string {
  const d = ctx.decision;
  switch (d.action) {
    case 'ship':
      return 'Ship it.';
    case 'keep-control':
      return 'Keep the control.';
    case 'stop-guardrail':
      return `Stop: it harms ${d.harmedGuardrail ?? 'a guardrail'}.`;
    case 'stop-srm':
      return 'Stop and fix the traffic split first.';
    default:
      return d.reasons && d.reasons.length > 0
        ? `Keep it running: ${d.reasons.map(reasonText).join('; ')}.`
        : 'Keep it running.';
  }
}

export function summarize(ctx: SummaryContext): string {
  const { decision, primary } = ctx;
  const end = closing(ctx);
  if (decision.action === 'stop-srm') {
    const p = ctx.srmPValue < 1e-4 ? ctx.srmPValue.toExponential(1) : ctx.srmPValue.toFixed(4);
    return `Exposures do not match the configured traffic split (sample-ratio mismatch, p = ${p}), so no result can be trusted. ${end}`;
  }
  const key = decision.focus;
  const r = key ? primary.variants[key] : undefined;
  if (!key || !isVariantResult(r)) {
    return `${primary.name}: not enough data to compare variants yet. ${end}`;
  }
  const verb = primary.lowerIsBetter ? 'lowers' : 'raises';
  const name = ctx.names.get(key) ?? key;
  const lead = `${name}: ${formatChance(r.chanceToBeatControl)} chance it ${verb} ${primary.name}, ${formatLift(primary, r, primary.variants[ctx.control])}`;
  const clauses = ctx.guardrails
    .map((g) => guardrailClause(g, key, decision.blocks.get(g.name)?.get(key) ?? false))
    .filter((c): c is string => c !== undefined);
  return clauses.length > 0 ? `${lead}; ${clauses.join('; ')}. ${end}` : `${lead}. ${end}`;
}

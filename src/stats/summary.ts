/** The plain-language summary of a readout, written for people who decide, not analysts. */
import type { Decision } from './decision.ts';
import { isVariantResult, type MetricResult, type VariantResult } from './readout.schema.ts';

export interface SummaryContext {
  decision: Decision;
  control: string;
  primary: MetricResult;
  guardrails: MetricResult[];
  names: Map<string, string>;
  srmPValue: number;
  maxChanceOfHarm: number;
}

export function formatChance(p: number): string {
  if (p >= 0.9995) return 'over 99.9%';
  if (p <= 0.0005) return 'under 0.1%';
  if (p >= 0.99 || p <= 0.01) return `${(p * 100).toFixed(1)}%`;
  return `${Math.round(p * 100)}%`;
}

const signed = (x: number, digits: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;

function formatLift(metric: MetricResult, r: VariantResult): string {
  if (metric.kind === 'nps') {
    const [lo, hi] = r.absoluteLift.ci95;
    return `${signed(r.absoluteLift.mean, 1)} NPS points (95% credible interval ${signed(lo, 1)} to ${signed(hi, 1)})`;
  }
  const [lo, hi] = r.relativeLift.ci95;
  const pct = (x: number): string => `${signed(x * 100, 1)}%`;
  return `${pct(r.relativeLift.mean)} (95% credible interval ${pct(lo)} to ${pct(hi)})`;
}

function formatMargin(metric: MetricResult): string {
  if (metric.margin === 0) return '';
  const m = Number(metric.margin.toPrecision(3));
  if (metric.kind === 'nps') return ` over ${m} NPS points`;
  if (metric.kind === 'conversion')
    return ` over ${Number((metric.margin * 100).toPrecision(3))} percentage points`;
  return ` over ${m} points`;
}

function guardrailClause(g: MetricResult, key: string, maxChanceOfHarm: number): string | undefined {
  const r = g.variants[key];
  if (!isVariantResult(r)) return `no usable data yet on ${g.name}`;
  const move = g.lowerIsBetter ? 'rise' : 'drop';
  const detail = `${formatChance(r.chanceOfHarm)} chance of a ${move}${formatMargin(g)}`;
  if (r.chanceOfHarm < maxChanceOfHarm) return `no sign of harm to ${g.name} (${detail})`;
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
      return `Keep it running${d.why ? ` (${d.why})` : ''}.`;
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
  const lead = `${name}: ${formatChance(r.chanceToBeatControl)} chance it ${verb} ${primary.name}, ${formatLift(primary, r)}`;
  const clauses = ctx.guardrails
    .map((g) => guardrailClause(g, key, ctx.maxChanceOfHarm))
    .filter((c): c is string => c !== undefined);
  return clauses.length > 0 ? `${lead}; ${clauses.join('; ')}. ${end}` : `${lead}. ${end}`;
}

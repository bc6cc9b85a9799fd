import { poolEffects } from '../stats/pooled-effect.js';
import { betterEffect, type EffectScale } from './evidence/effect-scale.js';
import type { Experiment, Metric } from './schemas/experiment.schema.js';
import type {
  ExperimentBrief,
  Lift,
  PooledEffect,
  Portfolio,
  PortfolioEntry,
  PortfolioMeasure,
} from './schemas/insights.schema.js';
import type { NudgeType } from './schemas/nudge.schema.js';
import type { Touchpoint } from './schemas/touchpoint.schema.js';

interface Measured {
  experiment: Experiment;
  brief: ExperimentBrief;
}

/**
 * The variant an experiment speaks for: the shipped one when the decision is to ship, otherwise the
 * one most likely to beat control on the primary metric (or on any ranked metric if the primary is
 * neither conversion nor satisfaction).
 */
export function leadingVariant(brief: ExperimentBrief): string | null {
  if (brief.decision?.action === 'ship' && brief.decision.variant) return brief.decision.variant;
  const primary = brief.lifts.filter((l) => l.role === 'primary');
  const pool = primary.length > 0 ? primary : brief.lifts;
  let best: Lift | null = null;
  for (const l of pool) if (!best || l.chanceToBeatControl > best.chanceToBeatControl) best = l;
  return best?.variant ?? null;
}

/** The measure a metric counts for, or null for those the portfolio does not rank (revenue, other means). */
export function measureOf(m: Pick<Metric, 'kind' | 'event'>): PortfolioMeasure | null {
  if (m.kind === 'conversion') return 'conversion';
  if (m.kind === 'nps') return 'nps';
  if (m.kind === 'mean' && m.event === 'csat') return 'csat';
  if (m.kind === 'mean' && m.event === 'ces') return 'effort';
  return null;
}

/** Conversion rates differ by an order of magnitude between touchpoints, so their lifts are relative. */
const unitOf = (measure: PortfolioMeasure): EffectScale => (measure === 'conversion' ? 'relative' : 'points');

type Item = PooledEffect['items'][number];

/** The leading variant's lift on this measure, better-signed, with the variance of its interval. */
function itemFor(m: Measured, measure: PortfolioMeasure): (Item & { variance: number }) | null {
  const variant = leadingVariant(m.brief);
  if (!variant) return null;
  const metrics = new Map(m.experiment.metrics.map((x) => [x.key, x]));
  const lifts = m.brief.lifts.filter((l) => {
    const metric = metrics.get(l.metric);
    return l.variant === variant && metric !== undefined && measureOf(metric) === measure;
  });
  const lift =
    lifts.find((l) => l.role === 'primary') ?? lifts.find((l) => l.role === 'guardrail') ?? lifts[0];
  if (!lift) return null;
  const effect = betterEffect(lift, unitOf(measure), lift.lowerIsBetter);
  if (!Number.isFinite(effect.estimate) || !(effect.variance > 0)) return null;
  const ci = unitOf(measure) === 'relative' ? lift.relativeLift.ci95 : lift.absoluteLift.ci95;
  return {
    experiment: m.brief.key,
    variant,
    metric: lift.metric,
    estimate: effect.estimate,
    ci95: lift.lowerIsBetter ? [-ci[1], -ci[0]] : [ci[0], ci[1]],
    chanceToBeatControl: lift.chanceToBeatControl,
    variance: effect.variance,
  };
}

function pooled(group: Measured[], measure: PortfolioMeasure): PooledEffect {
  const found = group.flatMap((m) => itemFor(m, measure) ?? []);
  const fit = poolEffects(
    found.map((i) => ({ key: i.experiment, estimate: i.estimate, variance: i.variance })),
  );
  return {
    unit: unitOf(measure),
    experiments: fit?.experiments ?? 0,
    estimate: fit?.estimate ?? null,
    ci95: fit?.ci95 ?? null,
    chanceBetter: fit?.chanceAboveZero ?? null,
    spread: fit?.spread ?? null,
    items: found.map(({ variance: _v, ...i }) => i),
  };
}

function entry(group: Measured[]): PortfolioEntry {
  return {
    experiments: group.map((m) => m.experiment.key),
    conversion: pooled(group, 'conversion'),
    csat: pooled(group, 'csat'),
    nps: pooled(group, 'nps'),
    effort: pooled(group, 'effort'),
  };
}

/**
 * CSAT points, NPS points and a relative conversion lift cannot be ranked against each other, but
 * the chance that each is an improvement can: satisfaction first (the mean chance over the
 * satisfaction measures a row has), then conversion; unmeasured last.
 */
function byEffect(a: PortfolioEntry, b: PortfolioEntry): number {
  const key = (e: PortfolioEntry) => {
    const sat = [e.csat, e.nps, e.effort].flatMap((p) => (p.chanceBetter === null ? [] : [p.chanceBetter]));
    return [
      sat.length > 0 ? sat.reduce((s, x) => s + x, 0) / sat.length : Number.NEGATIVE_INFINITY,
      e.conversion.chanceBetter ?? Number.NEGATIVE_INFINITY,
    ] as const;
  };
  const [as, ac] = key(a);
  const [bs, bc] = key(b);
  if (as !== bs) return bs > as ? 1 : -1;
  if (ac !== bc) return bc > ac ? 1 : -1;
  return 0;
}

function groupBy<K>(items: Measured[], keyOf: (m: Measured) => K | null): Map<K, Measured[]> {
  const out = new Map<K, Measured[]>();
  for (const m of items) {
    const k = keyOf(m);
    if (k === null) continue;
    out.set(k, [...(out.get(k) ?? []), m]);
  }
  return out;
}

/** Running, paused, stopped and concluded experiments with at least one snapshot count. */
export function rankPortfolio(touchpoints: Touchpoint[], measured: Measured[], now: Date): Portfolio {
  const withData = measured.filter((m) => m.brief.computedAt !== null);
  const tpByKey = new Map(touchpoints.map((t) => [t.key, t]));
  const byTouchpoint = groupBy(withData, (m) => m.experiment.touchpoint ?? null);
  const byType = groupBy<NudgeType>(withData, (m) => m.brief.nudgeType);
  const byChannel = groupBy(withData, (m) => tpByKey.get(m.experiment.touchpoint)?.channel ?? null);
  const tps = [...byTouchpoint.entries()].flatMap(([key, group]) => {
    const tp = tpByKey.get(key);
    if (!tp) return [];
    return [
      { key, name: tp.name, journey: tp.journey, stage: tp.stage, channel: tp.channel, ...entry(group) },
    ];
  });
  return {
    computedAt: now.toISOString(),
    touchpoints: tps.sort(byEffect),
    nudgeTypes: [...byType.entries()].map(([type, group]) => ({ type, ...entry(group) })).sort(byEffect),
    channels: [...byChannel.entries()]
      .map(([channel, group]) => ({ channel, ...entry(group) }))
      .sort(byEffect),
  };
}

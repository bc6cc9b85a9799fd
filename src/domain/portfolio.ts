import { poolEffects } from '../stats/pooled-effect.js';
import { betterEffect } from './evidence/effect-scale.js';
import type { Experiment } from './schemas/experiment.schema.js';
import {
  type ExperimentBrief,
  type Lift,
  type PooledEffect,
  type Portfolio,
  type PortfolioEntry,
  type PortfolioMeasure,
  portfolioMeasures,
  portfolioScales,
  satisfactionMeasures,
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

type Item = PooledEffect['items'][number];

/**
 * The leading variant's lift on this measure, better-signed, with the variance of its interval.
 * Which measure a metric counts for, and its lift on that measure's scale, its kind says
 * (src/metrics); the brief carries both.
 */
function itemFor(m: Measured, measure: PortfolioMeasure): (Item & { variance: number }) | null {
  const variant = leadingVariant(m.brief);
  if (!variant) return null;
  const lifts = m.brief.lifts.filter((l) => l.variant === variant && l.portfolio?.measure === measure);
  const lift =
    lifts.find((l) => l.role === 'primary') ?? lifts.find((l) => l.role === 'guardrail') ?? lifts[0];
  if (!lift?.portfolio) return null;
  const onScale = lift.portfolio.lift;
  const effect = betterEffect({ absoluteLift: onScale, relativeLift: onScale }, 'points', lift.lowerIsBetter);
  if (!Number.isFinite(effect.estimate) || !(effect.variance > 0)) return null;
  const ci = onScale.ci95;
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
    unit: portfolioScales[measure],
    experiments: fit?.experiments ?? 0,
    estimate: fit?.estimate ?? null,
    ci95: fit?.ci95 ?? null,
    chanceBetter: fit?.chanceAboveZero ?? null,
    spread: fit?.spread ?? null,
    items: found.map(({ variance: _v, ...i }) => i),
  };
}

function entry(group: Measured[]): PortfolioEntry {
  const measures = Object.fromEntries(portfolioMeasures.map((m) => [m, pooled(group, m)]));
  return {
    experiments: group.map((m) => m.experiment.key),
    ...(measures as Record<PortfolioMeasure, PooledEffect>),
  };
}

/**
 * CSAT points, NPS points and a relative conversion lift cannot be ranked against each other, but
 * the chance that each is an improvement can: satisfaction first (the mean chance over the
 * satisfaction measures a row has), then conversion, then ratios; unmeasured last.
 */
function byEffect(a: PortfolioEntry, b: PortfolioEntry): number {
  const key = (e: PortfolioEntry) => {
    const sat = satisfactionMeasures.flatMap((m) => (e[m].chanceBetter === null ? [] : [e[m].chanceBetter]));
    return [
      sat.length > 0 ? sat.reduce((s, x) => s + x, 0) / sat.length : Number.NEGATIVE_INFINITY,
      e.conversion.chanceBetter ?? Number.NEGATIVE_INFINITY,
      e.ratio.chanceBetter ?? Number.NEGATIVE_INFINITY,
    ];
  };
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) {
    const x = ka[i] ?? 0;
    const y = kb[i] ?? 0;
    if (x !== y) return y > x ? 1 : -1;
  }
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

import type { Experiment } from './schemas/experiment.schema.js';
import type { Effect, ExperimentBrief, Lift, Portfolio } from './schemas/insights.schema.js';
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

/**
 * Positive is better for the customer. Relative lift for conversion and mean metrics (sign turned
 * when lower is better); NPS, whose control can sit near 0, uses its lift in NPS points / 100.
 */
export function betterLift(l: Lift): number {
  const raw = l.kind === 'nps' ? l.absoluteLift.mean / 100 : l.relativeLift.mean;
  return l.lowerIsBetter ? -raw : raw;
}

type Item = Effect['items'][number];

function itemFor(brief: ExperimentBrief, family: 'conversion' | 'satisfaction'): Item | null {
  const variant = leadingVariant(brief);
  if (!variant) return null;
  const lifts = brief.lifts.filter((l) => l.variant === variant && l.family === family);
  const lift =
    lifts.find((l) => l.role === 'primary') ?? lifts.find((l) => l.role === 'guardrail') ?? lifts[0];
  if (!lift || !Number.isFinite(betterLift(lift))) return null;
  return {
    experiment: brief.key,
    variant,
    metric: lift.metric,
    betterRelativeLift: betterLift(lift),
    chanceToBeatControl: lift.chanceToBeatControl,
  };
}

function effect(items: Item[]): Effect {
  const mean = items.length > 0 ? items.reduce((s, i) => s + i.betterRelativeLift, 0) / items.length : null;
  return { experiments: items.length, meanRelativeLift: mean, items };
}

function entry(group: Measured[]) {
  const conv = group.flatMap((m) => itemFor(m.brief, 'conversion') ?? []);
  const sat = group.flatMap((m) => itemFor(m.brief, 'satisfaction') ?? []);
  return {
    experiments: group.map((m) => m.experiment.key),
    conversion: effect(conv),
    satisfaction: effect(sat),
  };
}

/** Satisfaction first (the question CX leads ask most), then conversion; unmeasured last. */
function byEffect(a: ReturnType<typeof entry>, b: ReturnType<typeof entry>): number {
  const key = (e: ReturnType<typeof entry>) => [
    e.satisfaction.meanRelativeLift ?? Number.NEGATIVE_INFINITY,
    e.conversion.meanRelativeLift ?? Number.NEGATIVE_INFINITY,
  ];
  const [as, ac] = key(a);
  const [bs, bc] = key(b);
  if (as !== bs) return (bs ?? 0) > (as ?? 0) ? 1 : -1;
  if (ac !== bc) return (bc ?? 0) > (ac ?? 0) ? 1 : -1;
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

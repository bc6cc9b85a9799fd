/**
 * The hierarchical section of a many-arm readout: every variant's raw and shrunk estimate and lift
 * side by side, and the chance to be best under the hierarchical model (control unshrunk).
 */

import { scaleOf } from './evidence.ts';
import { fitHierarchy, normalChanceBest } from './hierarchical.ts';
import type { MetricAnalysis } from './metric.ts';
import type { ArmPosterior } from './posterior.ts';
import type { HierarchicalResult } from './readout.schema.ts';

const expit = (x: number): number => 1 / (1 + Math.exp(-x));

/** The arm on the model's scale: log-odds for a rate, the metric itself otherwise. */
function onScale(rate: boolean, p: ArmPosterior): { mean: number; variance: number } {
  if (rate && p.logOdds) return p.logOdds;
  return { mean: p.estimate, variance: p.variance };
}

export function hierarchicalReadout(
  metricKey: string,
  primary: MetricAnalysis,
  control: string,
  active: ReadonlySet<string>,
): HierarchicalResult | undefined {
  const rate = scaleOf(primary.result) === 'rate';
  const c = primary.arms.get(control);
  if (!c?.ok) return undefined;
  const variants = [...active].flatMap((key) => {
    const s = primary.arms.get(key);
    if (!s?.ok) return [];
    const v = onScale(rate, s.posterior);
    return Number.isFinite(v.variance) && v.variance > 0 ? [{ key, ...v }] : [];
  });
  if (variants.length < 2) return undefined;
  const fit = fitHierarchy(variants);
  const base = onScale(rate, c.posterior);
  const back = (x: number): number => (rate ? expit(x) : x);
  const baseValue = c.posterior.estimate;
  const lift = (value: number): number => (rate ? value / baseValue - 1 : value - baseValue);
  const normals = [
    { mean: base.mean, sd: Math.sqrt(base.variance) },
    ...fit.arms.map((a) => ({ mean: a.shrunk, sd: Math.sqrt(a.shrunkVariance) })),
  ];
  const best = normalChanceBest(normals, !primary.result.lowerIsBetter);
  const arms: HierarchicalResult['arms'] = {};
  fit.arms.forEach((a, i) => {
    const rawValue = primary.arms.get(a.key);
    const raw = rawValue?.ok ? rawValue.posterior.estimate : back(a.raw);
    const sd = Math.sqrt(a.shrunkVariance);
    const shrunk = back(a.shrunk);
    arms[a.key] = {
      raw,
      shrunk,
      ci95: [back(a.shrunk - 1.959964 * sd), back(a.shrunk + 1.959964 * sd)],
      rawLift: lift(raw),
      shrunkLift: lift(shrunk),
      chanceToBeBest: best[i + 1] ?? 0,
    };
  });
  const leader = Object.entries(arms).sort((x, y) => y[1].chanceToBeBest - x[1].chanceToBeBest)[0]?.[0];
  if (!leader) return undefined;
  return {
    metric: metricKey,
    liftKind: rate ? 'relative' : 'absolute',
    spread: fit.tau,
    leader,
    arms,
  };
}

import type { AnalyzeInputRaw } from '../../stats/index.js';
import type { Experiment, Metric } from '../schemas/experiment.schema.js';
import type { Counts, VariantCounts } from '../schemas/snapshot.schema.js';
import { aggregationOf, tallyKey } from './outcome-state.js';

/** Tally sums keyed `<variant>|<metric>|<stat>`, as the readout pipeline returns them. */
export type TallySums = ReadonlyMap<string, number>;

type ExperimentShape = Pick<Experiment, 'control' | 'variants' | 'metrics' | 'decision'>;

/** Sample variance (n - 1 denominator) from sums; clamped at 0 against rounding. */
export function varianceFromSums(n: number, sum: number, sumSquares: number): number {
  if (n < 2) return 0;
  return Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
}

function variantCounts(metric: Metric, variant: string, exposed: number, sums: TallySums): VariantCounts {
  const get = (stat: string) => sums.get(tallyKey(variant, metric.key, stat)) ?? 0;
  if (metric.kind === 'conversion') {
    // A conversion counts once per customer, so it can never exceed the exposed count.
    return { n: exposed, conversions: Math.min(get('conversions'), exposed) };
  }
  if (metric.kind === 'nps') {
    const detractors = get('detractors');
    const passives = get('passives');
    const promoters = get('promoters');
    return { n: detractors + passives + promoters, detractors, passives, promoters };
  }
  // Revenue sums are per exposed customer (no purchase is a 0); survey means are per answer.
  const n = aggregationOf(metric) === 'sum' ? exposed : get('n');
  const sum = get('sum');
  const sumSquares = get('sumSquares');
  return {
    n,
    sum,
    sumSquares,
    mean: n > 0 ? sum / n : 0,
    variance: varianceFromSums(n, sum, sumSquares),
  };
}

/** Per metric and variant counts, every variant present even with no data. */
export function countsFrom(
  exp: ExperimentShape,
  exposures: ReadonlyMap<string, number>,
  sums: TallySums,
): Counts {
  const exposed: Record<string, number> = {};
  for (const v of exp.variants) exposed[v.key] = exposures.get(v.key) ?? 0;
  const metrics: Counts['metrics'] = {};
  for (const metric of exp.metrics) {
    const variants: Record<string, VariantCounts> = {};
    for (const v of exp.variants) variants[v.key] = variantCounts(metric, v.key, exposed[v.key] ?? 0, sums);
    metrics[metric.key] = { kind: metric.kind, role: metric.role, variants };
  }
  return { exposures: exposed, metrics };
}

/**
 * The stats engine's input. The engine needs exactly one primary metric: an experiment without one
 * has its first metric analysed as primary (the schema allows at most one, not exactly one).
 */
export function analyzeInputFrom(
  exp: ExperimentShape,
  counts: Counts,
  variantNames: ReadonlyMap<string, string> = new Map(),
): AnalyzeInputRaw {
  const hasPrimary = exp.metrics.some((m) => m.role === 'primary');
  const metrics = exp.metrics.map((m, i) => {
    const role = !hasPrimary && i === 0 ? 'primary' : m.role;
    const base = {
      key: m.key,
      name: m.name ?? m.key,
      role,
      ...(m.margin !== undefined ? { margin: m.margin } : {}),
      lowerIsBetter: m.lowerIsBetter,
    };
    const byVariant = counts.metrics[m.key]?.variants ?? {};
    const data = (pick: (c: VariantCounts) => Record<string, number>) =>
      Object.fromEntries(exp.variants.map((v) => [v.key, pick(byVariant[v.key] ?? { n: 0 })]));
    if (m.kind === 'conversion') {
      return {
        ...base,
        kind: 'conversion' as const,
        data: data((c) => ({ n: c.n, conversions: c.conversions ?? 0 })),
      };
    }
    if (m.kind === 'nps') {
      return {
        ...base,
        kind: 'nps' as const,
        data: data((c) => ({
          detractors: c.detractors ?? 0,
          passives: c.passives ?? 0,
          promoters: c.promoters ?? 0,
        })),
      };
    }
    return {
      ...base,
      kind: 'mean' as const,
      data: data((c) => ({ n: c.n, mean: c.mean ?? 0, variance: c.variance ?? 0 })),
    };
  });
  const d = exp.decision ?? {};
  const decision: Record<string, number> = {};
  // The engine wants open-interval probabilities; the definition allows the closed ends.
  const open = (p: number) => Math.min(Math.max(p, 1e-9), 1 - 1e-9);
  if (d.chanceToBeatControl !== undefined) decision.chanceToBeatControl = open(d.chanceToBeatControl);
  if (d.lossTolerance !== undefined) decision.lossTolerance = d.lossTolerance;
  if (d.harmThreshold !== undefined) decision.maxChanceOfHarm = open(d.harmThreshold);
  if (d.minSample !== undefined) decision.minSample = d.minSample;
  return {
    control: exp.control,
    variants: exp.variants.map((v) => ({
      key: v.key,
      ...(variantNames.has(v.key) ? { name: variantNames.get(v.key) } : {}),
      weight: v.weight,
      exposures: counts.exposures[v.key] ?? 0,
    })),
    metrics,
    decision,
  } as unknown as AnalyzeInputRaw;
}

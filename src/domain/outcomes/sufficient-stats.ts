import { countsOf, emptyCounts, engineInputOf, type VariantCountsOf } from '../../metrics/registry.js';
import type { AnalyzeInputRaw } from '../../stats/index.js';
import type { Experiment } from '../schemas/experiment.schema.js';
import type { Counts, VariantCounts } from '../schemas/snapshot.schema.js';
import { tallyKey } from './outcome-state.js';

export { varianceFromSums } from '../../metrics/mean/mean.kind.js';

/** Tally sums keyed `<variant>|<metric>|<stat>`, as the readout pipeline returns them. */
export type TallySums = ReadonlyMap<string, number>;

type ExperimentShape = Pick<Experiment, 'control' | 'variants' | 'metrics' | 'decision'>;

/** Per metric and variant counts, every variant present even with no data. */
export function countsFrom(
  exp: ExperimentShape,
  exposures: ReadonlyMap<string, number>,
  tally: TallySums,
): Counts {
  const exposed: Record<string, number> = {};
  for (const v of exp.variants) exposed[v.key] = exposures.get(v.key) ?? 0;
  const metrics: Counts['metrics'] = {};
  for (const metric of exp.metrics) {
    const sums = Object.fromEntries(
      exp.variants.map((v) => [
        v.key,
        {
          stat: (name: string) => tally.get(tallyKey(v.key, metric.key, name)) ?? 0,
          exposed: exposed[v.key] ?? 0,
        },
      ]),
    );
    const { variants, metric: extra } = countsOf(metric, sums);
    metrics[metric.key] = {
      kind: metric.kind,
      role: metric.role,
      variants: variants as Record<string, VariantCounts>,
      ...extra,
    };
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
    const { kind: _, role: __, variants: stored = {}, ...metric } = counts.metrics[m.key] ?? {};
    // Every variant has counts, a variant without data the kind's zeros.
    const variants = Object.fromEntries(
      exp.variants.map((v) => [v.key, (stored[v.key] as VariantCountsOf | undefined) ?? emptyCounts(m)]),
    );
    return { ...base, ...engineInputOf(m, { variants, metric }) };
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

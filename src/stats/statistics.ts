/**
 * The engine's statistics, one entry each: how an arm's sufficient statistics become its
 * posterior, the unit its figures are written in, and what else
 * the metric's result reports. Comparisons (compare.ts) and the decision work on any posterior,
 * so a new statistic is one entry here and its input schema, not a branch in every file.
 */
import { type ArmState, guarded, meanArm, missing } from './arm-state.ts';
import { conversionPosterior } from './beta-binomial.ts';
import { differenceQuantile } from './compare.ts';
import { type CupedSums, cupedAdjust } from './cuped.ts';
import type { MetricInput } from './input.schema.ts';
import type { DisplayUnit, StatisticKind } from './metric-input.schema.ts';
import { npsPosterior } from './nps-dirichlet.ts';
import { ordinalPosterior, ordinalShares } from './ordinal.ts';
import { MIN_RATIO_N, ratioPosterior } from './ratio.ts';
import type { MetricResult } from './readout.schema.ts';
import { type TwoPartData, twoPartPosterior, twoPartShortfall } from './two-part.ts';

type Of<K extends StatisticKind> = Extract<MetricInput, { kind: K }>;
type Report = Pick<MetricResult, 'summary' | 'ordinal' | 'twoPart' | 'cuped'>;

interface Statistic<M extends MetricInput> {
  arms(metric: M, keys: readonly string[]): Map<string, ArmState>;
  unit(metric: M): DisplayUnit;
  report?(metric: M, arms: Map<string, ArmState>, control: string): Report;
}

const each = (keys: readonly string[], arm: (key: string) => ArmState) =>
  new Map(keys.map((k) => [k, guarded(() => arm(k))]));

const fromEstimate = (s: ArmState | undefined) =>
  s?.ok ? { estimate: s.posterior.estimate, ci95: s.posterior.ci95 } : null;

/** Sums of y and y^2 from n, mean and sample variance. */
function outcomeSums(d: { n: number; mean: number; variance: number }) {
  return { sumY: d.n * d.mean, sumY2: (d.n - 1) * d.variance + d.n * d.mean * d.mean };
}

function cupedOf(metric: Of<'mean'>) {
  const c = metric.cuped;
  if (!c) return null;
  const sums: Record<string, CupedSums> = {};
  for (const [k, d] of Object.entries(metric.data)) {
    const x = c.data[k];
    if (x) sums[k] = { n: d.n, ...outcomeSums(d), ...x };
  }
  return cupedAdjust(sums);
}

const conversion: Statistic<Of<'conversion'>> = {
  arms: (metric, keys) =>
    each(keys, (k) => {
      const d = metric.data[k];
      if (!d || d.n === 0) return missing(0, 'no users');
      return { ok: true, posterior: conversionPosterior(d.n, d.conversions, metric.prior) };
    }),
  unit: () => 'rate',
};

const mean: Statistic<Of<'mean'>> = {
  arms(metric, keys) {
    const adjusted = cupedOf(metric);
    return each(keys, (k) => {
      const d = metric.data[k];
      if (!d) return missing(0, 'no users');
      const a = adjusted?.arms[k];
      return a ? meanArm(a.n, a.mean, a.variance) : meanArm(d.n, d.mean, d.variance);
    });
  },
  unit: () => 'score',
  report(metric, arms, control) {
    const adjusted = cupedOf(metric);
    if (!adjusted || !metric.cuped) return {};
    const plain = new Map(
      Object.entries(metric.data).map(([k, d]) => [k, guarded(() => meanArm(d.n, d.mean, d.variance))]),
    );
    const base = plain.get(control);
    const unadjustedLift: Record<string, { mean: number; ci95: [number, number] }> = {};
    const out: Record<
      string,
      { n: number; covariateMean: number; adjusted: number; unadjusted: ReturnType<typeof fromEstimate> }
    > = {};
    for (const [k, a] of Object.entries(adjusted.arms)) {
      const x = metric.cuped.data[k];
      out[k] = {
        n: a.n,
        covariateMean: x && a.n > 0 ? x.sumX / a.n : 0,
        adjusted: a.mean,
        unadjusted: fromEstimate(plain.get(k)),
      };
      const v = plain.get(k);
      if (k === control || !v?.ok || !base?.ok || !arms.get(k)?.ok) continue;
      const [vt, ct] = [v.posterior.table, base.posterior.table];
      unadjustedLift[k] = {
        mean: v.posterior.estimate - base.posterior.estimate,
        ci95: [differenceQuantile(vt, ct, 0.025), differenceQuantile(vt, ct, 0.975)],
      };
    }
    return {
      cuped: {
        ...(metric.cuped.label !== undefined ? { label: metric.cuped.label } : {}),
        theta: adjusted.theta,
        varianceReduction: adjusted.varianceReduction,
        arms: out,
        unadjustedLift,
      },
    };
  },
};

const nps: Statistic<Of<'nps'>> = {
  arms: (metric, keys) =>
    each(keys, (k) => {
      const d = metric.data[k];
      const n = d ? d.detractors + d.passives + d.promoters : 0;
      if (!d || n === 0) return missing(0, 'no responses');
      return { ok: true, posterior: npsPosterior(d) };
    }),
  unit: () => 'nps',
};

const ratio: Statistic<Of<'ratio'>> = {
  arms: (metric, keys) =>
    each(keys, (k) => {
      const d = metric.data[k];
      if (!d || d.n === 0) return missing(0, 'no users');
      if (d.n < MIN_RATIO_N)
        return missing(d.n, `fewer than ${MIN_RATIO_N} units: the delta method is not trusted yet`);
      if (!(d.sumY > 0)) return missing(d.n, 'no denominator yet: the ratio is undefined');
      const p = ratioPosterior(d);
      if (!(p.variance > 0)) return missing(d.n, 'zero variance: every unit has the same ratio');
      return { ok: true, posterior: p };
    }),
  unit: () => 'ratio',
};

const ordinal: Statistic<Of<'ordinal'>> = {
  arms: (metric, keys) =>
    each(keys, (k) => {
      const d = metric.data[k];
      const n = d ? d.counts.reduce((s, c) => s + c, 0) : 0;
      if (!d || n === 0) return missing(0, 'no responses');
      return { ok: true, posterior: ordinalPosterior(d.counts, metric.summary, metric.scores) };
    }),
  unit: (metric) => (metric.summary === 'top2' ? 'rate' : 'score'),
  report(metric) {
    const first = Object.values(metric.data)[0];
    const scores = metric.scores ?? (first?.counts ?? []).map((_, i) => i + 1);
    const arms: NonNullable<Report['ordinal']>['arms'] = {};
    for (const [k, d] of Object.entries(metric.data)) {
      const summary = (s: 'top2' | 'mean') =>
        fromEstimate(guarded(() => ({ ok: true, posterior: ordinalPosterior(d.counts, s, scores) }))) ?? {
          estimate: 0,
          ci95: [0, 0] as [number, number],
        };
      arms[k] = {
        mean: summary('mean'),
        top2: summary('top2'),
        shares: ordinalShares(d.counts).map((s, i) => ({ score: scores[i] ?? i + 1, ...s })),
      };
    }
    return { ordinal: { scores, arms } };
  },
};

/** Sample variance (n - 1 denominator) from sums, 0 below two observations. */
const varianceOfSums = (n: number, sum: number, sumSquares: number): number =>
  n > 1 ? Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1)) : 0;

/** Revenue under the mean model is a mean over every unit, zeros included. */
function asMean(metric: Of<'revenue'>): Of<'mean'> {
  const { model: _, data, ...rest } = metric;
  const perUnit = Object.fromEntries(
    Object.entries(data).map(([k, d]) => [
      k,
      { n: d.n, mean: d.n > 0 ? d.sum / d.n : 0, variance: varianceOfSums(d.n, d.sum, d.sumSquares) },
    ]),
  );
  return { ...rest, kind: 'mean', data: perUnit };
}

/** The non-zero part of the two-part model: how many, and their mean and variance. */
function nonZeroPart(d: Of<'revenue'>['data'][string]): TwoPartData {
  const k = d.nonZero;
  return {
    n: d.n,
    nonZero: k,
    mean: k > 0 ? d.sum / k : 0,
    variance: varianceOfSums(k, d.sum, d.sumSquares),
  };
}

const revenue: Statistic<Of<'revenue'>> = {
  arms(metric, keys) {
    if (metric.model === 'mean') return mean.arms(asMean(metric), keys);
    return each(keys, (k) => {
      const raw = metric.data[k];
      if (!raw) return missing(0, 'no users');
      const d = nonZeroPart(raw);
      const short = twoPartShortfall(d);
      if (short) return missing(d.n, short);
      return { ok: true, posterior: twoPartPosterior(d).product };
    });
  },
  unit: () => 'amount',
  report(metric, arms, control) {
    if (metric.model === 'mean') return mean.report?.(asMean(metric), arms, control) ?? {};
    const out: NonNullable<Report['twoPart']>['arms'] = {};
    for (const [k, raw] of Object.entries(metric.data)) {
      if (raw.n === 0) continue;
      const d = nonZeroPart(raw);
      const share = conversionPosterior(d.n, d.nonZero, { alpha: 1, beta: 1 });
      const whole = guarded(() => meanArm(d.nonZero, d.mean, d.variance));
      out[k] = { share: { estimate: share.estimate, ci95: share.ci95 }, perNonZero: fromEstimate(whole) };
    }
    return { twoPart: { arms: out } };
  },
};

const table: { [K in StatisticKind]: Statistic<Of<K>> } = {
  conversion,
  mean,
  nps,
  ratio,
  ordinal,
  revenue,
};

export function statisticOf(metric: MetricInput): Statistic<MetricInput> {
  return table[metric.kind] as Statistic<MetricInput>;
}

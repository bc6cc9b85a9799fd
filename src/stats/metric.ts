/** One metric's results: a posterior per arm, then every variant compared with the control. */
import { type ArmState, allFinite, UNSTABLE } from './arm-state.ts';
import {
  chanceBest,
  chanceGreater,
  differenceCdf,
  differenceQuantile,
  expectedExcess,
  relativeQuantile,
} from './compare.ts';
import { DEFAULT_MARGIN, decisionScale, scaleOf } from './evidence.ts';
import type { MetricInput } from './input.schema.ts';
import type { ArmPosterior } from './posterior.ts';
import type { ArmResult, MetricResult, VariantResult } from './readout.schema.ts';
import { statisticOf } from './statistics.ts';

export type { ArmState };

export interface MetricAnalysis {
  result: MetricResult;
  /** Posteriors by variant key, for the decision's evidence check. */
  arms: Map<string, ArmState>;
}

function compareToControl(
  metric: MetricInput,
  margin: number,
  v: ArmPosterior,
  c: ArmPosterior,
  best: number,
): VariantResult {
  const higher = !metric.lowerIsBetter;
  const above = chanceGreater(v.table, c.table);
  const variantExcess = expectedExcess(v.table, c.table);
  const controlExcess = expectedExcess(c.table, v.table);
  const notes: string[] = [];
  let relativeMean: number;
  // Only Beta posteriors have E[1/X]; then the mean of the ratio is exact.
  if (c.meanReciprocal !== undefined) {
    relativeMean = v.estimate * c.meanReciprocal - 1;
  } else {
    // The ratio's mean does not exist when the control's posterior has density at 0.
    relativeMean = relativeQuantile(v.table, c.table, 0.5);
    notes.push('relativeLift.mean is the posterior median: the mean of the ratio does not exist here');
  }
  if (c.ci95[0] <= 0 && c.ci95[1] >= 0) {
    notes.push("relativeLift is not meaningful: the control's 95% interval includes 0; read absoluteLift");
  }
  const harm = higher
    ? differenceCdf(v.table, c.table, -margin)
    : 1 - differenceCdf(v.table, c.table, margin);
  return {
    status: 'ok',
    n: v.n,
    estimate: v.estimate,
    ci95: v.ci95,
    chanceToBeatControl: higher ? above : 1 - above,
    chanceToBeBest: best,
    absoluteLift: {
      mean: v.estimate - c.estimate,
      ci95: [differenceQuantile(v.table, c.table, 0.025), differenceQuantile(v.table, c.table, 0.975)],
    },
    relativeLift: {
      mean: relativeMean,
      ci95: [relativeQuantile(v.table, c.table, 0.025), relativeQuantile(v.table, c.table, 0.975)],
    },
    expectedLoss: higher
      ? { ship: controlExcess, keep: variantExcess }
      : { ship: variantExcess, keep: controlExcess },
    chanceOfHarm: Math.min(1, Math.max(0, harm)),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

export function analyzeMetric(
  metric: MetricInput,
  variantKeys: readonly string[],
  control: string,
): MetricAnalysis {
  const statistic = statisticOf(metric);
  const arms = statistic.arms(metric, variantKeys);
  const summary = metric.kind === 'ordinal' ? { summary: metric.summary } : {};
  const scale = scaleOf({ kind: metric.kind, ...summary });
  const okKeys = variantKeys.filter((k) => arms.get(k)?.ok);
  const tables = okKeys.map((k) => {
    const s = arms.get(k);
    if (!s?.ok) throw new Error('unreachable');
    return s.posterior.table;
  });
  const bestList = tables.length > 1 ? chanceBest(tables, !metric.lowerIsBetter) : tables.map(() => 1);
  const best = new Map(okKeys.map((k, i) => [k, bestList[i] ?? 0]));
  const controlState = arms.get(control);
  const margin =
    metric.margin ?? (controlState?.ok ? DEFAULT_MARGIN * decisionScale(scale, controlState.posterior) : 0);
  const variants: Record<string, ArmResult> = {};
  for (const key of variantKeys) {
    const state = arms.get(key);
    if (!state) continue;
    if (!state.ok) {
      variants[key] = { status: 'insufficient-data', n: state.n, reason: state.reason };
    } else if (key === control) {
      const p = state.posterior;
      variants[key] = { status: 'ok', n: p.n, estimate: p.estimate, ci95: p.ci95 };
    } else if (!controlState?.ok) {
      variants[key] = {
        status: 'insufficient-data',
        n: state.posterior.n,
        reason: 'the control has no usable data',
      };
    } else {
      const r = compareToControl(metric, margin, state.posterior, controlState.posterior, best.get(key) ?? 0);
      variants[key] = allFinite(r) ? r : { status: 'insufficient-data', n: r.n, reason: UNSTABLE };
    }
  }
  const anyCompared = Object.entries(variants).some(([k, r]) => k !== control && r.status === 'ok');
  return {
    arms,
    result: {
      kind: metric.kind,
      unit: metric.unit ?? statistic.unit(metric),
      ...summary,
      role: metric.role,
      name: metric.name ?? metric.key,
      lowerIsBetter: metric.lowerIsBetter,
      margin,
      status: anyCompared ? 'ok' : 'insufficient-data',
      variants,
      ...statistic.report?.(metric, arms, control),
    },
  };
}

/** One metric's results: a posterior per arm, then every variant compared with the control. */
import { conversionPosterior } from './beta-binomial.ts';
import {
  chanceBest,
  chanceGreater,
  differenceCdf,
  differenceQuantile,
  expectedExcess,
  relativeQuantile,
} from './compare.ts';
import { DEFAULT_MARGIN, decisionScale } from './evidence.ts';
import type { MetricInput } from './input.schema.ts';
import { MIN_MEAN_N, meanPosterior } from './normal-mean.ts';
import { npsPosterior } from './nps-dirichlet.ts';
import type { ArmPosterior } from './posterior.ts';
import type { ArmResult, MetricResult, VariantResult } from './readout.schema.ts';

export type ArmState = { ok: true; posterior: ArmPosterior } | { ok: false; n: number; reason: string };

export interface MetricAnalysis {
  result: MetricResult;
  /** Posteriors by variant key, for the decision's evidence check. */
  arms: Map<string, ArmState>;
}

const UNSTABLE = 'could not be computed reliably for these numbers';

/** True when JSON.stringify would keep every number (no NaN or Infinity turned into null). */
function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

function armState(metric: MetricInput, key: string): ArmState {
  try {
    const state = posteriorOf(metric, key);
    if (state.ok && !allFinite([state.posterior.estimate, state.posterior.ci95])) {
      return { ok: false, n: state.posterior.n, reason: UNSTABLE };
    }
    return state;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { ok: false, n: 0, reason: UNSTABLE };
  }
}

function posteriorOf(metric: MetricInput, key: string): ArmState {
  if (metric.kind === 'conversion') {
    const d = metric.data[key];
    if (!d || d.n === 0) return { ok: false, n: 0, reason: 'no users' };
    return { ok: true, posterior: conversionPosterior(d.n, d.conversions, metric.prior) };
  }
  if (metric.kind === 'mean') {
    const d = metric.data[key];
    if (!d || d.n === 0) return { ok: false, n: 0, reason: 'no users' };
    if (d.n < MIN_MEAN_N) {
      return {
        ok: false,
        n: d.n,
        reason: `fewer than ${MIN_MEAN_N} observations: the mean's posterior is too wide`,
      };
    }
    if (d.variance === 0) {
      return {
        ok: false,
        n: d.n,
        reason: 'zero variance: every observation is the same, so its spread is unknown',
      };
    }
    if (Math.sqrt(d.variance / d.n) < 1e-9 * Math.abs(d.mean)) {
      // Doubles near the mean are too coarse to describe a posterior this narrow.
      return { ok: false, n: d.n, reason: 'variance too small relative to the mean to be resolved' };
    }
    return { ok: true, posterior: meanPosterior(d.n, d.mean, d.variance) };
  }
  const d = metric.data[key];
  const n = d ? d.detractors + d.passives + d.promoters : 0;
  if (!d || n === 0) return { ok: false, n: 0, reason: 'no responses' };
  return { ok: true, posterior: npsPosterior(d) };
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
  if (metric.kind === 'conversion' && c.meanReciprocal !== undefined) {
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
  const arms = new Map<string, ArmState>(variantKeys.map((k) => [k, armState(metric, k)]));
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
    metric.margin ??
    (controlState?.ok ? DEFAULT_MARGIN * decisionScale(metric.kind, controlState.posterior) : 0);
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
      role: metric.role,
      name: metric.name ?? metric.key,
      lowerIsBetter: metric.lowerIsBetter,
      margin,
      status: anyCompared ? 'ok' : 'insufficient-data',
      variants,
    },
  };
}

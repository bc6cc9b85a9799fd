import type { DefinitionRepository } from '../../db/definition.repository.js';
import type { SnapshotRepository } from '../../db/snapshot.repository.js';
import { isVariantResult, type MetricResult, type Readout } from '../../stats/index.js';
import { mixtureQuantile } from '../../stats/normal-mixture.js';
import {
  combineWithPrior,
  type EffectPrior,
  MIN_PAST_EXPERIMENTS,
  type PastEffect,
  priorFromPast,
} from '../../stats/prior-fit.js';
import type { ExperimentPrior, PriorEvidence, PriorNoteFacts } from '../schemas/evidence.schema.js';
import type { Experiment, Metric } from '../schemas/experiment.schema.js';
import type { Nudge, NudgeType } from '../schemas/nudge.schema.js';
import {
  betterEffect,
  type EffectScale,
  inMetricDirection,
  intervalInMetricDirection,
} from './effect-scale.js';
import { noteText, pastNudgesFacts, templateFacts } from './evidence-text.js';

export interface PriorDeps {
  experiments: Pick<DefinitionRepository<Experiment>, 'list'>;
  nudges: Pick<DefinitionRepository<Nudge>, 'list' | 'getByKey'>;
  snapshots: Pick<SnapshotRepository, 'latestOk'>;
  /** Nudge types whose experiments take a prior from past nudges unless they say `prior: {from: none}`. */
  pastNudgeTypes?: readonly NudgeType[];
}

/**
 * At most this many concluded experiments (the most recently concluded) feed a prior: two point
 * reads each, so a refresh stays bounded however long the programme has run.
 */
export const MAX_PAST_SOURCES = 50;

type Source = PriorEvidence['sources'][number];

/** The primary metric, or the first when none is marked (as the engine analyses it). */
export function primaryMetric(exp: Pick<Experiment, 'metrics'>): Metric | undefined {
  return exp.metrics.find((m) => m.role === 'primary') ?? exp.metrics[0];
}

export function scaleOf(kind: string): EffectScale {
  return kind === 'nps' ? 'points' : 'relative';
}

/**
 * The same measure in another experiment: the same kind and, beyond conversions, the same event
 * (a mean of CSAT answers and a mean of revenue are not one measure). Its primary metric first.
 */
function matchingMetrics(past: Experiment, like: Metric): Metric[] {
  const same = past.metrics.filter(
    (m) => m.kind === like.kind && (like.kind === 'conversion' || m.event === like.event),
  );
  return [...same.filter((m) => m.role === 'primary'), ...same.filter((m) => m.role !== 'primary')];
}

/**
 * The variant a concluded experiment speaks for: the one shipped, else the one its last readout
 * shipped, else the one most likely to beat control. With several variants this picks the luckiest
 * more often than not (the README says so); with one it is simply the variant.
 */
function speakingVariant(past: Experiment, result: MetricResult, readout: Readout): string | null {
  const usable = (v: string | undefined): v is string =>
    v !== undefined && v !== past.control && isVariantResult(result.variants[v]);
  if (usable(past.shippedVariant)) return past.shippedVariant;
  if (readout.decision.action === 'ship' && usable(readout.decision.variant)) return readout.decision.variant;
  let best: string | null = null;
  let chance = -1;
  for (const [v, arm] of Object.entries(result.variants)) {
    if (v === past.control || !isVariantResult(arm)) continue;
    if (arm.chanceToBeatControl > chance) {
      best = v;
      chance = arm.chanceToBeatControl;
    }
  }
  return best;
}

/** Concluded experiments of the same nudge type, newest first: their effect on the same measure. */
async function pastSources(deps: PriorDeps, exp: Experiment, type: NudgeType, metric: Metric) {
  const [sameType, concluded] = await Promise.all([
    deps.nudges.list({ type }),
    deps.experiments.list({ status: 'concluded' }),
  ]);
  const nudgeKeys = new Set(sameType.map((n) => n.key));
  const candidates = concluded
    .filter((e) => e.key !== exp.key && nudgeKeys.has(e.nudge))
    .sort((a, b) => (b.concludedAt ?? '').localeCompare(a.concludedAt ?? '') || a.key.localeCompare(b.key))
    .slice(0, MAX_PAST_SOURCES);
  const snapshots = await Promise.all(candidates.map((e) => deps.snapshots.latestOk(e.key)));
  const scale = scaleOf(metric.kind);
  const sources: (Source & { better: number; variance: number })[] = [];
  candidates.forEach((past, i) => {
    const readout = snapshots[i]?.readout;
    if (!readout) return;
    for (const m of matchingMetrics(past, metric)) {
      const result = readout.metrics[m.key];
      if (!result) continue;
      const variant = speakingVariant(past, result, readout);
      const arm = variant ? result.variants[variant] : undefined;
      if (!variant || !isVariantResult(arm)) continue;
      const effect = betterEffect(arm, scale, m.lowerIsBetter);
      if (!(effect.variance > 0) || !Number.isFinite(effect.estimate)) continue;
      sources.push({
        experiment: past.key,
        variant,
        metric: m.key,
        estimate: inMetricDirection(effect.estimate, metric.lowerIsBetter),
        sd: Math.sqrt(effect.variance),
        better: effect.estimate,
        variance: effect.variance,
      });
      return;
    }
  });
  return sources;
}

function effectOf(prior: EffectPrior, lowerIsBetter: boolean): NonNullable<PriorEvidence['prior']> {
  const ci: [number, number] = [
    mixtureQuantile(prior.components, 0.025, prior),
    mixtureQuantile(prior.components, 0.975, prior),
  ];
  return {
    estimate: inMetricDirection(prior.mean, lowerIsBetter),
    sd: Math.sqrt(prior.variance),
    ci95: intervalInMetricDirection(ci, lowerIsBetter),
  };
}

/** Each non-control variant's own lift, with the prior, and how far the prior moved it. */
function shrinkVariants(
  result: MetricResult,
  control: string,
  metric: Metric,
  prior: EffectPrior,
): PriorEvidence['variants'] {
  const out: PriorEvidence['variants'] = {};
  const scale = scaleOf(metric.kind);
  for (const [v, arm] of Object.entries(result.variants)) {
    if (v === control || !isVariantResult(arm)) continue;
    const own = betterEffect(arm, scale, metric.lowerIsBetter);
    if (!(own.variance > 0)) continue;
    const lift = scale === 'relative' ? arm.relativeLift : arm.absoluteLift;
    const shrunk = combineWithPrior(own.estimate, own.variance, prior);
    out[v] = {
      without: { estimate: lift.mean, sd: Math.sqrt(own.variance), ci95: lift.ci95 },
      with: {
        estimate: inMetricDirection(shrunk.estimate, metric.lowerIsBetter),
        sd: Math.sqrt(shrunk.variance),
        ci95: intervalInMetricDirection(shrunk.ci95, metric.lowerIsBetter),
      },
      moved: inMetricDirection(shrunk.moved, metric.lowerIsBetter),
    };
  }
  return out;
}

async function requested(deps: PriorDeps, exp: Experiment): Promise<ExperimentPrior | undefined> {
  if (exp.prior) return exp.prior;
  if (!deps.pastNudgeTypes?.length) return undefined;
  const nudge = await deps.nudges.getByKey(exp.nudge);
  return nudge && deps.pastNudgeTypes.includes(nudge.type) ? { from: 'past-nudges' } : undefined;
}

/**
 * The prior an experiment asked for, on its primary metric, and what it does to each variant's lift.
 * The decision rule is left on the experiment's own data: its error rates were calibrated with
 * flat priors (DECISION_RULE.md). The prior-adjusted lift is the better forecast of what shipping
 * delivers, reported beside it.
 */
export async function priorEvidence(
  deps: PriorDeps,
  exp: Experiment,
  readout: Readout,
): Promise<PriorEvidence | undefined> {
  const request = await requested(deps, exp);
  const metric = primaryMetric(exp);
  if (!request || request.from === 'none' || !metric) return undefined;
  const result = readout.metrics[metric.key];
  const scale = scaleOf(metric.kind);
  const base = { from: request.from, metric: metric.key, scale, sources: [], prior: null, variants: {} };
  if (request.from === 'template') {
    if (scale !== 'relative') {
      const noteFacts = templateFacts(request, metric, false);
      return { ...base, used: false, template: request.template, note: noteText(noteFacts), noteFacts };
    }
    const mean = inMetricDirection(request.relativeLift, metric.lowerIsBetter);
    const variance = request.sd * request.sd;
    const prior = { mean, variance, from: [request.template], components: [{ weight: 1, mean, variance }] };
    const noteFacts = templateFacts(request, metric, true);
    return {
      ...base,
      used: true,
      template: request.template,
      note: noteText(noteFacts),
      noteFacts,
      prior: effectOf(prior, metric.lowerIsBetter),
      variants: result ? shrinkVariants(result, exp.control, metric, prior) : {},
    };
  }
  const nudge = await deps.nudges.getByKey(exp.nudge);
  if (!nudge) {
    const noteFacts: PriorNoteFacts = { says: 'nudge-missing', nudge: exp.nudge };
    return { ...base, used: false, note: noteText(noteFacts), noteFacts };
  }
  const sources = await pastSources(deps, exp, nudge.type, metric);
  const past: PastEffect[] = sources.map((s) => ({
    key: s.experiment,
    estimate: s.better,
    variance: s.variance,
  }));
  const prior = priorFromPast(past, MIN_PAST_EXPERIMENTS);
  const listed = sources.map(({ better: _b, variance: _v, ...s }) => s);
  const noteFacts = pastNudgesFacts(nudge.type, metric, sources.length);
  const common = {
    ...base,
    nudgeType: nudge.type,
    minExperiments: MIN_PAST_EXPERIMENTS,
    sources: listed,
    note: noteText(noteFacts),
    noteFacts,
  };
  if (!prior) return { ...common, used: false };
  return {
    ...common,
    used: true,
    prior: effectOf(prior, metric.lowerIsBetter),
    variants: result ? shrinkVariants(result, exp.control, metric, prior) : {},
  };
}

/**
 * The evidence behind the peeking-safe gates: one effect per comparison with its likelihood, the
 * prior sd of that effect under "there is a difference", and the one-sided Bayes factor.
 *
 * The effect of a metric on a rate (conversion, an ordinal top-2-box share) is the difference in
 * log-odds, with the exact posterior mean and variance of each arm's log-odds (digamma and
 * trigamma of the Beta parameters). Complementing the metric (counting "late" instead of "on
 * time") flips the log-odds' sign exactly, so together with `lowerIsBetter` it gives the same
 * evidence; a prior on the rate's own scale would not. Metrics on a level (means, NPS, ratios,
 * amounts) use the difference itself, in units of the decision scale.
 */
import type { ArmPosterior } from './posterior.ts';

/** Moves smaller than this share of the decision scale are not harm, unless a margin is given. */
export const DEFAULT_MARGIN = 0.01;
/**
 * The tuned prior's variance, as a multiple of the effect's variance at the planned sample. A
 * ratio of 5 needed the least sample for 80% power over 28 daily looks in the simulation of
 * DECISION_RULE.md ("Tuned to the plan"); many-arm studies use 2, for which their calibrated
 * threshold was found.
 */
export const TUNED_PRIOR_RATIO = 5;
export const MANY_ARM_PRIOR_RATIO = 2;

/** A rate (a share between 0 and 1, compared on the log-odds) or a level in the metric's own units. */
export type Scale = 'rate' | 'level';
/** The statistics by their names, for callers that pass a kind: conversion is a rate. */
export type Kind = 'conversion' | 'mean' | 'nps';
type ScaleLike = Scale | Kind;

/** The scale of a metric from its statistic (and, for ordinal metrics, the summary compared). */
export function scaleOf(m: { kind: string; summary?: string | undefined }): Scale {
  return m.kind === 'conversion' || (m.kind === 'ordinal' && m.summary === 'top2') ? 'rate' : 'level';
}

const onRate = (s: ScaleLike): boolean => s === 'rate' || s === 'conversion';

const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** Complementary error function (Numerical Recipes' erfcc, fractional error below 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/**
 * One-sided Bayes factor: effect ~ N(0, tau^2) restricted to the positive side, against effect =
 * 0, with the effect's likelihood approximated by N(observed, variance).
 */
export function oneSidedBayesFactor(observed: number, variance: number, tau: number): number {
  if (!(variance > 0) || !Number.isFinite(variance) || !(tau > 0)) return 1;
  const t2 = tau * tau;
  const postMean = (observed * t2) / (variance + t2);
  const postSd = Math.sqrt((variance * t2) / (variance + t2));
  const log =
    Math.log(2) +
    0.5 * Math.log(variance / (variance + t2)) +
    (observed * observed * t2) / (2 * variance * (variance + t2)) +
    Math.log(Math.max(normalCdf(postMean / postSd), 1e-300));
  return Math.exp(Math.min(log, 700));
}

/**
 * The unit of the loss tolerance, of the default margin and of the mean and NPS effect prior. For
 * conversion, the rarer outcome's rate, min(p, 1 - p): relative to the control for the usual low
 * rates, and the same for a metric and its complement. A mean or an NPS can sit at or near 0,
 * where a relative unit would shrink to nothing, so one observation's sd is the floor there.
 */
export function decisionScale(kind: ScaleLike, control: ArmPosterior): number {
  if (onRate(kind)) return Math.min(control.estimate, 1 - control.estimate);
  const perObservation = Number.isFinite(control.variance) ? Math.sqrt(control.variance * control.n) : 0;
  return Math.max(Math.abs(control.estimate), perObservation);
}

export interface Effect {
  /** Variant minus control: log-odds for conversion, the metric's units otherwise. */
  observed: number;
  variance: number;
  /** Converts a difference in the metric's units into the effect's units (delta method). */
  perUnit: number;
}

export function effectOf(kind: ScaleLike, variant: ArmPosterior, control: ArmPosterior): Effect {
  if (onRate(kind) && variant.logOdds && control.logOdds) {
    const p = control.estimate;
    return {
      observed: variant.logOdds.mean - control.logOdds.mean,
      variance: variant.logOdds.variance + control.logOdds.variance,
      perUnit: 1 / (p * (1 - p)),
    };
  }
  return {
    observed: variant.estimate - control.estimate,
    variance: variant.variance + control.variance,
    perUnit: 1,
  };
}

export interface PriorSettings {
  effectScale: number;
  plannedSample?: number | undefined;
  /** Overrides TUNED_PRIOR_RATIO (many-arm studies). */
  tunedRatio?: number;
}

/**
 * Prior sd of the effect. Tuned to a plan, it is sqrt(TUNED_PRIOR_RATIO x the effect's variance at
 * the planned sample), the variance scaled from today's by today's n over the planned n; this is
 * in the effect's own units, so it is as encoding-free as the effect itself.
 */
export function priorSd(
  kind: ScaleLike,
  effect: Effect,
  variant: ArmPosterior,
  control: ArmPosterior,
  settings: PriorSettings,
): number {
  if (settings.plannedSample !== undefined) {
    const n = (variant.n + control.n) / 2;
    const planned = (effect.variance * n) / settings.plannedSample;
    return Math.sqrt((settings.tunedRatio ?? TUNED_PRIOR_RATIO) * planned);
  }
  if (onRate(kind)) return settings.effectScale;
  return settings.effectScale * decisionScale(kind, control);
}

/** Bayes factor for "the variant is better" (direction +1) or "worse beyond `shift`" (-1). */
export function evidenceFor(
  kind: ScaleLike,
  variant: ArmPosterior,
  control: ArmPosterior,
  towards: 1 | -1,
  settings: PriorSettings,
  shift = 0,
): number {
  const effect = effectOf(kind, variant, control);
  const tau = priorSd(kind, effect, variant, control, settings);
  return oneSidedBayesFactor(towards * effect.observed - shift * effect.perUnit, effect.variance, tau);
}

/**
 * How many more customers per arm the Bayes factor needs to reach `threshold` if today's effect
 * held: the effect's variance shrinks as 1 / n while the prior sd stays put (tuned to the plan it
 * scales with variance x n, which does not change). Null when today's effect points the other way,
 * so no amount of data at this effect would be enough.
 */
export function moreSamplePerArm(
  kind: ScaleLike,
  variant: ArmPosterior,
  control: ArmPosterior,
  towards: 1 | -1,
  settings: PriorSettings,
  threshold: number,
): number | null {
  const effect = effectOf(kind, variant, control);
  const tau = priorSd(kind, effect, variant, control, settings);
  const observed = towards * effect.observed;
  if (!(observed > 0) || !(effect.variance > 0)) return null;
  const reaches = (factor: number) =>
    oneSidedBayesFactor(observed, effect.variance / factor, tau) >= threshold;
  if (reaches(1)) return 0;
  let hi = 2;
  while (!reaches(hi)) {
    hi *= 2;
    if (hi > 2 ** 40) return null;
  }
  let lo = hi / 2;
  for (let i = 0; i < 40 && hi - lo > 1e-3; i++) {
    const mid = (lo + hi) / 2;
    if (reaches(mid)) hi = mid;
    else lo = mid;
  }
  const n = (variant.n + control.n) / 2;
  return Math.ceil(n * (hi - 1));
}

/**
 * The experiment-level decision. The rule and why it is peeking-safe are in DECISION_RULE.md.
 *
 * Shipping needs, for one variant on the primary metric: chanceToBeatControl at or above the
 * threshold, an expected loss of shipping within lossTolerance x |control estimate|, every arm at
 * minSample or more, no guardrail with chanceOfHarm at maxChanceOfHarm or above, and (unless
 * `sequential` is false) a one-sided Bayes factor for "the variant is better" against "no
 * difference" of at least `bayesFactor` times the number of variants compared with the control.
 * A Bayes factor is a test martingale when there is no difference, so by Ville's inequality the
 * chance it ever reaches 20 is at most 1/20 however often the readout is looked at; the chance
 * threshold alone has no such guarantee.
 *
 * Otherwise: keep-control when no variant could gain more than the tolerance (expected loss of
 * keeping the control within it for all); stop-guardrail when a variant is all but certain
 * (stopChanceOfHarm) to harm a guardrail; else keep running.
 */
import type { DecisionConfig } from './input.schema.ts';
import type { ArmState } from './metric.ts';
import { type Action, isVariantResult, type MetricResult, type VariantResult } from './readout.schema.ts';

export interface DecisionContext {
  control: string;
  primary: MetricResult;
  primaryArms: Map<string, ArmState>;
  guardrails: MetricResult[];
  srmMismatch: boolean;
  config: DecisionConfig;
}

export interface Decision {
  action: Action;
  variant?: string;
  /** The variant the summary talks about: the one shipped, blocked, or currently leading. */
  focus?: string;
  /** Why the experiment keeps running or stops, in plain words, for the summary. */
  why?: string;
  /** Guardrail that stopped it, if any. */
  harmedGuardrail?: string;
}

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
 * One-sided Bayes factor: lift ~ N(0, tau^2) restricted to the good direction, against lift = 0,
 * with the lift's likelihood approximated by N(observed, variance).
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

function okVariants(metric: MetricResult, control: string): [string, VariantResult][] {
  return Object.entries(metric.variants).flatMap(([k, r]) =>
    k !== control && isVariantResult(r) ? [[k, r] as [string, VariantResult]] : [],
  );
}

function controlEstimate(metric: MetricResult, control: string): number | undefined {
  const c = metric.variants[control];
  return c && c.status === 'ok' ? c.estimate : undefined;
}

/**
 * The unit of the loss tolerance and of the lift the Bayes factor expects. Relative to the control
 * for conversion rates; a mean or an NPS can sit at or near 0 (an NPS of 0, a net change), where
 * a relative unit would shrink both to nothing and no variant could ever ship, so for those the
 * standard deviation of one observation (about 75 points for NPS) is the floor.
 */
function decisionScale(primary: MetricResult, base: number, controlArm: ArmState | undefined): number {
  if (primary.kind === 'conversion' || !controlArm?.ok) return Math.abs(base);
  const { variance, n } = controlArm.posterior;
  const perObservation = Number.isFinite(variance) ? Math.sqrt(variance * n) : 0;
  return Math.max(Math.abs(base), perObservation);
}

export function decide(ctx: DecisionContext): Decision {
  const { control, primary, config } = ctx;
  const candidates = okVariants(primary, control);
  const leader = [...candidates].sort((a, b) => b[1].chanceToBeBest - a[1].chanceToBeBest)[0]?.[0];
  if (ctx.srmMismatch) return { action: 'stop-srm', ...(leader ? { focus: leader } : {}) };
  const base = controlEstimate(primary, control);
  if (primary.status !== 'ok' || base === undefined) {
    return { action: 'keep-running', why: `not enough data on ${primary.name} yet` };
  }
  const smallest = Math.min(...Object.values(primary.variants).map((r) => r.n));
  const enough = smallest >= config.minSample;
  const controlArm = ctx.primaryArms.get(control);
  const scale = decisionScale(primary, base, controlArm);
  const tolerance = config.lossTolerance * scale;
  // Ville's bound holds per comparison; with k variants against the control, any of them reaching
  // bayesFactor x k has chance at most 1 / bayesFactor (union bound), so 25 arms stay as safe as 2.
  const comparisons = Math.max(1, Object.keys(primary.variants).length - 1);
  const evidence = (key: string, r: VariantResult): boolean => {
    if (config.sequential === false) return true;
    const arm = ctx.primaryArms.get(key);
    if (!arm?.ok || !controlArm?.ok) return false;
    const direction = primary.lowerIsBetter ? -1 : 1;
    const variance = arm.posterior.variance + controlArm.posterior.variance;
    const tau = config.sequential.effectScale * scale;
    const bf = oneSidedBayesFactor(direction * r.absoluteLift.mean, variance, tau);
    return bf >= config.sequential.bayesFactor * comparisons;
  };
  const winners = candidates.filter(
    ([k, r]) =>
      enough &&
      r.chanceToBeatControl >= config.chanceToBeatControl &&
      r.expectedLoss.ship <= tolerance &&
      evidence(k, r),
  );
  const harmOf = (key: string): { metric: string; harm: number } | 'missing' | undefined => {
    let worst: { metric: string; harm: number } | undefined;
    for (const g of ctx.guardrails) {
      const r = g.variants[key];
      if (!isVariantResult(r)) return 'missing';
      if (!worst || r.chanceOfHarm > worst.harm) worst = { metric: g.name, harm: r.chanceOfHarm };
    }
    return worst;
  };
  const ranked = [...winners].sort((a, b) => b[1].chanceToBeBest - a[1].chanceToBeBest);
  const clear = ranked.find(([k]) => {
    const h = harmOf(k);
    return h !== 'missing' && (h === undefined || h.harm < config.maxChanceOfHarm);
  });
  if (clear) return { action: 'ship', variant: clear[0], focus: clear[0] };
  const futile =
    enough && candidates.length > 0 && candidates.every(([, r]) => r.expectedLoss.keep <= tolerance);
  if (futile) return { action: 'keep-control', ...(leader ? { focus: leader } : {}) };
  for (const g of ctx.guardrails) {
    for (const [k, r] of okVariants(g, control)) {
      if (r.n >= config.minSample && r.chanceOfHarm >= config.stopChanceOfHarm) {
        return { action: 'stop-guardrail', variant: k, focus: k, harmedGuardrail: g.name };
      }
    }
  }
  const held = ranked[0];
  if (held) {
    const h = harmOf(held[0]);
    const why = typeof h === 'object' ? `possible harm to ${h.metric}` : 'waiting for guardrail data';
    return { action: 'keep-running', focus: held[0], why };
  }
  const why = !enough
    ? `fewer than ${config.minSample} per arm on ${primary.name}`
    : 'the evidence is not conclusive yet';
  return { action: 'keep-running', ...(leader ? { focus: leader } : {}), why };
}

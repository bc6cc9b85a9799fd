/**
 * The experiment-level decision. The rule, and why it is peeking-safe, is in DECISION_RULE.md.
 *
 * Only arms with a weight above 0 take part: a ramped-down or retired arm is still analysed and
 * shown, but neither its sample nor its result can hold up or make the decision.
 *
 * Shipping needs, for one variant on the primary metric: chanceToBeatControl at or above the
 * threshold, an expected loss of shipping within lossTolerance x the decision scale, every active
 * arm at minSample or more, no guardrail showing evidence of harm, and (unless `sequential` is
 * false) a one-sided Bayes factor for "the variant is better" against "no difference" of at least
 * `bayesFactor` times the number of variants compared with the control. A Bayes factor is a test
 * martingale when there is no difference, so by Ville's inequality the chance it ever reaches 20
 * is at most 1/20 however often the readout is looked at. Many-arm studies (hierarchicalFrom
 * variants or more) with the gate tuned to a plan use the calibrated threshold bayesFactor x
 * sqrt(k) / 4 instead, and rank candidates by the hierarchical model's chance to be best.
 *
 * Guardrails are judged by the same kind of evidence, pointed toward harm beyond the margin: a
 * Bayes factor of `blockBayesFactor` (3) holds a ship back, one of `harmBayesFactor` (20) times
 * guardrails x variants stops the experiment. With `sequential: false` the posterior thresholds
 * maxChanceOfHarm and stopChanceOfHarm are used instead, for a test read once.
 */
import {
  decisionScale,
  evidenceFor,
  MANY_ARM_PRIOR_RATIO,
  moreSamplePerArm,
  type PriorSettings,
  scaleOf,
} from './evidence.ts';
import type { DecisionConfig } from './input.schema.ts';
import type { ArmState } from './metric.ts';
import {
  type Action,
  type HoldReason,
  isVariantResult,
  type MetricResult,
  type VariantResult,
} from './readout.schema.ts';

export interface MetricArms {
  result: MetricResult;
  arms: Map<string, ArmState>;
}

export interface DecisionContext {
  control: string;
  primary: MetricResult;
  primaryArms: Map<string, ArmState>;
  guardrails: MetricArms[];
  /** Variants (not the control) with a weight above 0. */
  active: ReadonlySet<string>;
  srmMismatch: boolean;
  config: DecisionConfig;
  /** The hierarchical model's chance to be best per variant, in many-arm studies. */
  hierarchicalBest?: ReadonlyMap<string, number>;
}

export interface Decision {
  action: Action;
  variant?: string;
  /** The variant the summary talks about: the one shipped, blocked, or currently leading. */
  focus?: string;
  /** Keep running: every condition of the rule the focus variant does not meet yet. */
  reasons?: HoldReason[];
  /** Guardrail that stopped it, if any. */
  harmedGuardrail?: string;
  /** Per guardrail name and variant: the Bayes factor for harm beyond the margin (sequential). */
  harmEvidence: Map<string, Map<string, number>>;
  /** Per guardrail name and variant: whether it holds a ship back. */
  blocks: Map<string, Map<string, boolean>>;
}

function okVariants(
  metric: MetricResult,
  control: string,
  active: ReadonlySet<string>,
): [string, VariantResult][] {
  return Object.entries(metric.variants).flatMap(([k, r]) =>
    k !== control && active.has(k) && isVariantResult(r) ? [[k, r] as [string, VariantResult]] : [],
  );
}

function posteriorOf(arms: Map<string, ArmState>, key: string) {
  const s = arms.get(key);
  return s?.ok ? s.posterior : undefined;
}

/** The many-arm threshold's multiplier for k variants, calibrated with the tuned prior. */
export function manyArmFactor(k: number): number {
  return Math.sqrt(k) / 4;
}

export function decide(ctx: DecisionContext): Decision {
  const { control, primary, config, active } = ctx;
  const harmEvidence = new Map<string, Map<string, number>>();
  const blocks = new Map<string, Map<string, boolean>>();
  const candidates = okVariants(primary, control, active);
  const rank = (r: [string, VariantResult]): number => ctx.hierarchicalBest?.get(r[0]) ?? r[1].chanceToBeBest;
  const leader = [...candidates].sort((a, b) => rank(b) - rank(a))[0]?.[0];
  const base = { harmEvidence, blocks };
  if (ctx.srmMismatch) return { action: 'stop-srm', ...(leader ? { focus: leader } : {}), ...base };
  const controlArm = posteriorOf(ctx.primaryArms, control);
  if (primary.status !== 'ok' || !controlArm) {
    return { action: 'keep-running', reasons: [{ code: 'no-data', metric: primary.name }], ...base };
  }
  const kind = scaleOf(primary);
  const counted = Object.entries(primary.variants).filter(([k]) => k === control || active.has(k));
  const smallest = Math.min(...counted.map(([, r]) => r.n));
  const enough = smallest >= config.minSample;
  const scale = decisionScale(kind, controlArm);
  const tolerance = config.lossTolerance * scale;
  const seq = config.sequential;
  const k = Math.max(1, active.size);
  const many = seq !== false && seq.plannedSample !== undefined && k >= config.hierarchicalFrom;
  // Ville's bound holds per comparison; with k variants against the control, any of them reaching
  // bayesFactor x k has chance at most 1 / bayesFactor (union bound). The many-arm threshold is
  // calibrated instead (DECISION_RULE.md): the union bound is far from tight for 24 arms.
  const threshold = seq === false ? 0 : seq.bayesFactor * (many ? manyArmFactor(k) : k);
  const settings = (n: number | undefined, ratio?: number): PriorSettings =>
    seq === false
      ? { effectScale: 0.1 }
      : { effectScale: seq.effectScale, plannedSample: n, ...(ratio ? { tunedRatio: ratio } : {}) };
  const primarySettings =
    seq === false ? undefined : settings(seq.plannedSample, many ? MANY_ARM_PRIOR_RATIO : undefined);
  const towardsBetter = primary.lowerIsBetter ? -1 : 1;
  const evidence = (key: string): boolean => {
    if (!primarySettings) return true;
    const arm = posteriorOf(ctx.primaryArms, key);
    if (!arm) return false;
    return evidenceFor(kind, arm, controlArm, towardsBetter, primarySettings) >= threshold;
  };
  const winners = candidates.filter(
    ([key, r]) =>
      enough &&
      r.chanceToBeatControl >= config.chanceToBeatControl &&
      r.expectedLoss.ship <= tolerance &&
      evidence(key),
  );

  // Guardrails: evidence of harm beyond the margin, per guardrail and active variant.
  const guardrailCount = Math.max(1, ctx.guardrails.length);
  let stop: { variant: string; guardrail: string } | undefined;
  for (const g of ctx.guardrails) {
    const byVariant = new Map<string, number>();
    const blocked = new Map<string, boolean>();
    const c = posteriorOf(g.arms, control);
    const primaryN = controlArm.n;
    for (const [key, r] of okVariants(g.result, control, active)) {
      const v = posteriorOf(g.arms, key);
      if (seq === false || !v || !c) {
        blocked.set(key, r.chanceOfHarm >= config.maxChanceOfHarm);
        if (r.n >= config.minSample && r.chanceOfHarm >= config.stopChanceOfHarm) {
          stop ??= { variant: key, guardrail: g.result.name };
        }
        continue;
      }
      // A guardrail answered by a share of the users reaches the same share of the plan.
      const planned = seq.plannedSample !== undefined ? (seq.plannedSample * c.n) / primaryN : undefined;
      const towards = g.result.lowerIsBetter ? 1 : -1;
      const bf = evidenceFor(scaleOf(g.result), v, c, towards, settings(planned), g.result.margin);
      byVariant.set(key, bf);
      blocked.set(key, bf >= seq.blockBayesFactor);
      if (r.n >= config.minSample && bf >= seq.harmBayesFactor * guardrailCount * k) {
        stop ??= { variant: key, guardrail: g.result.name };
      }
    }
    harmEvidence.set(g.result.name, byVariant);
    blocks.set(g.result.name, blocked);
  }
  const harmOf = (key: string): string | 'missing' | undefined => {
    for (const g of ctx.guardrails) {
      if (!isVariantResult(g.result.variants[key])) return 'missing';
    }
    return ctx.guardrails.find((g) => blocks.get(g.result.name)?.get(key))?.result.name;
  };
  const ranked = [...winners].sort((a, b) => rank(b) - rank(a));
  const clear = ranked.find(([key]) => harmOf(key) === undefined);
  if (clear) return { action: 'ship', variant: clear[0], focus: clear[0], ...base };
  const futile =
    enough && candidates.length > 0 && candidates.every(([, r]) => r.expectedLoss.keep <= tolerance);
  if (futile) return { action: 'keep-control', ...(leader ? { focus: leader } : {}), ...base };
  if (stop) {
    return {
      action: 'stop-guardrail',
      variant: stop.variant,
      focus: stop.variant,
      harmedGuardrail: stop.guardrail,
      ...base,
    };
  }
  const guardrailReasons = (key: string): HoldReason[] =>
    ctx.guardrails.flatMap((g): HoldReason[] => {
      if (!isVariantResult(g.result.variants[key]))
        return [{ code: 'guardrail-missing', metric: g.result.name }];
      return blocks.get(g.result.name)?.get(key) ? [{ code: 'guardrail-harm', metric: g.result.name }] : [];
    });
  // Every unmet condition, so the reader learns at once what a ship is waiting for.
  const reasonsFor = (key: string | undefined): HoldReason[] => {
    const out: HoldReason[] = [];
    if (!enough) {
      out.push({ code: 'min-sample', metric: primary.name, minSample: config.minSample, smallest });
    }
    const r = key ? primary.variants[key] : undefined;
    if (key && isVariantResult(r)) {
      if (r.chanceToBeatControl < config.chanceToBeatControl) {
        out.push({ code: 'chance', chance: r.chanceToBeatControl, needed: config.chanceToBeatControl });
      }
      if (r.expectedLoss.ship > tolerance) {
        out.push({
          code: 'loss',
          kind: primary.kind,
          ...(primary.unit ? { unit: primary.unit } : {}),
          loss: r.expectedLoss.ship,
          tolerance,
        });
      }
      const arm = posteriorOf(ctx.primaryArms, key);
      if (primarySettings && arm && !evidence(key)) {
        const more = moreSamplePerArm(kind, arm, controlArm, towardsBetter, primarySettings, threshold);
        out.push({ code: 'sequential', ...(more === null ? {} : { morePerArm: more }) });
      }
      out.push(...guardrailReasons(key));
    }
    return out.length > 0 ? out : [{ code: 'not-conclusive' }];
  };
  const held = ranked[0];
  if (held) {
    return { action: 'keep-running', focus: held[0], reasons: reasonsFor(held[0]), ...base };
  }
  return {
    action: 'keep-running',
    ...(leader ? { focus: leader } : {}),
    reasons: reasonsFor(leader),
    ...base,
  };
}

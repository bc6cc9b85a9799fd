/**
 * Planning: from a touchpoint's traffic, the primary metric's baseline and the decision rule, the
 * minimum detectable effect and the expected days to a decision for a chosen true lift.
 *
 * The effect (log-odds for conversion, the difference otherwise) is followed as a Brownian path
 * with one look a day, its variance at day d that of one day's users divided by d; the gate is the
 * engine's own one-sided Bayes factor, tuned to the planned sample (the horizon's users per arm).
 * 2,000 seeded paths, so the same plan always gives the same answer. The normal approximation is
 * fine here: plans are about thousands of users, and the rule's other conditions (chance >= 0.95,
 * the loss tolerance) are implied by a Bayes factor of 20 at these samples.
 */
import { z } from 'zod';
import { manyArmFactor } from './decision.ts';
import { MANY_ARM_PRIOR_RATIO, oneSidedBayesFactor, TUNED_PRIOR_RATIO } from './evidence.ts';
import { normalQuantile } from './quadrature.ts';
import { createRng } from './rng.ts';

export const planInputSchema = z.strictObject({
  kind: z.enum(['conversion', 'mean', 'nps']),
  /** The control's expected value: a rate in (0, 1), a mean, or an NPS in points. */
  baseline: z.number(),
  /** One observation's sd: needed for mean metrics; NPS defaults to 75 points. */
  sd: z.number().gt(0).optional(),
  /** Exposures per day into the experiment, all arms together. */
  dailyExposures: z.number().gt(0),
  arms: z.number().int().min(2).max(100).default(2),
  /** The true lift to plan for: relative (0.1 = +10%) for conversion and mean, points for NPS. */
  lift: z.number().default(0.1),
  /** Planned length in days: the planned sample is this many days of traffic. */
  days: z.number().int().min(1).max(365).default(28),
  bayesFactor: z.number().gt(1).default(20),
  power: z.number().gt(0).lt(1).default(0.8),
  hierarchicalFrom: z.number().int().min(2).default(5),
});
export type PlanInput = z.infer<typeof planInputSchema>;
export type PlanInputRaw = z.input<typeof planInputSchema>;

export const planSchema = z.object({
  perArmPerDay: z.number(),
  plannedSample: z.number().describe('users per arm at the planned horizon'),
  liftUnit: z.enum(['relative', 'points']),
  minimumDetectableEffect: z.object({
    sequential: z.number().describe('smallest lift shipped with the chosen power within the horizon'),
    fixedHorizon: z.number().describe('the same for one look at the horizon, one-sided 5%'),
  }),
  chosenLift: z.object({
    lift: z.number(),
    chanceOfShipByHorizon: z.number(),
    expectedDaysToShip: z.number().nullable().describe('mean day of ship among runs that ship in time'),
    medianDaysToShip: z.number().nullable(),
  }),
  fixedHorizonSample: z.number().describe('users per arm a single look needs for the chosen lift and power'),
  decision: z.object({ sequential: z.object({ plannedSample: z.number() }) }),
});
export type Plan = z.infer<typeof planSchema>;

const PATHS = 2000;
const SEED = 20240611;

/** Variance of the effect from one day's users per arm, and the true effect of a lift. */
function effectScale(p: PlanInput, lift: number, perArm: number): { dayVariance: number; effect: number } {
  if (p.kind === 'conversion') {
    const rate = Math.min(Math.max(p.baseline, 1e-9), 1 - 1e-9);
    const lifted = Math.min(Math.max(rate * (1 + lift), 1e-9), 1 - 1e-9);
    const logit = (x: number): number => Math.log(x / (1 - x));
    return {
      dayVariance: 1 / (perArm * rate * (1 - rate)) + 1 / (perArm * lifted * (1 - lifted)),
      effect: logit(lifted) - logit(rate),
    };
  }
  const sd = p.sd ?? 75;
  return {
    dayVariance: (2 * sd * sd) / perArm,
    effect: p.kind === 'nps' ? lift : p.baseline * lift,
  };
}

/** First day each seeded path passes the gate, or 0; the noise is shared across calls. */
function firstPass(p: PlanInput, lift: number, noise: Float64Array): Uint16Array {
  const perArm = p.dailyExposures / p.arms;
  const { dayVariance, effect } = effectScale(p, lift, perArm);
  const k = p.arms - 1;
  const many = k >= p.hierarchicalFrom;
  const threshold = p.bayesFactor * (many ? manyArmFactor(k) : k);
  const ratio = many ? MANY_ARM_PRIOR_RATIO : TUNED_PRIOR_RATIO;
  const tau = Math.sqrt((ratio * dayVariance) / p.days);
  const out = new Uint16Array(PATHS);
  const sdDay = Math.sqrt(dayVariance);
  for (let i = 0; i < PATHS; i++) {
    let sum = 0;
    for (let d = 1; d <= p.days; d++) {
      sum += noise[i * p.days + d - 1] ?? 0;
      // Mean of d daily estimates: effect + sdDay * (sum of d unit normals) / d.
      const observed = effect + (sdDay * sum) / d;
      if (oneSidedBayesFactor(observed, dayVariance / d, tau) >= threshold) {
        out[i] = d;
        break;
      }
    }
  }
  return out;
}

function shareShipped(days: Uint16Array): number {
  let n = 0;
  for (const d of days) if (d > 0) n++;
  return n / days.length;
}

export function plan(raw: PlanInputRaw): Plan {
  const p = planInputSchema.parse(raw);
  const rng = createRng(SEED);
  const noise = new Float64Array(PATHS * p.days);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const perArm = p.dailyExposures / p.arms;
  const plannedSample = Math.round(perArm * p.days);
  const sign = p.lift < 0 ? -1 : 1;
  // Bisection on the lift, with the same noise every time, for the smallest lift with the power.
  let lo = 0;
  let hi =
    p.kind === 'nps' ? 200 : p.kind === 'conversion' ? Math.min(50, (1 - p.baseline) / p.baseline) : 50;
  for (let i = 0; i < 24; i++) {
    const mid = (lo + hi) / 2;
    if (shareShipped(firstPass(p, sign * mid, noise)) >= p.power) hi = mid;
    else lo = mid;
  }
  const zFixed = normalQuantile(0.95) + normalQuantile(p.power);
  const unit = effectScale(p, 0, perArm);
  // Fixed horizon: the effect whose mean is zFixed standard errors at the planned sample.
  const fixedEffect = zFixed * Math.sqrt(unit.dayVariance / p.days);
  let flo = 0;
  let fhi = hi * 4 + 1;
  for (let i = 0; i < 60; i++) {
    const mid = (flo + fhi) / 2;
    if (Math.abs(effectScale(p, sign * mid, perArm).effect) >= fixedEffect) fhi = mid;
    else flo = mid;
  }
  const chosen = firstPass(p, p.lift, noise);
  const shipped = [...chosen].filter((d) => d > 0).sort((a, b) => a - b);
  const chosenEffect = effectScale(p, p.lift, perArm);
  const fixedHorizonSample = Math.ceil(
    (perArm * (zFixed * zFixed * chosenEffect.dayVariance)) / (chosenEffect.effect * chosenEffect.effect),
  );
  return {
    perArmPerDay: perArm,
    plannedSample,
    liftUnit: p.kind === 'nps' ? 'points' : 'relative',
    minimumDetectableEffect: { sequential: sign * hi, fixedHorizon: sign * fhi },
    chosenLift: {
      lift: p.lift,
      chanceOfShipByHorizon: shareShipped(chosen),
      expectedDaysToShip: shipped.length ? shipped.reduce((a, b) => a + b, 0) / shipped.length : null,
      medianDaysToShip: shipped.length ? (shipped[Math.floor((shipped.length - 1) / 2)] ?? null) : null,
    },
    fixedHorizonSample: Number.isFinite(fixedHorizonSample) ? fixedHorizonSample : 0,
    decision: { sequential: { plannedSample } },
  };
}

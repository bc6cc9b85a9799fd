/**
 * The calibration scenarios of the guardrail, plan-tuned and many-arm rules (`npm run calibrate`).
 * Each simulated experiment is analysed with the public `analyze` after every one of 28 daily
 * looks, stopping at the first `ship` or `stop-guardrail`.
 *
 * Many-arm runs (25 arms) analyse a look only when some variant passes the Bayes-factor gate,
 * computed here from the same exported evidence function the engine uses: a ship needs the gate,
 * so skipping the other looks cannot change which experiments ship, and it keeps a run within
 * minutes (one 25-arm readout takes about 0.2 s).
 */
import {
  type AnalyzeInputRaw,
  analyze,
  DEFAULT_MARGIN,
  digamma,
  evidenceFor,
  MANY_ARM_PRIOR_RATIO,
  manyArmFactor,
  trigamma,
} from '../src/stats/index.ts';
import type { ArmPosterior } from '../src/stats/posterior.ts';
import { createRng, type Rng } from '../src/stats/rng.ts';

export const DAYS = 28;
export type Suite = 'guard-aa' | 'guard-harm' | 'guard-ship' | 'plan-aa' | 'plan-ab' | 'many-aa' | 'many-ab';

export interface RuleScenario {
  suite: Suite;
  name: string;
  seed: number;
  experiments: number;
}

export interface RuleOutcome {
  /** First look (1-based) with the event the row counts (ship or stop for harm); 0 if none. */
  day: number;
  /** Many-arm A/B: raw and shrunk relative lift of the shipped arm, when it is the true one. */
  rawLift?: number;
  shrunkLift?: number;
}

const CSAT_SD = 1.1;
const CSAT_MEAN = 4.1;
/** The harm scenario's traffic: 2,000 users per arm by the last look. */
const GUARD_USERS = 2000;

interface MeanAcc {
  n: number;
  sum: number;
  sumSq: number;
}

function addNormal(rng: Rng, acc: MeanAcc, count: number, mean: number): MeanAcc {
  let { n, sum, sumSq } = acc;
  for (let i = 0; i < count; i++) {
    const x = mean + CSAT_SD * rng.normal();
    n++;
    sum += x;
    sumSq += x * x;
  }
  return { n, sum, sumSq };
}

const meanData = (a: MeanAcc) => {
  const mean = a.sum / a.n;
  return { n: a.n, mean, variance: Math.max(0, (a.sumSq - a.n * mean * mean) / (a.n - 1)) };
};

/** Three CSAT guardrails; the first carries `harm` (a drop in points) in the variant. */
function guardrailRun(
  s: RuleScenario,
  index: number,
  harm: number,
  daily: number,
  lift: number,
): RuleOutcome {
  const rng = createRng((s.seed * 1_000_003 + index) >>> 0);
  const conv = [0, 0];
  const users = [0, 0];
  const guards: MeanAcc[][] = [0, 1, 2].map(() => [
    { n: 0, sum: 0, sumSq: 0 },
    { n: 0, sum: 0, sumSq: 0 },
  ]);
  for (let day = 1; day <= DAYS; day++) {
    const target = daily > 0 ? daily * day : Math.round((GUARD_USERS * day) / DAYS);
    for (let arm = 0; arm < 2; arm++) {
      const add = target - (users[arm] ?? 0);
      conv[arm] = (conv[arm] ?? 0) + rng.binomial(add, 0.1 * (1 + (arm === 1 ? lift : 0)));
      users[arm] = target;
      guards.forEach((g, gi) => {
        const shift = arm === 1 && gi === 0 ? -harm : 0;
        g[arm] = addNormal(rng, g[arm] ?? { n: 0, sum: 0, sumSq: 0 }, add, CSAT_MEAN + shift);
      });
    }
    const readout = analyze({
      control: 'a',
      variants: [
        { key: 'a', weight: 1, exposures: users[0] ?? 0 },
        { key: 'b', weight: 1, exposures: users[1] ?? 0 },
      ],
      metrics: [
        {
          key: 'paid',
          kind: 'conversion',
          role: 'primary',
          data: {
            a: { n: users[0] ?? 0, conversions: conv[0] ?? 0 },
            b: { n: users[1] ?? 0, conversions: conv[1] ?? 0 },
          },
        },
        ...guards.map((g, gi) => ({
          key: `csat${gi}`,
          kind: 'mean' as const,
          role: 'guardrail' as const,
          data: { a: meanData(g[0] as MeanAcc), b: meanData(g[1] as MeanAcc) },
        })),
      ],
    });
    const a = readout.decision.action;
    if (s.suite === 'guard-ship' ? a === 'ship' : a === 'stop-guardrail') return { day };
    if (a === 'ship' || a === 'stop-guardrail') return { day: 0 };
  }
  return { day: 0 };
}

/** Minimal posterior for the gate: the evidence reads only n, estimate, variance and log-odds. */
function gatePosterior(n: number, conversions: number): ArmPosterior {
  const a = 1 + conversions;
  const b = 1 + n - conversions;
  return {
    n,
    estimate: a / (a + b),
    variance: (a * b) / ((a + b) ** 2 * (a + b + 1)),
    logOdds: { mean: digamma(a) - digamma(b), variance: trigamma(a) + trigamma(b) },
  } as ArmPosterior;
}

/** Conversion at 10%, 1,000 users per arm per day; `arms` arms, arm 1 carries `lift`. */
function plannedRun(s: RuleScenario, index: number, arms: number, lift: number): RuleOutcome {
  const rng = createRng((s.seed * 1_000_003 + index) >>> 0);
  const daily = 1000;
  const planned = daily * DAYS;
  const conv = new Array<number>(arms).fill(0);
  const keys = conv.map((_, i) => (i === 0 ? 'control' : `v${i}`));
  const k = arms - 1;
  const threshold = 20 * (k >= 5 ? manyArmFactor(k) : k);
  for (let day = 1; day <= DAYS; day++) {
    const n = daily * day;
    for (let i = 0; i < arms; i++)
      conv[i] = (conv[i] ?? 0) + rng.binomial(daily, 0.1 * (1 + (i === 1 ? lift : 0)));
    if (arms > 2) {
      const c = gatePosterior(n, conv[0] ?? 0);
      const passes = keys.some(
        (_, i) =>
          i > 0 &&
          evidenceFor('conversion', gatePosterior(n, conv[i] ?? 0), c, 1, {
            effectScale: 0.1,
            plannedSample: planned,
            tunedRatio: MANY_ARM_PRIOR_RATIO,
          }) >= threshold,
      );
      if (!passes) continue;
    }
    const input: AnalyzeInputRaw = {
      control: 'control',
      variants: keys.map((key) => ({ key, weight: 1, exposures: n })),
      metrics: [
        {
          key: 'm',
          kind: 'conversion',
          role: 'primary',
          data: Object.fromEntries(keys.map((key, i) => [key, { n, conversions: conv[i] ?? 0 }])),
        },
      ],
      decision: { sequential: { plannedSample: planned } },
    };
    const readout = analyze(input);
    if (readout.decision.action !== 'ship') continue;
    const shipped = readout.decision.variant ?? '';
    if (lift === 0) return { day };
    if (shipped !== 'v1') return { day: 0 };
    const h = readout.hierarchical?.arms.v1;
    return { day, ...(h ? { rawLift: h.rawLift, shrunkLift: h.shrunkLift } : {}) };
  }
  return { day: 0 };
}

export function simulateRule(s: RuleScenario, index: number): RuleOutcome {
  switch (s.suite) {
    case 'guard-aa':
      return guardrailRun(s, index, 0, 0, 0);
    case 'guard-harm':
      return guardrailRun(s, index, 0.2, 0, 0);
    case 'guard-ship':
      return guardrailRun(s, index, 0, 1000, 0.1);
    case 'plan-aa':
      return plannedRun(s, index, 2, 0);
    case 'plan-ab':
      return plannedRun(s, index, 2, 0.1);
    case 'many-aa':
      return plannedRun(s, index, 25, 0);
    case 'many-ab':
      return plannedRun(s, index, 25, 0.1);
  }
}

export const DEFAULT_MARGIN_NOTE = `default margins ${DEFAULT_MARGIN * 100}% of the decision scale`;

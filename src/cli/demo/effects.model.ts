/**
 * The demo's made-up world: true effects of each sample nudge and how customers respond. Pure and
 * seeded, so a demo run is reproducible and the readouts can be checked against known truths.
 */

/** What one non-control variant really does. */
export interface TrueEffect {
  /** Relative lift on the experiment's primary conversion, e.g. 0.15 = +15%. */
  primary: number;
  /** Shift of the mean CSAT answer in points (1-5 scale); NPS and effort move with it (see below). */
  satisfaction: number;
  /** Relative lifts on other conversion metrics of the experiment, by metric key. */
  metrics?: Record<string, number>;
}

/** The sample experiments in experiments/: effects chosen so the readouts tell different stories. */
export const SAMPLE_EFFECTS: Record<string, Record<string, TrueEffect>> = {
  'repayment-frequency-default-2026q4': {
    fortnightly: { primary: 0.18, satisfaction: 0, metrics: { 'application-submitted': 0.02 } },
  },
  'document-reminder-evening': { 'weekday-evening': { primary: 0.12, satisfaction: 0.05 } },
  'rate-lock-loss-frame': { loss: { primary: 0.1, satisfaction: -0.3 } },
  'free-shipping-gain-frame': { gain: { primary: 0.07, satisfaction: 0.08, metrics: { returned: 0 } } },
  'green-delivery-default-test': { green: { primary: -0.01, satisfaction: 0.1 } },
  'review-request-after-use': {
    'after-use': { primary: 0.25, satisfaction: 0.05, metrics: { unsubscribed: -0.1 } },
  },
  'autopay-default-on': {
    'autopay-on': {
      primary: 0.3,
      satisfaction: -0.25,
      metrics: { 'billing-complaints': 0.4, 'first-bill-paid': 0.05 },
    },
  },
  'esim-activation-evening': { 'early-evening': { primary: 0, satisfaction: 0 } },
  'data-usage-social-norm-test': { 'social-norm': { primary: 0.2, satisfaction: -0.05 } },
  'data-usage-norm-service-load': {
    'social-norm': { primary: 0.2, satisfaction: 0.05, metrics: { 'contacts-per-top-up': -0.25 } },
  },
  'renewal-term-24-default': {
    'term-24': { primary: -0.02, satisfaction: -0.05, metrics: { 'renewed-24': 0.6 } },
  },
};

/** FNV-1a: a stable number per string, for effects and base rates of experiments not listed above. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const FALLBACK_PRIMARY = [0.15, 0.08, 0, -0.06];
const FALLBACK_SATISFACTION = [0.1, 0, -0.2];

export function trueEffect(experiment: string, variant: string, control: string): TrueEffect | undefined {
  if (variant === control) return undefined;
  const known = SAMPLE_EFFECTS[experiment]?.[variant];
  if (known) return known;
  const h = hash(`${experiment}/${variant}`);
  return {
    primary: FALLBACK_PRIMARY[h % FALLBACK_PRIMARY.length]!,
    satisfaction: FALLBACK_SATISFACTION[(h >>> 8) % FALLBACK_SATISFACTION.length]!,
  };
}

/** Base rate of a conversion event: what the control group does. */
export function baseRate(event: string, role: string, lowerIsBetter: boolean): number {
  if (lowerIsBetter) return 0.02 + (hash(event) % 4) / 100;
  if (role === 'primary') return 0.12 + (hash(event) % 20) / 100;
  return 0.2 + (hash(event) % 20) / 100;
}

/** mulberry32: small, fast and good enough for a simulation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CSAT_BASE = 3.9;
export const CES_BASE = 3.2;
/** NPS shares of the control group: detractors, passives, promoters. */
export const NPS_BASE = [0.22, 0.38, 0.4] as const;
/** One CSAT point of satisfaction moves this share from detractors to promoters. */
export const NPS_SHARE_PER_POINT = 0.15;
/** One CSAT point of satisfaction lowers effort (1-7, lower is better) by this much. */
export const CES_PER_POINT = 1.2;
export const ANSWER_RATE = { csat: 0.35, nps: 0.3, ces: 0.3 } as const;

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A survey answer on a 1..max scale around `mean` (sd 1), rounded and clipped to the scale. */
export function scaleAnswer(random: () => number, mean: number, max: number): number {
  return Math.min(max, Math.max(1, Math.round(mean + normal(random))));
}

/** An NPS answer 0-10 whose bucket follows the base shares moved by `shift` (share moved to promoters). */
export function npsAnswer(random: () => number, shift: number): number {
  const detractors = Math.min(0.95, Math.max(0.01, NPS_BASE[0] - shift));
  const promoters = Math.min(0.95, Math.max(0.01, NPS_BASE[2] + shift));
  const u = random();
  if (u < detractors) return Math.floor(random() * 7);
  if (u < 1 - promoters) return 7 + Math.floor(random() * 2);
  return 9 + Math.floor(random() * 2);
}

/** The NPS (-100..100) the simulation's shares give for a satisfaction shift, for the printed truths. */
export function trueNps(satisfaction: number): number {
  const shift = satisfaction * NPS_SHARE_PER_POINT;
  const detractors = Math.min(0.95, Math.max(0.01, NPS_BASE[0] - shift));
  const promoters = Math.min(0.95, Math.max(0.01, NPS_BASE[2] + shift));
  return 100 * (promoters - detractors);
}

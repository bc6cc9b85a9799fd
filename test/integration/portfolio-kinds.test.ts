import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import type { Experiment } from '../../src/domain/schemas/experiment.schema.js';
import type { Portfolio } from '../../src/domain/schemas/insights.schema.js';
import { signedIn } from '../helpers/dashboard-session.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { referencePooled } from '../helpers/random-effects-reference.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * The portfolio pools ordinal CSAT with mean CSAT and ratio metrics as a measure of their own.
 * Three framing experiments on one touchpoint:
 * - `ord-top2`: CSAT as an ordinal 1-5 compared on top-2-box, contacts per order (a ratio, fewer is better);
 * - `ord-seven`: CSAT as an ordinal 1-7 compared on the mean score, handle minutes per ticket;
 * - `mean-csat`: CSAT as a mean of 1-5 answers, no ratio.
 * Each experiment's effect on the pooled scale is worked out here from the readout's intervals (a
 * normal with an interval as wide), and the pooled figures from those effects with the
 * random-effects model integrated in test/helpers (Simpson's rule), not by the engine.
 */
let h: Harness;
const Z95 = 1.959963984540054;
const PER_ARM = 300;

const conversion = {
  key: 'applied',
  kind: 'conversion',
  role: 'primary',
  event: 'applied',
  windowHours: 24,
  lowerIsBetter: false,
} as const;

const metricsOf: Record<string, Experiment['metrics']> = {
  'ord-top2': [
    conversion,
    {
      key: 'csat-top2',
      kind: 'ordinal',
      role: 'guardrail',
      event: 'csat',
      scale: { min: 1, max: 5 },
      summary: 'top2',
      windowHours: 48,
      lowerIsBetter: false,
    },
    {
      key: 'contacts',
      kind: 'ratio',
      role: 'secondary',
      event: 'contact',
      aggregation: 'count',
      denominator: { event: 'order', aggregation: 'count' },
      windowHours: 48,
      lowerIsBetter: true,
    },
  ] as Experiment['metrics'],
  'ord-seven': [
    conversion,
    {
      key: 'csat-seven',
      kind: 'ordinal',
      role: 'guardrail',
      event: 'csat',
      scale: { min: 1, max: 7 },
      summary: 'mean',
      windowHours: 48,
      lowerIsBetter: false,
    },
    {
      key: 'handle-time',
      kind: 'ratio',
      role: 'secondary',
      event: 'handle_minutes',
      aggregation: 'sum',
      denominator: { event: 'ticket', aggregation: 'count' },
      windowHours: 48,
      lowerIsBetter: true,
    },
  ] as Experiment['metrics'],
  'mean-csat': [
    conversion,
    { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', windowHours: 48, lowerIsBetter: false },
  ] as Experiment['metrics'],
};

/** Raw CSAT answers per arm, kept to check the engine's per-arm mean score by hand. */
const answers: Record<string, Record<string, number[]>> = {};

async function simulate(key: string, seed: number) {
  const exp = await insertExperiment(h.connection, key, {
    touchpoint: 'apply.plan',
    nudge: 'frame-web',
    metrics: metricsOf[key]!,
  });
  const u = seededRandom(seed);
  const top = key === 'ord-seven' ? 7 : 5;
  const exposures: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  answers[key] = {};
  for (const variant of ['control', 'treatment']) {
    const treated = variant === 'treatment';
    const arm: number[] = [];
    for (let i = 0; i < PER_ARM; i++) {
      const id = `${key}-${variant}-${i}`;
      exposures.push(exposure(exp, id, variant, hours(0)));
      if (u() < (treated ? 0.24 : 0.2)) events.push(event(id, 'applied', hours(1)));
      if (u() < 0.6) {
        // Treated customers lean one point higher a quarter of the time.
        const score = Math.min(top, 1 + Math.floor(u() * top) + (treated && u() < 0.25 ? 1 : 0));
        events.push(event(id, 'csat', hours(2), score));
        arm.push(score);
      }
      const tickets = 1 + Math.floor(u() * 3);
      for (let t = 0; t < tickets; t++) {
        events.push(event(id, 'order', hours(3)));
        events.push(event(id, 'ticket', hours(3)));
        if (u() < (treated ? 0.25 : 0.35)) events.push(event(id, 'contact', hours(4)));
        events.push(event(id, 'handle_minutes', hours(4), Math.round((treated ? 6 : 7) + 4 * u())));
      }
    }
    answers[key][variant] = arm;
  }
  await storeExposures(h.connection, exposures);
  await storeEvents(h.connection, events);
  const res = await h.request().post(`/v1/experiments/${key}/refresh`).set(auth(h.keys.strategist));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  h = await createHarness();
  const s = auth(h.keys.strategist);
  const post = (path: string, body: object) => h.request().post(path).set(s).send(body).expect(201);
  await post('/v1/journeys', {
    key: 'home-loan',
    name: 'Home loan',
    stages: [{ key: 'apply', name: 'Apply' }],
  });
  await post('/v1/touchpoints', {
    key: 'apply.plan',
    journey: 'home-loan',
    stage: 'apply',
    channel: 'web',
    name: 'Plan',
  });
  await post('/v1/nudges', {
    key: 'frame-web',
    touchpoint: 'apply.plan',
    type: 'framing',
    name: 'w',
    principle: 'p',
    variants: [
      { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Choose a plan.' } },
      { key: 'treatment', name: 'Loss', payload: { frame: 'loss', message: 'Do not lose your rate.' } },
    ],
  });
  await simulate('ord-top2', 11);
  await simulate('ord-seven', 12);
  await simulate('mean-csat', 13);
}, 180_000);
afterAll(async () => {
  await h.close();
});

interface Estimate {
  estimate: number;
  ci95: [number, number];
}
interface Arm {
  absoluteLift: { mean: number; ci95: [number, number] };
  relativeLift: { mean: number; ci95: [number, number] };
}
type MetricView = {
  variants: Record<string, Arm>;
  ordinal?: { arms: Record<string, { mean: Estimate }> };
};

async function metricOf(key: string, metric: string): Promise<MetricView> {
  const res = await h.request().get(`/v1/experiments/${key}/readout`).set(auth(h.keys.viewer));
  expect(res.status).toBe(200);
  return res.body.latest.readout.metrics[metric] as MetricView;
}

const sdOf = (ci: readonly [number, number]) => (ci[1] - ci[0]) / (2 * Z95);
const normalOf = (mean: number, ci: readonly [number, number], sign = 1) => ({
  estimate: sign * mean,
  variance: sdOf(ci) ** 2,
});

/** Each experiment's CSAT effect in points of the 1-5 scale, worked out from its readout. */
async function csatEffects() {
  const top2 = await metricOf('ord-top2', 'csat-top2');
  const c = top2.ordinal!.arms.control!.mean;
  const t = top2.ordinal!.arms.treatment!.mean;
  // Compared on top-2-box: the mean scores' difference, the two arms' variances added.
  const first = { estimate: t.estimate - c.estimate, variance: sdOf(t.ci95) ** 2 + sdOf(c.ci95) ** 2 };
  // A 1-7 scale is stretched onto 1-5: one of its points is 4/6 of a CSAT point.
  const seven = (await metricOf('ord-seven', 'csat-seven')).variants.treatment!.absoluteLift;
  const k = 4 / 6;
  const second = normalOf(seven.mean * k, [seven.ci95[0] * k, seven.ci95[1] * k]);
  const plain = (await metricOf('mean-csat', 'csat')).variants.treatment!.absoluteLift;
  return {
    top2,
    effects: { 'ord-top2': first, 'ord-seven': second, 'mean-csat': normalOf(plain.mean, plain.ci95) },
  };
}

/** Ratio effects: relative lifts, turned so that fewer contacts and shorter handling count as better. */
async function ratioEffects() {
  const contacts = (await metricOf('ord-top2', 'contacts')).variants.treatment!.relativeLift;
  const minutes = (await metricOf('ord-seven', 'handle-time')).variants.treatment!.relativeLift;
  return {
    'ord-top2': normalOf(contacts.mean, contacts.ci95, -1),
    'ord-seven': normalOf(minutes.mean, minutes.ci95, -1),
  };
}

async function portfolio(): Promise<Portfolio> {
  const res = await h.request().get('/v1/portfolio').set(auth(h.keys.viewer));
  expect(res.status).toBe(200);
  return res.body as Portfolio;
}

const close = (x: number, y: number, what: string) =>
  expect(Math.abs(x - y), `${what}: ${x} vs ${y}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(y)));

describe('the portfolio over every metric kind', () => {
  it('when ordinal and mean CSAT metrics are measured, then they pool together as mean-score points of 1-5 and the pooled figures equal the random-effects integral of the effects worked out here', async () => {
    const { top2, effects } = await csatEffects();
    // The engine's mean score of each arm is the Dirichlet(1 + counts) posterior mean, by hand.
    for (const v of ['control', 'treatment']) {
      const a = answers['ord-top2']![v]!;
      const byHand = (a.reduce((s, x) => s + x, 0) + (1 + 2 + 3 + 4 + 5)) / (a.length + 5);
      close(top2.ordinal!.arms[v]!.mean.estimate, byHand, `mean score ${v}`);
    }
    const row = (await portfolio()).nudgeTypes.find((t) => t.type === 'framing')!;
    expect(row.csat).toMatchObject({ unit: 'points', experiments: 3 });
    const metricOfItem = Object.fromEntries(row.csat.items.map((i) => [i.experiment, i.metric]));
    expect(metricOfItem).toEqual({ 'ord-top2': 'csat-top2', 'ord-seven': 'csat-seven', 'mean-csat': 'csat' });
    for (const item of row.csat.items) {
      close(item.estimate, effects[item.experiment as keyof typeof effects].estimate, `item ${item.metric}`);
    }
    const ref = referencePooled(row.csat.items.map((i) => effects[i.experiment as keyof typeof effects]));
    close(row.csat.estimate!, ref.estimate, 'pooled CSAT');
    close(row.csat.ci95![0], ref.ci95[0], 'pooled CSAT low');
    close(row.csat.ci95![1], ref.ci95[1], 'pooled CSAT high');
    close(row.csat.chanceBetter!, ref.chanceAboveZero, 'pooled CSAT chance');
  });

  it('when ratio metrics are measured, then they pool as their own relative measure signed by lowerIsBetter, and conversion pools only conversion metrics', async () => {
    const effects = await ratioEffects();
    const p = await portfolio();
    const row = p.nudgeTypes.find((t) => t.type === 'framing')!;
    expect(row.ratio).toMatchObject({ unit: 'relative', experiments: 2 });
    const metricOfItem = Object.fromEntries(row.ratio.items.map((i) => [i.experiment, i.metric]));
    expect(metricOfItem).toEqual({ 'ord-top2': 'contacts', 'ord-seven': 'handle-time' });
    const item = (key: keyof typeof effects) => row.ratio.items.find((i) => i.experiment === key)!;
    for (const key of ['ord-top2', 'ord-seven'] as const)
      close(item(key).estimate, effects[key].estimate, key);
    // Fewer contacts per order is better: the simulated treatment has fewer, so the effect is positive.
    expect(item('ord-top2').estimate).toBeGreaterThan(0);
    const ref = referencePooled(row.ratio.items.map((i) => effects[i.experiment as keyof typeof effects]));
    close(row.ratio.estimate!, ref.estimate, 'pooled ratio');
    close(row.ratio.ci95![0], ref.ci95[0], 'pooled ratio low');
    close(row.ratio.ci95![1], ref.ci95[1], 'pooled ratio high');
    expect(row.conversion.experiments).toBe(3);
    expect(new Set(row.conversion.items.map((i) => i.metric))).toEqual(new Set(['applied']));
    const tp = p.touchpoints.find((t) => t.key === 'apply.plan')!;
    expect(tp.ratio.experiments).toBe(2);
  });

  it('when the portfolio page is opened, then the CSAT column names its 1-5 mean-score scale, ratios have their own column, and the cells read the API figures', async () => {
    const p = await portfolio();
    const row = p.nudgeTypes.find((t) => t.type === 'framing')!;
    const { agent } = await signedIn(h.app, h.keys.viewer);
    const res = await agent.get('/dashboard/portfolio');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<th>CSAT (mean score, points of 1-5)</th>');
    expect(res.text).toContain('<th>Ratios (relative change, positive is better)</th>');
    expect(res.text).toContain('data-testid="portfolio-scales"');
    const cell = (id: string) => new RegExp(`data-testid="${id}"[^>]*>([^<]*)`).exec(res.text)?.[1]?.trim();
    const pct = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(1)}%`;
    expect(cell('pf-type-framing-ratio')).toBe(pct(row.ratio.estimate!));
    const pts = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)}`;
    expect(cell('pf-type-framing-csat')).toBe(pts(row.csat.estimate!));
    const uk = await agent.get('/dashboard/portfolio?lang=uk');
    expect(uk.text).toContain('<th>CSAT (середня оцінка, пункти шкали 1–5)</th>');
  });
});

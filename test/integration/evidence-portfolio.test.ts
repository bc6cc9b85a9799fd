import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import type { Experiment } from '../../src/domain/schemas/experiment.schema.js';
import type { Portfolio, PortfolioMeasure } from '../../src/domain/schemas/insights.schema.js';
import type { ReadoutResponse } from '../../src/domain/schemas/snapshot.schema.js';
import { pooledCellText, portfolioBody } from '../../src/http/dashboard/portfolio.page.js';
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

let h: Harness;
const Z95 = 1.959963984540054;
const PER_ARM = 400;

const metrics: Experiment['metrics'] = [
  {
    key: 'applied',
    kind: 'conversion',
    role: 'primary',
    event: 'applied',
    windowHours: 24,
    lowerIsBetter: false,
  },
  { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', windowHours: 48, lowerIsBetter: false },
  { key: 'nps', kind: 'nps', role: 'secondary', event: 'nps', windowHours: 48, lowerIsBetter: false },
  { key: 'effort', kind: 'mean', role: 'secondary', event: 'ces', windowHours: 48, lowerIsBetter: true },
];

interface Arm {
  convert: number;
  /** CSAT answers 1-5 and effort answers 1-7 drawn around these means; NPS promoters' share. */
  csat: number;
  effort: number;
  promoters: number;
}

/** Two arms; every customer answers CSAT, effort and NPS surveys with 50% each. */
async function simulate(key: string, touchpoint: string, nudge: string, arms: [Arm, Arm], seed: number) {
  const exp = await insertExperiment(h.connection, key, { touchpoint, nudge, metrics });
  const u = seededRandom(seed);
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(x)));
  const exposures: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  ['control', 'treatment'].forEach((variant, a) => {
    const arm = arms[a]!;
    for (let i = 0; i < PER_ARM; i++) {
      const id = `${key}-${variant}-${i}`;
      exposures.push(exposure(exp, id, variant, hours(0)));
      if (u() < arm.convert) events.push(event(id, 'applied', hours(1)));
      if (u() < 0.5) events.push(event(id, 'csat', hours(2), clamp(arm.csat + 2 * (u() - 0.5) * 2, 1, 5)));
      if (u() < 0.5) events.push(event(id, 'ces', hours(2), clamp(arm.effort + 2 * (u() - 0.5) * 3, 1, 7)));
      if (u() < 0.5)
        events.push(
          event(id, 'nps', hours(3), u() < arm.promoters ? 9 + Math.floor(u() * 2) : Math.floor(u() * 9)),
        );
    }
  });
  await storeExposures(h.connection, exposures);
  await storeEvents(h.connection, events);
  const res = await h.request().post(`/v1/experiments/${key}/refresh`).set(auth(h.keys.strategist));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

const base: Arm = { convert: 0.2, csat: 3.6, effort: 4, promoters: 0.3 };

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
  await post('/v1/touchpoints', {
    key: 'apply.app',
    journey: 'home-loan',
    stage: 'apply',
    channel: 'app',
    name: 'App',
  });
  const framing = [
    { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Choose a plan.' } },
    { key: 'treatment', name: 'Loss', payload: { frame: 'loss', message: 'Do not lose your rate.' } },
  ];
  await post('/v1/nudges', {
    key: 'frame-web',
    touchpoint: 'apply.plan',
    type: 'framing',
    name: 'w',
    principle: 'p',
    variants: framing,
  });
  await post('/v1/nudges', {
    key: 'frame-app',
    touchpoint: 'apply.app',
    type: 'framing',
    name: 'a',
    principle: 'p',
    variants: framing,
  });
  await post('/v1/nudges', {
    key: 'plan-default',
    touchpoint: 'apply.plan',
    type: 'default',
    name: 'd',
    principle: 'p',
    variants: [
      { key: 'control', name: 'Monthly', payload: { option: 'monthly', mode: 'opt-in' } },
      { key: 'treatment', name: 'Fortnightly', payload: { option: 'fortnightly', mode: 'opt-out' } },
    ],
  });
  const better = (over: Partial<Arm>): Arm => ({ ...base, ...over });
  await simulate(
    'frame-1',
    'apply.plan',
    'frame-web',
    [base, better({ convert: 0.26, csat: 3.9, promoters: 0.4 })],
    1,
  );
  await simulate('frame-2', 'apply.plan', 'frame-web', [base, better({ convert: 0.21, effort: 3.4 })], 2);
  await simulate(
    'frame-3',
    'apply.app',
    'frame-app',
    [base, better({ convert: 0.24, csat: 3.3, promoters: 0.35 })],
    3,
  );
  await simulate('default-1', 'apply.plan', 'plan-default', [base, better({ convert: 0.3, csat: 3.7 })], 4);
}, 120_000);
afterAll(async () => {
  await h.close();
});

/** A variant's lift on one measure, signed so that positive is better, as a normal effect. */
async function effectOf(key: string, measure: PortfolioMeasure) {
  const view = (await h.request().get(`/v1/experiments/${key}/readout`).set(auth(h.keys.viewer)))
    .body as ReadoutResponse;
  const metric = measure === 'conversion' ? 'applied' : measure;
  const arm = view.latest!.readout!.metrics[metric]!.variants.treatment as {
    absoluteLift: { mean: number; ci95: [number, number] };
    relativeLift: { mean: number; ci95: [number, number] };
  };
  const lift = measure === 'conversion' ? arm.relativeLift : arm.absoluteLift;
  const sign = measure === 'effort' ? -1 : 1;
  const sd = (lift.ci95[1] - lift.ci95[0]) / (2 * Z95);
  return { estimate: sign * lift.mean, variance: sd * sd };
}

describe('the pooled portfolio', () => {
  it("when three framing experiments measured conversion, CSAT, NPS and effort, then the framing row's pooled estimate and interval of each equal the random-effects integral computed in the test, each in its own unit", async () => {
    const res = await h.request().get('/v1/portfolio').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    const p = res.body as Portfolio;
    const framing = p.nudgeTypes.find((t) => t.type === 'framing')!;
    expect(framing.experiments).toEqual(['frame-1', 'frame-2', 'frame-3']);
    for (const measure of ['conversion', 'csat', 'nps', 'effort'] as const) {
      const row = framing[measure];
      expect(row.unit).toBe(measure === 'conversion' ? 'relative' : 'points');
      expect(row.experiments).toBe(3);
      const effects = await Promise.all(['frame-1', 'frame-2', 'frame-3'].map((k) => effectOf(k, measure)));
      expect(row.items.map((i) => i.estimate)).toEqual(effects.map((e) => e.estimate));
      const ref = referencePooled(effects);
      // Within 1e-5 of the figure's own size: NPS points run to tens, relative lifts to tenths.
      const close = (x: number, y: number) =>
        expect(Math.abs(x - y), `${measure}: ${x} vs ${y}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(y)));
      close(row.estimate!, ref.estimate);
      close(row.ci95![0], ref.ci95[0]);
      close(row.ci95![1], ref.ci95[1]);
      close(row.chanceBetter!, ref.chanceAboveZero);
    }
    // NPS stays in NPS points (not points / 100) and CSAT in CSAT points: a 0.3 CSAT lift reads 0.3.
    expect(Math.abs(framing.nps.items[0]!.estimate)).toBeGreaterThan(1);
    expect(Math.abs(framing.csat.items[0]!.estimate)).toBeLessThan(1.5);
  });

  it('when touchpoints and channels are ranked, then each row pools only its own experiments and the order follows the chance of improving satisfaction', async () => {
    const p = (await h.request().get('/v1/portfolio').set(auth(h.keys.viewer))).body as Portfolio;
    const web = p.touchpoints.find((t) => t.key === 'apply.plan')!;
    expect(web.experiments).toEqual(['default-1', 'frame-1', 'frame-2']);
    const effects = await Promise.all(['default-1', 'frame-1', 'frame-2'].map((k) => effectOf(k, 'csat')));
    expect(web.csat.estimate!).toBeCloseTo(referencePooled(effects).estimate, 5);
    expect(p.channels.map((c) => c.channel).sort()).toEqual(['app', 'web']);
    const satisfaction = (e: Portfolio['touchpoints'][number]) => {
      const chances = [e.csat, e.nps, e.effort].map((x) => x.chanceBetter!);
      return chances.reduce((a, b) => a + b, 0) / chances.length;
    };
    const order = p.touchpoints.map(satisfaction);
    expect([...order].sort((a, b) => b - a)).toEqual(order);

    const page = portfolioBody(p).value;
    for (const m of ['conversion', 'csat', 'nps', 'effort'] as const) {
      const text = pooledCellText(m, web[m]);
      expect(page).toContain(`data-testid="pf-tp-apply.plan-${m}"`);
      expect(text).toMatch(/\(3\)$/);
    }
    expect(page).toContain('<th>Customer effort (points less)</th>');
  });
});

import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import { experimentBody } from '../../src/http/dashboard/experiment.page.js';
import { absoluteLift } from '../../src/stats/format.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';

let h: Harness;

/** 100 customers per arm; conversions 15 vs 30; CSAT 3/4 vs 4/5 from the first 20 of each arm. */
async function seed() {
  const exp = await insertExperiment(h.connection, 'plan-framing', {
    touchpoint: 'apply.payment-plan',
    nudge: 'plan-frame',
  });
  const exposures: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  for (const [variant, converts, scores] of [
    ['control', 15, [3, 4]],
    ['treatment', 30, [4, 5]],
  ] as const) {
    for (let i = 0; i < 100; i++) {
      const id = `${variant}-${i}`;
      exposures.push(
        exposure(exp, id, variant, hours(0), { attributes: { channel: i % 2 === 0 ? 'web' : 'app' } }),
      );
      if (i < converts) events.push(event(id, 'applied', hours(2)));
      if (i < 20) events.push(event(id, 'csat', hours(3), scores[i % 2]!));
    }
  }
  await storeExposures(h.connection, exposures);
  await storeEvents(h.connection, events);
  return exp;
}

beforeAll(async () => {
  h = await createHarness();
  const s = auth(h.keys.strategist);
  const journey = await h
    .request()
    .post('/v1/journeys')
    .set(s)
    .send({
      key: 'home-loan',
      name: 'Home loan',
      stages: [
        { key: 'consider', name: 'Consider' },
        { key: 'apply', name: 'Apply' },
      ],
    });
  expect(journey.status).toBe(201);
  const tp = await h.request().post('/v1/touchpoints').set(s).send({
    key: 'apply.payment-plan',
    journey: 'home-loan',
    stage: 'apply',
    channel: 'web',
    name: 'Payment plan',
  });
  expect(tp.status).toBe(201);
  const nudge = await h
    .request()
    .post('/v1/nudges')
    .set(s)
    .send({
      key: 'plan-frame',
      touchpoint: 'apply.payment-plan',
      type: 'framing',
      name: 'Plan framing',
      principle: 'loss aversion',
      variants: [
        { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Choose a plan.' } },
        { key: 'treatment', name: 'Loss', payload: { frame: 'loss', message: 'Do not lose your rate.' } },
      ],
    });
  expect(nudge.status).toBe(201);
  await seed();
});
afterAll(async () => {
  await h.close();
});

describe('readout routes', () => {
  it('serves the latest snapshot and its history to viewers, and refuses app keys and strangers', async () => {
    const none = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    expect(none.status).toBe(200);
    expect(none.body.latest).toBeNull();
    expect(none.body.history).toEqual([]);

    const viewerRefresh = await h
      .request()
      .post('/v1/experiments/plan-framing/refresh')
      .set(auth(h.keys.viewer));
    expect(viewerRefresh.status).toBe(403);
    for (let i = 0; i < 2; i++) {
      const r = await h.request().post('/v1/experiments/plan-framing/refresh').set(auth(h.keys.strategist));
      expect(r.status).toBe(200);
    }
    const res = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.body.experiment).toMatchObject({ key: 'plan-framing', control: 'control', phase: 1 });
    expect(res.body.latest.counts.exposures).toEqual({ control: 100, treatment: 100 });
    expect(res.body.latest.counts.metrics.applied.variants.treatment).toEqual({ n: 100, conversions: 30 });
    expect(res.body.history).toHaveLength(2);
    const point = res.body.history[1];
    const arm = res.body.latest.readout.metrics.applied.variants.treatment;
    expect(point.id).toBe(res.body.latest.id);
    expect(point.metrics.applied.treatment.chanceToBeatControl).toBe(arm.chanceToBeatControl);
    // 30/100 vs 15/100 is a large, clear effect.
    expect(arm.chanceToBeatControl).toBeGreaterThan(0.99);

    expect((await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.app))).status).toBe(
      403,
    );
    expect((await h.request().get('/v1/experiments/plan-framing/readout')).status).toBe(401);
    const missing = await h.request().get('/v1/experiments/nope-nope/readout').set(auth(h.keys.viewer));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('when many snapshots exist, then the readout draws its history from small points, never from the full snapshots', async () => {
    const latest = await h.services.readouts.latest('plan-framing');
    // Old full snapshots gone (or just never read): the history is still there, point by point.
    await h.connection.collection('snapshots').deleteMany({ _id: { $ne: latest!.id } } as never);
    const res = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    expect(res.body.history).toHaveLength(2);
    expect(res.body.latest.id).toBe(latest!.id);
    expect(Object.keys(res.body.history[0])).not.toContain('readout');
  });

  it('breaks the readout down by allow-listed attributes, marked exploratory with its comparison count', async () => {
    const res = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    const segments = res.body.latest.segments;
    expect(segments.exploratory).toBe(true);
    const channel = segments.attributes.channel as { value: string; exposures: Record<string, number> }[];
    expect(channel.map((c) => c.value).sort()).toEqual(['app', 'web']);
    expect(channel.find((c) => c.value === 'web')?.exposures).toEqual({ control: 50, treatment: 50 });
    // two channel values x one non-control variant
    expect(segments.comparisons).toBe(2);
    expect(segments.attributes.country).toBeUndefined();
  });

  it('exports one CSV row per metric and variant with names, the decision sentence and rounded figures', async () => {
    const json = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    const res = await h.request().get('/v1/experiments/plan-framing/readout.csv').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4 * 2);
    const t = rows.find((r) => r.metric === 'applied' && r.variant === 'treatment')!;
    const readout = json.body.latest.readout;
    const arm = readout.metrics.applied.variants.treatment;
    expect(Number(t.chance_to_beat_control)).toBeCloseTo(arm.chanceToBeatControl, 5);
    expect(Number(t.relative_lift)).toBeCloseTo(arm.relativeLift.mean, 5);
    expect(t.conversions).toBe('30');
    expect(t.variant_name).toBe('Loss');
    expect(t.decision_summary).toBe(readout.decision.summary);
    // Six significant digits at most: no float noise like 0.6999999999999993.
    for (const row of rows) {
      for (const cell of Object.values(row)) {
        if (/^-?\d+\.\d+(e-?\d+)?$/.test(cell))
          expect(cell.replace(/^-?0\.0*|\.|e.*$/g, '').length).toBeLessThanOrEqual(6);
      }
    }
    const c = rows.find((r) => r.metric === 'csat' && r.variant === 'control')!;
    expect([c.n, c.mean, c.is_control, c.variant_name]).toEqual(['20', '3.5', 'true', 'Neutral']);
    expect(
      (await h.request().get('/v1/experiments/plan-framing/readout.csv').set(auth(h.keys.app))).status,
    ).toBe(403);
  });

  it('when the nudge names its variants, then the JSON readout, the page and the printed page use the names and units', async () => {
    const res = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    const readout = res.body.latest.readout;
    expect(readout.variantNames).toEqual({ control: 'Neutral', treatment: 'Loss' });
    expect(readout.decision.summary).toMatch(/^Loss: /);
    expect(readout.decision.summary).toContain('percentage points');
    for (const printing of [false, true]) {
      const page = String(experimentBody(res.body, { printing }));
      expect(page).toContain('control: Neutral');
      expect(page).not.toMatch(/<th scope="row">treatment/);
      expect(page).toContain('<th scope="row">Loss</th>');
      expect(page).toContain(readout.decision.summary.replaceAll("'", '&#39;'));
      expect(page).toContain('(30 of 100)');
      expect(page).toContain(
        absoluteLift('conversion', readout.metrics.applied.variants.treatment.absoluteLift.mean),
      );
      expect(page).toContain('percentage points');
      expect(page).toContain('a stricter test');
    }
  });

  it("summarises a journey's touchpoints with their experiments' decisions and lifts", async () => {
    const res = await h.request().get('/v1/journeys/home-loan/summary').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.body.journey.stages.map((s: { key: string }) => s.key)).toEqual(['consider', 'apply']);
    const [tp] = res.body.touchpoints;
    expect(tp).toMatchObject({ key: 'apply.payment-plan', stage: 'apply', channel: 'web' });
    expect(tp.nudges).toEqual([{ key: 'plan-frame', name: 'Plan framing', type: 'framing' }]);
    const [exp] = tp.experiments;
    expect(exp).toMatchObject({ key: 'plan-framing', nudgeType: 'framing', exposures: 200 });
    const readout = await h.request().get('/v1/experiments/plan-framing/readout').set(auth(h.keys.viewer));
    expect(exp.decision).toEqual(readout.body.latest.readout.decision);
    // conversion and satisfaction metrics only (revenue is not ranked here); NPS has no answers yet
    expect(exp.lifts.map((l: { metric: string }) => l.metric).sort()).toEqual(['applied', 'csat']);
    const csat = exp.lifts.find((l: { metric: string }) => l.metric === 'csat');
    expect(csat.family).toBe('satisfaction');
    // CSAT means 4.5 vs 3.5
    expect(csat.absoluteLift.mean).toBeCloseTo(1, 12);
    const missing = await h.request().get('/v1/journeys/no-such/summary').set(auth(h.keys.viewer));
    expect(missing.status).toBe(404);
  });

  it('ranks touchpoints and nudge types by pooled effect in the portfolio', async () => {
    const res = await h.request().get('/v1/portfolio').set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    const [tp] = res.body.touchpoints;
    expect(tp.key).toBe('apply.payment-plan');
    expect(tp.experiments).toEqual(['plan-framing']);
    // leading variant treatment: conversion 0.30 vs 0.15, CSAT 4.5 vs 3.5 (relative +2/7)
    expect(tp.conversion.items[0]).toMatchObject({
      experiment: 'plan-framing',
      variant: 'treatment',
      metric: 'applied',
    });
    // CSAT pooled in its own points: one experiment, so its own lift of 4.5 - 3.5.
    expect(tp.csat).toMatchObject({ unit: 'points', experiments: 1 });
    expect(tp.csat.estimate).toBeCloseTo(1, 12);
    expect(tp.nps.experiments).toBe(0);
    expect(res.body.nudgeTypes.map((n: { type: string }) => n.type)).toEqual(['framing']);
    expect(res.body.channels.map((n: { channel: string }) => n.channel)).toEqual(['web']);
    expect((await h.request().get('/v1/portfolio').set(auth(h.keys.app))).status).toBe(403);
  });
});

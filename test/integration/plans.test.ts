import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { insertExperiment } from '../helpers/readout-fixtures.js';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
  await insertExperiment(h.connection, 'plan-me');
});

afterAll(async () => {
  await h.close();
});

describe('POST /v1/plans', () => {
  it('when a draft body is planned, then MDE and days come back and more traffic needs fewer days', async () => {
    const body = { kind: 'conversion', baseline: 0.1, dailyExposures: 2000, lift: 0.1 };
    const slow = await h.request().post('/v1/plans').set(auth(h.keys.viewer)).send(body);
    expect(slow.status).toBe(200);
    expect(slow.body.plannedSample).toBe(28000);
    expect(slow.body.minimumDetectableEffect.sequential).toBeGreaterThan(
      slow.body.minimumDetectableEffect.fixedHorizon,
    );
    const fast = await h
      .request()
      .post('/v1/plans')
      .set(auth(h.keys.viewer))
      .send({ ...body, dailyExposures: 8000 });
    expect(fast.body.chosenLift.expectedDaysToShip).toBeLessThan(slow.body.chosenLift.expectedDaysToShip);
    expect(fast.body.minimumDetectableEffect.sequential).toBeLessThan(
      slow.body.minimumDetectableEffect.sequential,
    );
  });

  it('rejects a draft without traffic with a validation error naming the field', async () => {
    const res = await h
      .request()
      .post('/v1/plans')
      .set(auth(h.keys.viewer))
      .send({ kind: 'conversion', baseline: 0.1 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/dailyExposures/);
  });

  it('refuses a caller without a key', async () => {
    const res = await h
      .request()
      .post('/v1/plans')
      .send({ kind: 'conversion', baseline: 0.1, dailyExposures: 10 });
    expect(res.status).toBe(401);
  });
});

describe('GET /v1/experiments/:key/plan', () => {
  it('when traffic and baseline are entered, then the plan says so and uses them', async () => {
    const res = await h
      .request()
      .get('/v1/experiments/plan-me/plan?dailyExposures=4000&baseline=0.2')
      .set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.body.inputs).toMatchObject({
      dailyExposuresFrom: 'entered',
      baselineFrom: 'entered',
      baseline: 0.2,
    });
    expect(res.body.plannedSample).toBeGreaterThan(0);
  });

  it('when there are no snapshots and nothing is entered, then it asks for the inputs', async () => {
    const res = await h.request().get('/v1/experiments/plan-me/plan').set(auth(h.keys.viewer));
    expect(res.status).toBe(400);
  });

  it('answers 404 for an unknown experiment', async () => {
    const res = await h
      .request()
      .get('/v1/experiments/nope/plan?dailyExposures=10&baseline=0.1')
      .set(auth(h.keys.viewer));
    expect(res.status).toBe(404);
  });
});

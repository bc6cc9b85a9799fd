import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Composition } from '../../src/composition.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { auth, composeOn, createHarness, type Harness, testConfig } from '../helpers/harness.js';

let h: Harness;
let other: Composition;
let otherApp: ReturnType<typeof createApp>;

beforeAll(async () => {
  h = await createHarness();
  const logger = createLogger('silent');
  // A second instance on the same database: it learns of changes only by polling.
  other = composeOn(h.connection, { logger, config: testConfig({ PAYLOAD_POLL_MS: '100' }) });
  otherApp = createApp({ services: other.services, logger, bodyLimit: '1mb', version: 'test' });
  const s = (path: string, body: object) => h.request().post(path).set(auth(h.keys.strategist)).send(body);
  expect(
    (
      await s('/v1/journeys', {
        key: 'card',
        name: 'Card',
        stages: [{ key: 'apply', name: 'Apply' }],
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await s('/v1/touchpoints', {
        key: 'card.apply.limit',
        journey: 'card',
        stage: 'apply',
        channel: 'web',
        name: 'Limit',
      })
    ).status,
  ).toBe(201);
  const nudge = await s('/v1/nudges', {
    key: 'limit-frame',
    touchpoint: 'card.apply.limit',
    name: 'Limit framing',
    principle: 'social norm',
    type: 'framing',
    variants: [
      { key: 'control', name: 'Control', payload: { frame: 'neutral', message: 'Choose a limit' } },
      { key: 'norm', name: 'Norm', payload: { frame: 'social-norm', message: 'Most pick 2,000' } },
    ],
  });
  expect(nudge.status).toBe(201);
  const exp = await s('/v1/experiments', {
    key: 'limit-norm',
    name: 'Limit norm',
    nudge: 'limit-frame',
    owner: 'cx',
    hypothesis: 'a norm helps',
    control: 'control',
    variants: [
      { key: 'control', weight: 0.5 },
      { key: 'norm', weight: 0.5 },
    ],
    metrics: [{ key: 'applied', kind: 'conversion', role: 'primary', event: 'applied' }],
  });
  expect(exp.status).toBe(201);
});
afterAll(async () => {
  await other.close();
  await h.close();
});

const ask = (app: Parameters<typeof supertest>[0]) =>
  supertest(app)
    .post('/v1/assignments')
    .set(auth(h.keys.app))
    .send({ customerId: 'c-77', touchpoint: 'card.apply.limit', channel: 'web' });

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('not reached');
}

describe('payload rebuild', () => {
  it('follows lifecycle changes at once here and on another instance within seconds', async () => {
    const draft = await ask(h.app);
    expect(draft.status).toBe(200);
    expect(draft.body.assignments).toEqual([]);

    const start = await h
      .request()
      .post('/v1/experiments/limit-norm/start')
      .set(auth(h.keys.strategist))
      .send({});
    expect(start.status).toBe(200);
    const running = await ask(h.app);
    expect(running.body.assignments[0]).toMatchObject({ experiment: 'limit-norm', inExperiment: true });
    await eventually(async () => (await ask(otherApp)).body.assignments[0]?.inExperiment === true);
    expect((await ask(otherApp)).body.assignments[0].variant).toBe(running.body.assignments[0].variant);

    const pause = await h
      .request()
      .post('/v1/experiments/limit-norm/pause')
      .set(auth(h.keys.strategist))
      .send({});
    expect(pause.status).toBe(200);
    expect((await ask(h.app)).body.assignments[0]).toMatchObject({
      inExperiment: false,
      reason: 'not-running',
    });
    await eventually(async () => (await ask(otherApp)).body.assignments[0]?.reason === 'not-running');
  });
});

import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { auth, composeOn, createHarness, type Harness } from '../helpers/harness.js';
import { storedExposures } from '../helpers/stored-exposures.js';

let h: Harness;
let bannerId = '';
beforeAll(async () => {
  h = await createHarness();
  const c = h.connection;
  await seedTouchpoint(c, 'checkout.banner');
  await seedNudge(c, 'banner-frame', 'checkout.banner');
  bannerId = await seedExperiment(c, 'banner-frame', 'checkout.banner', {
    key: 'banner-test',
    qaOverrides: [{ customerId: 'qa-tester', variant: 'treatment' }],
  });
  await seedTouchpoint(c, 'apply.reminder', 'email');
  await seedNudge(
    c,
    'reminder-timing',
    'apply.reminder',
    ['control', 'evening'],
    [{ delayMinutes: 0 }, { delayMinutes: 30, localHour: 19, weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] }],
  );
  await seedExperiment(c, 'reminder-timing', 'apply.reminder', {
    key: 'reminder-test',
    variants: [
      { key: 'control', weight: 0 },
      { key: 'evening', weight: 1 },
    ],
  });
  await seedTouchpoint(c, 'apply.plan');
  await seedNudge(c, 'plan-default', 'apply.plan');
  await seedNudge(c, 'plan-paused', 'apply.plan');
  await seedExperiment(c, 'plan-default', 'apply.plan', { key: 'plan-gold', targeting: { segment: 'gold' } });
  await seedExperiment(c, 'plan-paused', 'apply.plan', {
    key: 'plan-paused',
    status: 'paused',
    overlap: true,
  });
  await h.services.capture.assignments.refresh();
});
afterAll(async () => {
  await h.close();
});

const assign = (body: Record<string, unknown>, key = h.keys.app) =>
  h.request().post('/v1/assignments').set(auth(key)).send(body);

describe('POST /v1/assignments', () => {
  it('answers the variant and its payload and stores the first exposure once with its tally', async () => {
    const body = {
      customerId: 'c-1',
      touchpoint: 'checkout.banner',
      channel: 'web',
      attributes: { country: 'FR', secret: 'x' },
    };
    const first = await assign(body);
    expect(first.status).toBe(200);
    const [a] = first.body.assignments;
    expect(a).toMatchObject({ experiment: 'banner-test', touchpoint: 'checkout.banner', inExperiment: true });
    expect(['control', 'treatment']).toContain(a.variant);
    expect(a.payload.message).toBe(`banner-frame:${a.variant}`);
    await assign({ ...body, channel: 'app' });
    await h.services.capture.exposures.flush();
    const docs = await storedExposures(h.connection, (d) => d.customerId === 'c-1');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      _id: `${bannerId}|1|c-1`,
      variant: a.variant,
      channel: 'web',
      qa: false,
      unitId: 'c-1',
      attributes: { country: 'FR', channel: 'web' },
    });
  });

  it('gives a customer the same variant on every channel and after a restart on the same database', async () => {
    const channels = ['web', 'app', 'email', 'call-centre', 'branch'];
    const ids = Array.from({ length: 40 }, (_, i) => `omni-${i}`);
    const seen = new Map<string, string>();
    for (const id of ids) {
      for (const channel of channels) {
        const res = await assign({ customerId: id, touchpoint: 'checkout.banner', channel });
        const variant = res.body.assignments[0].variant as string;
        if (seen.has(id)) expect(variant).toBe(seen.get(id));
        else seen.set(id, variant);
      }
    }
    expect(new Set(seen.values()).size).toBe(2);
    const logger = createLogger('silent');
    const again = composeOn(h.connection, { logger });
    const app = createApp({ services: again.services, logger, bodyLimit: '1mb', version: 'test' });
    for (const id of ids) {
      const res = await supertest(app)
        .post('/v1/assignments')
        .set(auth(h.keys.app))
        .send({ customerId: id, touchpoint: 'checkout.banner', channel: 'sms' });
      expect(res.body.assignments[0].variant).toBe(seen.get(id));
    }
    await again.close();
  });

  it('says why a customer is not in: targeting, and not-running for a paused experiment', async () => {
    const res = await assign({
      customerId: 'c-2',
      touchpoint: 'apply.plan',
      channel: 'web',
      attributes: { segment: 'basic' },
    });
    const byKey = Object.fromEntries(
      res.body.assignments.map((a: { experiment: string }) => [a.experiment, a]),
    );
    expect(byKey['plan-gold']).toMatchObject({
      inExperiment: false,
      reason: 'targeting',
      variant: null,
      payload: null,
    });
    expect(byKey['plan-paused']).toMatchObject({ inExperiment: false, reason: 'not-running' });
    const gold = await assign({
      customerId: 'c-2',
      touchpoint: 'apply.plan',
      channel: 'web',
      attributes: { segment: 'gold' },
    });
    expect(gold.body.assignments[0]).toMatchObject({ experiment: 'plan-gold', inExperiment: true });
  });

  it('forces QA customers to their variant and flags their exposure so analysis excludes it', async () => {
    const res = await assign({ customerId: 'qa-tester', touchpoint: 'checkout.banner', channel: 'web' });
    expect(res.body.assignments[0]).toMatchObject({ variant: 'treatment', inExperiment: true, qa: true });
    await h.services.capture.exposures.flush();
    const [doc] = await storedExposures(h.connection, (d) => d._id === `${bannerId}|1|qa-tester`);
    expect(doc?.qa).toBe(true);
  });

  it('places a timing nudge at the next allowed local hour in the customer time zone', async () => {
    const res = await assign({
      customerId: 'c-3',
      touchpoints: ['apply.reminder', 'checkout.banner'],
      channel: 'email',
      attributes: { timezone: 'America/New_York' },
    });
    expect(res.status).toBe(200);
    const timing = res.body.assignments.find((a: { experiment: string }) => a.experiment === 'reminder-test');
    expect(timing.variant).toBe('evening');
    const at = new Date(timing.deliverAt);
    const local = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
      hourCycle: 'h23',
    }).format(at);
    expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 19:00$/);
    expect(at.getTime()).toBeGreaterThanOrEqual(Date.now() + 29 * 60_000);
    expect(at.getTime()).toBeLessThan(Date.now() + 4 * 24 * 3600_000);
    expect(res.body.assignments.some((a: { touchpoint: string }) => a.touchpoint === 'checkout.banner')).toBe(
      true,
    );
  });

  it('refuses an unknown time zone on its field and an unknown touchpoint with 404', async () => {
    const tz = await assign({
      customerId: 'c-4',
      touchpoint: 'apply.reminder',
      channel: 'web',
      attributes: { timezone: 'Mars/Olympus' },
    });
    expect(tz.status).toBe(400);
    expect(tz.body.error.details.fields[0].path).toBe('attributes.timezone');
    const missing = await assign({ customerId: 'c-4', touchpoint: 'nowhere', channel: 'web' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('touchpoint_not_found');
    const bad = await assign({ customerId: '', channel: 'fax' });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.details.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['customerId', 'channel']));
    const none = await assign({ customerId: 'c-4', channel: 'web' });
    expect(none.body.error.details.fields[0].path).toBe('touchpoint');
  });

  it('lets only app and admin keys assign', async () => {
    const body = { customerId: 'c-5', touchpoint: 'checkout.banner', channel: 'web' };
    expect((await h.request().post('/v1/assignments').send(body)).status).toBe(401);
    expect((await assign(body, h.keys.viewer)).status).toBe(403);
    expect((await assign(body, h.keys.strategist)).status).toBe(403);
    expect((await assign(body, h.keys.admin)).status).toBe(200);
  });
});

describe('GET /api/features/:clientKey', () => {
  it('serves the payload to an app client key with an ETag and answers 304 when unchanged', async () => {
    const keys = await h.services.apiKeys.list();
    const clientKey = keys.find((k) => k.role === 'app')?.clientKey as string;
    const res = await h.request().get(`/api/features/${clientKey}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('max-age');
    // QA force rules stay on the server: their customer ids are not for every SDK to read.
    expect(res.body.features['checkout.banner'].rules.map((r: { id: string }) => r.id)).toEqual([
      'exp:banner-test',
    ]);
    const rule = res.body.features['checkout.banner'].rules[0];
    expect(rule.name).toBeUndefined();
    expect(rule).toMatchObject({
      hashVersion: 2,
      hashAttribute: 'customerId',
      weights: [0.5, 0.5],
      coverage: 1,
    });
    const etag = res.headers.etag as string;
    const again = await h.request().get(`/api/features/${clientKey}`).set('if-none-match', etag);
    expect(again.status).toBe(304);
    expect((await h.request().get('/api/features/sdk-unknown')).status).toBe(404);
  });
});

describe('health and metrics', () => {
  it('documents the assignment, event and payload routes in the OpenAPI document', async () => {
    const doc = await h.request().get('/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/v1/assignments', '/v1/events', '/api/features/{clientKey}']),
    );
  });

  it('reports the journal in /readyz and exposure counters in /metrics', async () => {
    const ready = await h.request().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.journal).toMatchObject({ ok: true, bytes: 0 });
    const metrics = await h.request().get('/metrics').set(auth(h.keys.admin));
    expect(metrics.text).toMatch(/nudgelab_exposures_stored_total [1-9]/);
    expect(metrics.text).toContain('nudgelab_exposure_journal_full 0');
  });
});

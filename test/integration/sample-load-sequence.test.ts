import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/db/embedded.js';
import { syncOnFirstStart } from '../../src/domain/sync/first-start.js';
import { createLogger } from '../../src/logger.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await syncOnFirstStart(h.services, path.join(repoRoot, 'experiments'), createLogger('silent'));
  await h.services.capture.assignments.refresh();
});
afterAll(async () => {
  await h.close();
});

const TOUCHPOINT = 'mobile-onboarding.onboard.autopay';
const CUSTOMERS = 1000;

describe('the sample experiments under a burst of traffic', () => {
  it('when 1,000 new customers are assigned and convert in two batches of 500, then the refresh answers and counts them all', async () => {
    const ids = Array.from({ length: CUSTOMERS }, (_, i) => `burst-${i}`);
    for (let i = 0; i < ids.length; i += 50) {
      const answers = await Promise.all(
        ids
          .slice(i, i + 50)
          .map((customerId) =>
            h
              .request()
              .post('/v1/assignments')
              .set(auth(h.keys.app))
              .send({ customerId, touchpoint: TOUCHPOINT, channel: 'app' }),
          ),
      );
      for (const a of answers) expect(a.status).toBe(200);
    }
    await h.services.capture.exposures.flush();
    const occurredAt = new Date().toISOString();
    for (let b = 0; b < 2; b++) {
      const events = ids.slice(b * 500, b * 500 + 500).map((customerId) => ({
        eventId: `burst-paid-${customerId}`,
        customerId,
        type: 'conversion',
        name: 'payment_method_added',
        occurredAt,
      }));
      const res = await h.request().post('/v1/events').set(auth(h.keys.app)).send({ events });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(500);
    }
    const refresh = await h
      .request()
      .post('/v1/experiments/autopay-default-on/refresh')
      .set(auth(h.keys.strategist));
    expect(refresh.status).toBe(200);
    const exposures = refresh.body.counts.exposures as Record<string, number>;
    const exposed = Object.values(exposures).reduce((s, n) => s + n, 0);
    expect(exposed).toBeGreaterThan(0);
    expect(exposed).toBeLessThanOrEqual(CUSTOMERS);
    // Every exposed customer converted once, so conversions equal exposures in every arm.
    const primary = Object.values(
      refresh.body.counts.metrics as Record<
        string,
        { role: string; variants: Record<string, { n: number; conversions: number }> }
      >,
    ).find((m) => m.role === 'primary')!;
    for (const [variant, c] of Object.entries(primary.variants)) {
      expect(c.conversions, variant).toBe(exposures[variant]);
    }
    const ready = await h.request().get('/readyz');
    expect(ready.status).toBe(200);
  }, 180_000);
});

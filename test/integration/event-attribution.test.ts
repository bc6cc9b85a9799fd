import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventRepository } from '../../src/db/event.repository.js';
import { eventModel } from '../../src/db/models/event.model.js';
import { exposureModel } from '../../src/db/models/exposure.model.js';
import { EventAttributor } from '../../src/domain/events/event-attributor.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { exposure, hours, insertExperiment, storeExposures } from '../helpers/readout-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  // The tests drive attribution themselves, pass by pass.
  await h.services.capture.attribution.stop();
});
afterAll(async () => {
  h.services.capture.setOutcomeSink(h.services.outcomes);
  await h.close();
});

const post = (events: object[]) => h.request().post('/v1/events').set(auth(h.keys.app)).send({ events });
const markers = async (ids: string[]) => {
  const docs = await eventModel(h.connection)
    .find({ _id: { $in: ids } })
    .lean();
  return Object.fromEntries(docs.map((d) => [d._id, d.attribution ?? null]));
};
const applied = (eventId: string, customerId: string, h1: number) => ({
  eventId,
  customerId,
  type: 'conversion',
  name: 'applied',
  occurredAt: hours(h1).toISOString(),
});
const revenue = (eventId: string, customerId: string, h1: number, amount: number) => ({
  eventId,
  customerId,
  type: 'revenue',
  amount,
  currency: 'EUR',
  occurredAt: hours(h1).toISOString(),
});

describe('event attribution behind the response', () => {
  it('acknowledges events as pending, then attributes them and clears exactly their markers', async () => {
    const exp = await insertExperiment(h.connection, 'behind-basic');
    const ids = await storeExposures(h.connection, [
      exposure(exp, 'b1', 'treatment', hours(0)),
      exposure(exp, 'b2', 'control', hours(0)),
    ]);
    await h.services.outcomes.exposuresStored(ids);

    const res = await post([applied('bb-1', 'b1', 1), revenue('bb-2', 'b1', 2, 12)]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await markers(['bb-1', 'bb-2'])).toEqual({ 'bb-1': 'pending', 'bb-2': 'pending' });
    const before = await exposureModel(h.connection).findById(ids[0]).lean();
    expect(before?.outcomes).toEqual({});

    expect(await h.services.capture.attribution.drainOnce()).toBe(2);
    expect(await markers(['bb-1', 'bb-2'])).toEqual({ 'bb-1': null, 'bb-2': null });
    const after = await exposureModel(h.connection).findById(ids[0]).lean();
    expect(after?.outcomes.applied).toMatchObject({ at: hours(1) });
    expect(after?.outcomes.revenue).toMatchObject({ value: 12, events: 1 });
    expect(await h.services.capture.attribution.drainOnce()).toBe(0);

    const metrics = await h.request().get('/metrics').set(auth(h.keys.admin));
    expect(metrics.text).toContain('nudgelab_events_attribution_pending 0');
    expect(metrics.text).toMatch(/nudgelab_events_attributed_total [2-9]/);
  });

  it('leaves events pending when attribution fails and attributes them once on a later run', async () => {
    const exp = await insertExperiment(h.connection, 'behind-failure');
    await h.services.outcomes.exposuresStored(
      await storeExposures(h.connection, [exposure(exp, 'f1', 'treatment', hours(0))]),
    );
    const failures = h.services.capture.attribution.stats().failures;
    h.services.capture.setOutcomeSink({
      exposuresStored: () => h.services.outcomes.exposuresStored([]),
      exposuresInserted: async () => undefined,
      eventsStored: async () => {
        throw new Error('database went away');
      },
    });
    const events = [applied('bf-1', 'f1', 1), revenue('bf-2', 'f1', 2, 5), revenue('bf-3', 'f1', 3, 7)];
    expect((await post(events)).body).toMatchObject({ accepted: 3 });
    await expect(h.services.capture.attribution.drainOnce()).rejects.toThrow('database went away');
    expect(await markers(['bf-1', 'bf-2', 'bf-3'])).toEqual({
      'bf-1': 'pending',
      'bf-2': 'pending',
      'bf-3': 'pending',
    });
    expect(h.services.capture.attribution.stats()).toMatchObject({ failures: failures + 1, pending: 3 });
    // A client resend while they wait is a duplicate and adds no second event.
    expect((await post(events)).body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });

    h.services.capture.setOutcomeSink(h.services.outcomes);
    // The refresh attributes what is pending before it reads the sums.
    const snapshot = await h.services.refresh.refresh('behind-failure', 'manual');
    expect(snapshot.status).toBe('ok');
    expect(await markers(['bf-1', 'bf-2', 'bf-3'])).toEqual({ 'bf-1': null, 'bf-2': null, 'bf-3': null });
    const m = snapshot.counts!.metrics;
    expect(m.applied!.variants.treatment).toEqual({ n: 1, conversions: 1 });
    // One customer with revenue 5 + 7: sum 12, square 144; each event counted once.
    expect(m.revenue!.variants.treatment).toMatchObject({ n: 1, sum: 12, sumSquares: 144 });
  });

  it('fails the refresh and keeps the events pending while attribution fails', async () => {
    await insertExperiment(h.connection, 'behind-refresh-fails');
    h.services.capture.setOutcomeSink({
      exposuresStored: async () => undefined,
      exposuresInserted: async () => undefined,
      eventsStored: async () => {
        throw new Error('attribution down');
      },
    });
    expect((await post([applied('br-1', 'r1', 1)])).body).toMatchObject({ accepted: 1 });
    await expect(h.services.refresh.refresh('behind-refresh-fails', 'manual')).rejects.toMatchObject({
      code: 'refresh_failed',
    });
    expect(await markers(['br-1'])).toEqual({ 'br-1': 'pending' });
    h.services.capture.setOutcomeSink(h.services.outcomes);
    await h.services.capture.attribution.drain();
    expect(await markers(['br-1'])).toEqual({ 'br-1': null });
  });

  it('attributes in the background, batch by batch, until nothing is pending', async () => {
    const exp = await insertExperiment(h.connection, 'behind-loop');
    const ids = await storeExposures(h.connection, [exposure(exp, 'l1', 'treatment', hours(0))]);
    await h.services.outcomes.exposuresStored(ids);
    const amounts = [1, 2, 3, 4, 5];
    const events = amounts.map((a, i) => revenue(`bl-${i}`, 'l1', 1 + i, a));
    expect((await post(events)).body).toMatchObject({ accepted: 5 });
    const loop = new EventAttributor({
      repo: new EventRepository(h.connection),
      sink: () => h.services.outcomes,
      batchSize: 2,
      idleMs: 20,
    });
    loop.start();
    try {
      await vi.waitFor(
        async () =>
          expect(Object.values(await markers(events.map((e) => e.eventId)))).toEqual([
            null,
            null,
            null,
            null,
            null,
          ]),
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      await loop.stop();
    }
    const doc = await exposureModel(h.connection).findById(ids[0]).lean();
    expect(doc?.outcomes.revenue).toMatchObject({ value: 15, events: 5 });
  });
});

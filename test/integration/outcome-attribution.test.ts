import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATS_SHARDS } from '../../src/db/readout-stats.repository.js';
import * as recomputeJob from '../../src/jobs/recompute-readouts.job.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';

// The same behaviour whether attribution runs in the service's thread or in one of its own.
describe.each([
  { where: 'in the service thread', attributionThread: false },
  { where: 'in a thread of its own', attributionThread: true },
])('outcome attribution into the readout sums ($where)', ({ attributionThread }) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ attributionThread });
  });
  afterAll(async () => {
    await h.close();
  });

  it('counts each customer once, inside the window, first answers only, without QA or pre-exposure events', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-basics');
    const exposures = [
      exposure(exp, 'c1', 'control', hours(0)),
      exposure(exp, 'c2', 'control', hours(0)),
      exposure(exp, 'c6', 'control', hours(0)),
      exposure(exp, 'c3', 'treatment', hours(0)),
      exposure(exp, 'c4', 'treatment', hours(0), { qa: true }),
    ];
    await storeExposures(h.connection, exposures);
    // Events arrive in several batches, the later answer of c1 before the earlier one.
    const batches = [
      [
        event('c1', 'applied', hours(1)),
        event('c1', 'applied', hours(2)), // a repeat conversion counts once
        event('c1', 'csat', hours(5), 2), // a later answer, stored first
        event('c1', 'nps', hours(1), 10),
        event('c1', 'revenue', hours(1), 10),
      ],
      [
        event('c1', 'csat', hours(3), 4), // the first answer wins whatever the arrival order
        event('c1', 'revenue', hours(2), 5),
        event('c1', 'revenue', hours(30), 7), // outside the 24 h window
        event('c2', 'applied', hours(-1)), // before exposure: never counts
        event('c2', 'applied', hours(25)), // after the window
        event('c2', 'csat', hours(-1), 5), // before exposure
        event('c2', 'csat', hours(47), 3),
        event('c2', 'nps', hours(2), 6),
      ],
      [
        event('c3', 'applied', hours(23)),
        event('c3', 'nps', hours(3), 8),
        event('c3', 'csat', hours(3), 5),
        event('c4', 'applied', hours(1)), // QA customer
        event('c4', 'csat', hours(1), 1),
      ],
    ];
    for (const batch of batches) {
      await storeEvents(h.connection, batch);
      await h.services.capture.attribution.drain();
    }
    // c5's events are attributed before its exposure is (the writer batches exposures).
    await storeEvents(h.connection, [event('c5', 'applied', hours(1)), event('c5', 'revenue', hours(2), 20)]);
    await h.services.capture.attribution.drain();
    await storeExposures(h.connection, [exposure(exp, 'c5', 'treatment', hours(0))]);
    // Replays through the queue change nothing: the units remember what they counted.
    const queue = h.services.capture.queue;
    const { queuedEvent, queuedExposure } = await import('../../src/domain/attribution/queue-items.js');
    await queue.add(batches.flat().map(queuedEvent), true);
    await queue.add(
      exposures.flatMap((x) => queuedExposure(x) ?? []),
      true,
    );

    const snapshot = await h.services.refresh.refresh('attribution-basics', 'manual');
    expect(snapshot.status).toBe('ok');
    expect(snapshot.counts?.exposures).toEqual({ control: 3, treatment: 2 });
    const m = snapshot.counts!.metrics;
    expect(m.applied!.variants).toEqual({
      control: { n: 3, conversions: 1 },
      treatment: { n: 2, conversions: 2 },
    });
    // csat control: answers 4 (c1's first) and 3 (c2); variance (25 - 49/2) / 1 = 0.5.
    expect(m.csat!.variants.control).toEqual({ n: 2, sum: 7, sumSquares: 25, mean: 3.5, variance: 0.5 });
    expect(m.csat!.variants.treatment).toEqual({ n: 1, sum: 5, sumSquares: 25, mean: 5, variance: 0 });
    expect(m.nps!.variants).toEqual({
      control: { n: 2, detractors: 1, passives: 0, promoters: 1 },
      treatment: { n: 1, detractors: 0, passives: 1, promoters: 0 },
    });
    // revenue sums per exposed customer: control 15 + 0 + 0 over 3, treatment 0 + 20 over 2.
    expect(m.revenue!.variants.control).toMatchObject({ n: 3, sum: 15, sumSquares: 225, mean: 5 });
    expect(m.revenue!.variants.control!.variance).toBeCloseTo((225 - 225 / 3) / 2, 12);
    expect(m.revenue!.variants.treatment).toMatchObject({ n: 2, sum: 20, sumSquares: 400, mean: 10 });
    expect(snapshot.readout?.metrics.applied?.variants.control?.n).toBe(3);

    // The unit keeps its events and what its exposure contributed; QA units are never attributed.
    const units = await h.services.capture.units.getMany(['c1', 'c4']);
    const c1 = units.get('c1')!;
    expect(c1.ev).toHaveLength(8);
    expect(Object.fromEntries(c1.x[0]!.c.map((t) => [t.k, t.v]))).toMatchObject({
      'control|applied|conversions': 1,
      'control|csat|sum': 4,
      'control|revenue|sum': 15,
      'control|revenue|sumSquares': 225,
    });
    expect(units.get('c4')?.x ?? []).toEqual([]);
    expect((await h.services.capture.queue.backlog()).items).toBe(0);

    // A full recompute from the stored exposures and events gives the same sums.
    const before = await h.services.capture.stats.read(exp.id, 1, []);
    const result = await h.services.recompute('attribution-basics');
    expect(result.exposures).toBe(5);
    const after = await h.services.capture.stats.read(exp.id, 1, []);
    expect(after.overall.n).toEqual(before.overall.n);
    for (const [k, v] of Object.entries(before.overall.s)) expect(after.overall.s[k] ?? 0).toBeCloseTo(v, 9);
    for (const [k, v] of Object.entries(after.overall.s)) expect(before.overall.s[k] ?? 0).toBeCloseTo(v, 9);
  });

  it('keeps revenue sums and their squares exact when events of one customer arrive in many batches', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-concurrent');
    await storeExposures(h.connection, [exposure(exp, 'r1', 'treatment', hours(0))]);
    const events = [1, 2, 3, 4, 5, 6].map((v) => event('r1', 'revenue', hours(v), v));
    await Promise.all(events.map((e) => storeEvents(h.connection, [e])));
    await h.services.capture.attribution.drain();
    const sums = (await h.services.capture.stats.read(exp.id, 1, [])).overall.s;
    expect(sums['treatment|revenue|sum']).toBe(21);
    expect(sums['treatment|revenue|sumSquares']).toBe(441);
  });

  it('reads only the current phase of an experiment', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-phase', { phase: 2 });
    const old = { ...exp, phase: 1 };
    await storeExposures(h.connection, [
      exposure(old, 'p1', 'control', hours(0)),
      exposure(exp, 'p2', 'treatment', hours(0)),
    ]);
    await storeEvents(h.connection, [event('p1', 'applied', hours(1)), event('p2', 'applied', hours(1))]);
    const snapshot = await h.services.refresh.refresh('attribution-phase', 'manual');
    expect(snapshot.phase).toBe(2);
    expect(snapshot.counts?.exposures).toEqual({ control: 0, treatment: 1 });
    expect(snapshot.counts?.metrics.applied?.variants.treatment).toEqual({ n: 1, conversions: 1 });
  });

  it('attributes the events of the exposed customer to an account unit, and the account id own events too', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-account', { unit: 'accountId' });
    const x = exposure(exp, 'acct-1', 'treatment', hours(0), { unit: 'accountId', customerId: 'emp-1' });
    // The employee's conversion is attributed before the exposure (late exposure).
    await storeEvents(h.connection, [event('emp-1', 'applied', hours(1))]);
    await h.services.capture.attribution.drain();
    await storeExposures(h.connection, [x]);
    await storeEvents(h.connection, [
      event('acct-1', 'csat', hours(2), 4),
      event('emp-1', 'revenue', hours(3), 9),
    ]);
    const snapshot = await h.services.refresh.refresh('attribution-account', 'manual');
    const m = snapshot.counts!.metrics;
    expect(m.applied!.variants.treatment).toEqual({ n: 1, conversions: 1 });
    expect(m.csat!.variants.treatment).toMatchObject({ n: 1, sum: 4 });
    expect(m.revenue!.variants.treatment).toMatchObject({ n: 1, sum: 9 });
    const units = await h.services.capture.units.getMany(['emp-1']);
    expect(units.get('emp-1')?.l).toEqual(['acct-1']);
  });

  it('spreads a busy experiment over counter shards and sums them on read', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-shards');
    for (let b = 0; b < STATS_SHARDS + 2; b++) {
      await storeExposures(h.connection, [exposure(exp, `s${b}`, b % 2 ? 'treatment' : 'control', hours(0))]);
      await h.services.capture.attribution.drain();
    }
    const docs = await h.services.capture.stats.stats.find({ e: exp.id }).toArray();
    expect(docs.length).toBeGreaterThan(1);
    expect(docs.length).toBeLessThanOrEqual(STATS_SHARDS);
    const read = await h.services.capture.stats.read(exp.id, 1, []);
    expect(read.overall.n).toEqual({ control: 3, treatment: 3 });
  });

  it('when a strategist asks for a recompute or the daily job runs, then the sums are rebuilt from the stored data', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-recompute');
    await storeExposures(h.connection, [
      exposure(exp, 'q1', 'control', hours(0)),
      exposure(exp, 'q2', 'treatment', hours(0)),
    ]);
    await storeEvents(h.connection, [event('q2', 'applied', hours(1))]);
    await h.services.capture.attribution.drain();
    // Counters damaged behind the service's back (a bad restore, a bug): a recompute repairs them.
    await h.services.capture.stats.stats.deleteMany({ e: exp.id });
    const res = await h
      .request()
      .post('/v1/experiments/attribution-recompute/recompute')
      .set(auth(h.keys.strategist));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ exposures: 2, events: 1 });
    const viewer = await h
      .request()
      .post('/v1/experiments/attribution-recompute/recompute')
      .set(auth(h.keys.viewer));
    expect(viewer.status).toBe(403);
    expect((await h.services.capture.stats.read(exp.id, 1, [])).overall.n).toEqual({
      control: 1,
      treatment: 1,
    });
    await h.services.capture.stats.stats.deleteMany({ e: exp.id });
    const result = await recomputeJob.run({
      experiments: h.services.experiments,
      recompute: (k) => h.services.recompute(k),
    });
    expect(result.recomputed).toContain('attribution-recompute');
    const sums = await h.services.capture.stats.read(exp.id, 1, []);
    expect(sums.overall.s['treatment|applied|conversions']).toBe(1);
  });

  it('when a metric definition changes while running, then the next refresh recomputes with the new one', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-redefined');
    await storeExposures(h.connection, [exposure(exp, 'w1', 'treatment', hours(0))]);
    // Converts after 30 hours: outside the 24 h window, inside a 48 h one.
    await storeEvents(h.connection, [event('w1', 'applied', hours(30))]);
    const first = await h.services.refresh.refresh('attribution-redefined', 'manual');
    expect(first.counts?.metrics.applied?.variants.treatment).toEqual({ n: 1, conversions: 0 });
    const repo = h.services.experiments.repo;
    const stored = (await repo.getByKey('attribution-redefined'))!;
    const changed = await repo.replace(
      {
        ...stored,
        version: stored.version + 1,
        metrics: stored.metrics.map((m) => (m.key === 'applied' ? { ...m, windowHours: 48 } : m)),
      },
      stored.version,
    );
    expect(changed).toBe(true);
    // The attribution's definitions cache is short-lived; the refresh reads the experiment itself.
    const second = await h.services.refresh.refresh('attribution-redefined', 'manual');
    expect(second.counts?.metrics.applied?.variants.treatment).toEqual({ n: 1, conversions: 1 });
  });
});

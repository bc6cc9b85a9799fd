import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureModel } from '../../src/db/models/exposure.model.js';
import { OutcomeRepository } from '../../src/db/outcome.repository.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe('outcome attribution and the readout pipeline', () => {
  it('counts each customer once, inside the window, first answers only, without QA or pre-exposure events', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-basics');
    const exposures = [
      exposure(exp, 'c1', 'control', hours(0)),
      exposure(exp, 'c2', 'control', hours(0)),
      exposure(exp, 'c6', 'control', hours(0)),
      exposure(exp, 'c3', 'treatment', hours(0)),
      exposure(exp, 'c4', 'treatment', hours(0), { qa: true }),
    ];
    await h.services.outcomes.exposuresStored(await storeExposures(h.connection, exposures));
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
    for (const batch of batches)
      await h.services.outcomes.eventsStored(await storeEvents(h.connection, batch));
    // c5's event is stored before its exposure document exists (the writer batches exposures).
    const early = [event('c5', 'applied', hours(1)), event('c5', 'revenue', hours(2), 20)];
    await h.services.outcomes.eventsStored(await storeEvents(h.connection, early));
    await h.services.outcomes.exposuresStored(
      await storeExposures(h.connection, [exposure(exp, 'c5', 'treatment', hours(0))]),
    );
    // Replays change nothing.
    await h.services.outcomes.eventsStored(batches.flat().map((e) => e._id));
    await h.services.outcomes.exposuresStored(exposures.map((x) => x._id));

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
    // The readout is the stats engine's view of exactly these counts.
    expect(snapshot.readout?.metrics.applied?.variants.control?.n).toBe(3);

    // The $group pipelines (MongoDB's path) and the streamed pass (FerretDB's) agree exactly.
    const repo = new OutcomeRepository(h.connection);
    const streamed = await repo.streamSums(exp.id, 1, []);
    const piped = await repo.tallySums(exp.id, 1);
    expect(Object.fromEntries(piped)).toEqual(Object.fromEntries(streamed.overall.sums));
    expect(piped.get('control|csat|sumSquares')).toBe(25);
    expect(Object.fromEntries(await repo.exposureCounts(exp.id, 1))).toEqual({ control: 3, treatment: 2 });
    expect(Object.fromEntries(streamed.overall.exposures)).toEqual({ control: 3, treatment: 2 });

    const c1 = await exposureModel(h.connection).findById(exposures[0]!._id).lean();
    expect(c1?.outcomes.csat).toMatchObject({ value: 4, at: hours(3) });
    expect(c1?.outcomes.revenue).toMatchObject({ value: 15, events: 2 });
    const qa = await exposureModel(h.connection).findById(exposures[4]!._id).lean();
    expect(qa?.tally).toEqual([]);
  });

  it('keeps revenue sums and their squares exact when events of one customer are stored concurrently', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-concurrent');
    await h.services.outcomes.exposuresStored(
      await storeExposures(h.connection, [exposure(exp, 'r1', 'treatment', hours(0))]),
    );
    const events = [1, 2, 3, 4, 5, 6].map((v) => event('r1', 'revenue', hours(v), v));
    const ids = await storeEvents(h.connection, events);
    await Promise.all(ids.map((id) => h.services.outcomes.eventsStored([id])));
    const sums = await new OutcomeRepository(h.connection).tallySums(exp.id, 1);
    expect(sums.get('treatment|revenue|sum')).toBe(21);
    expect(sums.get('treatment|revenue|sumSquares')).toBe(441);
  });

  it('reads only the current phase of an experiment', async () => {
    const exp = await insertExperiment(h.connection, 'attribution-phase', { phase: 2 });
    const old = { ...exp, phase: 1 };
    const docs = [exposure(old, 'p1', 'control', hours(0)), exposure(exp, 'p2', 'treatment', hours(0))];
    await h.services.outcomes.exposuresStored(await storeExposures(h.connection, docs));
    const ids = await storeEvents(h.connection, [
      event('p1', 'applied', hours(1)),
      event('p2', 'applied', hours(1)),
    ]);
    await h.services.outcomes.eventsStored(ids);
    const snapshot = await h.services.refresh.refresh('attribution-phase', 'manual');
    expect(snapshot.phase).toBe(2);
    expect(snapshot.counts?.exposures).toEqual({ control: 0, treatment: 1 });
    expect(snapshot.counts?.metrics.applied?.variants.treatment).toEqual({ n: 1, conversions: 1 });
  });
});

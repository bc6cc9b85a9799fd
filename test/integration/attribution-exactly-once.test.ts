import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefinitionRepository } from '../../src/db/definition.repository.js';
import { LeaseRepository } from '../../src/db/lease.repository.js';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import { Attributor } from '../../src/domain/attribution/attributor.js';
import { cachedMetricsLookup, metricsFingerprint } from '../../src/domain/attribution/metrics-lookup.js';
import { queuedEvent } from '../../src/domain/attribution/queue-items.js';
import { recomputePhase } from '../../src/domain/attribution/recompute.js';
import type { Experiment } from '../../src/domain/schemas/experiment.schema.js';
import { createHarness, type Harness } from '../helpers/harness.js';
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
beforeAll(async () => {
  h = await createHarness();
  // These tests run their own attributors, some of which "crash".
  await h.services.capture.attribution.stop();
});
afterAll(async () => {
  await h.close();
});

const rng = seededRandom;

const ATTRIBUTES = ['segment'];

function attributor(opts: { crash?: () => boolean; leaseMs?: number } = {}): Attributor {
  const c = h.services.capture;
  return new Attributor({
    queue: c.queue,
    units: c.units,
    stats: c.stats,
    leases: new LeaseRepository(h.connection),
    storedEventIds: (ids) => c.eventRepo.storedIds(ids),
    metricsOf: cachedMetricsLookup(() =>
      new DefinitionRepository<Experiment>(h.connection, 'experiment').list(),
    ),
    attributes: ATTRIBUTES,
    batchItems: 40,
    leaseMs: opts.leaseMs ?? 300,
    ...(opts.crash
      ? {
          fault: (step: string) => {
            if (opts.crash?.()) throw new Error(`crashed after ${step}`);
          },
        }
      : {}),
  });
}

/** Works the queue to empty with attributors that die at random points; each death is a new process. */
async function drainThroughCrashes(random: () => number, crashRate: number): Promise<number> {
  let crashes = 0;
  let current = attributor({ crash: () => random() < crashRate });
  for (let round = 0; round < 2000; round++) {
    if ((await h.services.capture.queue.backlog()).entries === 0) {
      // A crash after the queue step leaves only the record; the next holder replays it.
      if ((await h.services.capture.stats.pendingBatches()).length === 0) {
        await current.stop();
        return crashes;
      }
    }
    try {
      await current.drainOnce();
    } catch {
      crashes++;
      // The dead process never releases its lease: the next one waits for it to expire.
      await new Promise((r) => setTimeout(r, 320));
      current = attributor({ crash: () => random() < crashRate });
    }
  }
  throw new Error('the queue did not drain');
}

interface World {
  exp: Experiment;
  exposures: ExposureDoc[];
  events: EventDoc[];
}

/** Customers with exposures (some late, some QA) and events (some duplicated, some outside windows). */
function world(exp: Experiment, random: () => number, customers: number): World {
  const exposures: ExposureDoc[] = [];
  const events: EventDoc[] = [];
  for (let i = 0; i < customers; i++) {
    const id = `${exp.key}-k${i}`;
    const at = hours(Math.floor(random() * 48));
    const variant = random() < 0.5 ? 'control' : 'treatment';
    const segment = ['new', 'loyal', 'vip'][Math.floor(random() * 3)]!;
    exposures.push(exposure(exp, id, variant, at, { attributes: { segment }, qa: random() < 0.03 }));
    const n = Math.floor(random() * 5);
    for (let k = 0; k < n; k++) {
      const t = new Date(at.getTime() + (random() * 80 - 10) * 3_600_000);
      const kind = ['applied', 'csat', 'nps', 'revenue'][Math.floor(random() * 4)]!;
      const value =
        kind === 'csat'
          ? 1 + Math.floor(random() * 5)
          : kind === 'nps'
            ? Math.floor(random() * 11)
            : kind === 'revenue'
              ? Math.round(random() * 10000) / 100
              : undefined;
      events.push(event(id, kind, t, value));
    }
  }
  return { exp, exposures, events };
}

/** Stores the world in a shuffled order of small batches, resending some events. */
async function store(w: World, random: () => number): Promise<void> {
  const items: ({ x: ExposureDoc } | { e: EventDoc })[] = [
    ...w.exposures.map((x) => ({ x })),
    ...w.events.map((e) => ({ e })),
  ];
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  for (let i = 0; i < items.length; ) {
    const size = 1 + Math.floor(random() * 25);
    const slice = items.slice(i, i + size);
    i += size;
    const xs = slice.flatMap((s) => ('x' in s ? [s.x] : []));
    const es = slice.flatMap((s) => ('e' in s ? [s.e] : []));
    if (xs.length > 0) await storeExposures(h.connection, xs);
    if (es.length > 0) await storeEvents(h.connection, es);
    // A client that resends a batch whose answer it lost: queued again, stored already.
    if (es.length > 0 && random() < 0.2) await h.services.capture.queue.add(es.map(queuedEvent), true);
  }
}

/** Conversions per variant computed directly from the definitions: any `applied` event in 24 h. */
function expectedConversions(w: World): Record<string, number> {
  const out: Record<string, number> = { control: 0, treatment: 0 };
  for (const x of w.exposures) {
    if (x.qa) continue;
    const start = x.exposedAt.getTime();
    const converted = w.events.some(
      (e) =>
        e.customerId === x.customerId &&
        e.name === 'applied' &&
        e.occurredAt.getTime() >= start &&
        e.occurredAt.getTime() <= start + 24 * 3_600_000,
    );
    if (converted) out[x.variant]! += 1;
  }
  return out;
}

function exposed(w: World): Record<string, number> {
  const out: Record<string, number> = { control: 0, treatment: 0 };
  for (const x of w.exposures) if (!x.qa) out[x.variant]! += 1;
  return out;
}

async function expectRecomputeAgrees(exp: Experiment): Promise<void> {
  const c = h.services.capture;
  const incremental = await c.stats.read(exp.id, exp.phase, ATTRIBUTES);
  await recomputePhase(
    {
      exposures: c.exposureRepo,
      events: c.eventRepo,
      units: c.units,
      stats: c.stats,
      attributor: attributor(),
      attributes: ATTRIBUTES,
    },
    { id: exp.id, phase: exp.phase, metrics: exp.metrics, defs: metricsFingerprint(exp.metrics) },
  );
  const full = await c.stats.read(exp.id, exp.phase, ATTRIBUTES);
  expect(incremental.overall.n).toEqual(full.overall.n);
  const keys = new Set([...Object.keys(incremental.overall.s), ...Object.keys(full.overall.s)]);
  for (const k of keys) expect(incremental.overall.s[k] ?? 0, k).toBeCloseTo(full.overall.s[k] ?? 0, 6);
  const inc = incremental.segments.get('segment')!;
  const rec = full.segments.get('segment')!;
  expect([...inc.keys()].sort()).toEqual([...rec.keys()].sort());
  for (const [value, sums] of rec) {
    expect(inc.get(value)?.n, value).toEqual(sums.n);
    for (const [k, v] of Object.entries(sums.s))
      expect(inc.get(value)?.s[k] ?? 0, `${value} ${k}`).toBeCloseTo(v, 6);
  }
}

describe('attribution exactly once', () => {
  it('when attributors crash at every step of their batches, then every increment still lands once and equals a recompute', async () => {
    const random = rng(7);
    const exp = await insertExperiment(h.connection, 'exactly-once-crashes');
    const w = world(exp, random, 150);
    await store(w, random);
    const crashes = await drainThroughCrashes(random, 0.15);
    expect(crashes).toBeGreaterThan(3);
    const sums = await h.services.capture.stats.read(exp.id, 1, ATTRIBUTES);
    expect(sums.overall.n).toEqual(exposed(w));
    expect({
      control: sums.overall.s['control|applied|conversions'] ?? 0,
      treatment: sums.overall.s['treatment|applied|conversions'] ?? 0,
    }).toEqual(expectedConversions(w));
    await expectRecomputeAgrees(exp);
  }, 180_000);

  it('when two instances attribute at once, then one holds the lease and nothing is counted twice', async () => {
    const random = rng(11);
    const exp = await insertExperiment(h.connection, 'exactly-once-two');
    const w = world(exp, random, 120);
    await store(w, random);
    const a = attributor({ leaseMs: 30_000 });
    const b = attributor({ leaseMs: 30_000 });
    try {
      await Promise.all([a.drain(), b.drain()]);
      expect([a.stats().holder, b.stats().holder].filter(Boolean)).toHaveLength(1);
      expect(a.stats().batches + b.stats().batches).toBeGreaterThan(1);
      expect(Math.min(a.stats().batches, b.stats().batches)).toBe(0);
      const sums = await h.services.capture.stats.read(exp.id, 1, ATTRIBUTES);
      expect(sums.overall.n).toEqual(exposed(w));
    } finally {
      await a.stop();
      await b.stop();
    }
    await expectRecomputeAgrees(exp);
  }, 180_000);

  it('when an events writer dies between queueing and storing, then only the events it stored are attributed', async () => {
    const exp = await insertExperiment(h.connection, 'exactly-once-unready');
    await storeExposures(h.connection, [exposure(exp, 'u1', 'treatment', hours(0))]);
    const stored = event('u1', 'applied', hours(1));
    const never = event('u1', 'revenue', hours(2), 50);
    const q = h.services.capture.queue;
    // Queued unready (the first step of capture), then the process died after storing one event.
    await q.add([queuedEvent(stored), queuedEvent(never)], false, new Date(Date.now() - 120_000));
    await h.services.capture.eventRepo.insertDurable([stored]);
    const worker = attributor({ leaseMs: 30_000 });
    try {
      await worker.drain();
    } finally {
      await worker.stop();
    }
    const sums = (await h.services.capture.stats.read(exp.id, 1, [])).overall.s;
    expect(sums['treatment|applied|conversions']).toBe(1);
    expect(sums['treatment|revenue|sum'] ?? 0).toBe(0);
    expect((await q.backlog()).entries).toBe(0);
  });
});

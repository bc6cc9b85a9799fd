import { readdirSync, readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeaseRepository } from '../../src/db/lease.repository.js';
import { readExposure } from '../../src/db/models/exposure.model.js';
import { ATTRIBUTION_LEASE } from '../../src/domain/attribution/attributor.js';
import { DomainError } from '../../src/domain/errors.js';
import type { AttributionThreadData } from '../../src/threads/attribution.protocol.js';
import { AttributionThread } from '../../src/threads/attribution-thread.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';

interface LogLine {
  level: number;
  msg: string;
  thread?: string;
}

let h: Harness;
let leases: LeaseRepository;
const started: AttributionThread[] = [];

beforeAll(async () => {
  h = await createHarness();
  // The harness's own attributor gives the lease up: each test's thread is the only one working.
  await h.services.capture.attribution.stop();
  leases = new LeaseRepository(h.connection);
});
afterEach(async () => {
  for (const t of started.splice(0)) await t.stop();
});
afterAll(async () => {
  await h.close();
});

function thread(data: Partial<AttributionThreadData> = {}, lines: LogLine[] = [], workers: Worker[] = []) {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const t = new AttributionThread({
    data: { uri: h.uri, attributes: [], gatherMs: 0, idleMs: 20, exposureLayout: 'packed', ...data },
    logger,
    restartMs: 50,
    onThread: (w) => void workers.push(w),
  });
  started.push(t);
  return t;
}

/** The niceness of each thread of this process (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended while being read
    }
  }
  return out;
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('attribution in a thread of its own', () => {
  it('when the composition is given the database URI, then attribution runs in a thread', async () => {
    const threaded = await createHarness({ attributionThread: true });
    try {
      expect(threaded.services.capture.attribution).toBeInstanceOf(AttributionThread);
      expect(h.services.capture.attribution).not.toBeInstanceOf(AttributionThread);
    } finally {
      await threaded.close();
    }
  });

  it('when started with a niceness, then that thread alone runs at it and the event loop keeps its priority', async () => {
    const before = [...threadNiceness().values()].filter((n) => n === 7).length;
    thread({ nice: 7 }).start();
    await until(
      () => [...threadNiceness().values()].filter((n) => n === 7).length === before + 1,
      'a thread at nice 7',
    );
    expect(threadNiceness().get(process.pid)).toBe(0);
  });

  it('when the thread dies mid-run, then another starts and every exposure and event counts exactly once', async () => {
    const exp = await insertExperiment(h.connection, 'thread-crash');
    const n = 400;
    const ids = Array.from({ length: n }, (_, i) => `tc${i}`);
    const variantOf = (i: number) => (i % 2 ? 'treatment' : 'control');
    // Every third customer converts; every fifth spends i pounds (sum and squares known exactly).
    const converters = ids.filter((_, i) => i % 3 === 0);
    const spenders = ids.map((c, i) => ({ c, i })).filter(({ i }) => i % 5 === 0);
    // The last 20 customers arrive after the crash, so the next thread must take the lease over.
    const early = 380;
    const store = async (from: number, to: number) => {
      for (let i = from; i < to; i += 20) {
        const chunk = ids.slice(i, Math.min(to, i + 20));
        await storeExposures(
          h.connection,
          chunk.map((c) => exposure(exp, c, variantOf(ids.indexOf(c)), hours(0))),
        );
      }
      await storeEvents(h.connection, [
        ...converters
          .filter((c) => ids.indexOf(c) >= from && ids.indexOf(c) < to)
          .map((c) => event(c, 'applied', hours(1))),
        ...spenders
          .filter(({ i }) => i >= from && i < to)
          .map(({ c, i }) => event(c, 'revenue', hours(2), i)),
      ]);
    };
    await store(0, early);
    const lines: LogLine[] = [];
    const workers: Worker[] = [];
    const t = thread({ batchItems: 40, leaseMs: 3000 }, lines, workers);
    t.start();
    await until(() => t.stats().batches >= 2, 'two batches');
    const before = t.stats();
    // Ended the way a crash ends it: wherever it is in a batch.
    await workers[0]?.terminate();
    await until(() => workers.length >= 2, 'a second thread');
    await store(early, n);
    await t.drain(60_000);
    const after = t.stats();
    expect(after.attributedExposures).toBeGreaterThanOrEqual(before.attributedExposures);
    expect(after.batches).toBeGreaterThan(before.batches);
    expect(lines.some((l) => l.msg === 'attribution thread exited; starting another')).toBe(true);

    const read = await h.services.capture.stats.read(exp.id, 1, []);
    expect(read.overall.n).toEqual({ control: n / 2, treatment: n / 2 });
    const s = read.overall.s;
    const convertedIn = (v: string) => ids.filter((_, i) => i % 3 === 0 && variantOf(i) === v).length;
    expect(s['control|applied|conversions']).toBe(convertedIn('control'));
    expect(s['treatment|applied|conversions']).toBe(convertedIn('treatment'));
    const spent = (v: string) => spenders.filter(({ i }) => variantOf(i) === v).map(({ i }) => i);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(s['control|revenue|sum']).toBe(sum(spent('control')));
    expect(s['treatment|revenue|sum']).toBe(sum(spent('treatment')));
    expect(s['control|revenue|sumSquares']).toBe(sum(spent('control').map((x) => x * x)));
    expect((await h.services.capture.queue.backlog()).items).toBe(0);
  });

  it('when given exposures, then it queues and stores them on its own connection, once each however often', async () => {
    const exp = await insertExperiment(h.connection, 'thread-save');
    const docs = Array.from({ length: 30 }, (_, i) =>
      exposure(exp, `ts${i}`, i % 3 ? 'treatment' : 'control', hours(0)),
    );
    const qa = exposure(exp, 'ts-qa', 'treatment', hours(0), { qa: true });
    const t = thread();
    t.start();
    await t.saveExposures([...docs, qa]);
    // A batch saved again (a replayed journal) changes nothing.
    await t.saveExposures(docs.slice(0, 10));
    await t.drain(60_000);
    const stored = await h.connection
      .collection('exposures')
      .find({ experimentId: exp.id } as never)
      .toArray();
    expect(stored).toHaveLength(31);
    const first = stored.find((d) => d._id === (docs[0]?._id as never));
    // Written in the layout the thread was given, and read back whole.
    expect(typeof first?.d).toBe('string');
    expect(first?.variant).toBeUndefined();
    expect(readExposure(first as never)).toEqual(docs[0]);
    const read = await h.services.capture.stats.read(exp.id, 1, []);
    // The QA exposure is stored, never attributed.
    expect(read.overall.n).toEqual({ control: 10, treatment: 20 });
  });

  it('when the database refuses exposures, then saving them fails and the thread goes on', async () => {
    const t = thread();
    t.start();
    const bad = { ...exposure({ id: 'exp_x', key: 'x', phase: 1 }, 'c', 'v', hours(0)), _id: { $bad: 1 } };
    await expect(t.saveExposures([bad as never])).rejects.toThrow();
    expect(await t.drainOnce()).toBeGreaterThanOrEqual(0);
  });

  it('when another instance holds the lease, then an exclusive run fails with attribution_busy and runs nothing', async () => {
    const epoch = await leases.claim(ATTRIBUTION_LEASE, 'another-instance', 60_000);
    expect(epoch).not.toBeNull();
    let ran = 0;
    try {
      const t = thread();
      const failed = await t
        .exclusive(async () => {
          ran++;
        })
        .catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(DomainError);
      expect((failed as DomainError).code).toBe('attribution_busy');
      expect(ran).toBe(0);
    } finally {
      await leases.release(ATTRIBUTION_LEASE, epoch!);
    }
  });

  it("when the service's part of an exclusive run fails, then its error comes back and the queue is worked again", async () => {
    const exp = await insertExperiment(h.connection, 'thread-exclusive');
    const t = thread();
    const seqs: number[] = [];
    const failed = await t
      .exclusive(async (seq) => {
        seqs.push(seq);
        throw new Error('rebuild failed');
      })
      .catch((err: unknown) => err);
    expect((failed as Error).message).toBe('rebuild failed');
    expect(seqs).toHaveLength(1);
    expect(seqs[0]).toBeGreaterThan(0);
    // A part that throws before it returns a promise fails the same way, and the service goes on.
    const thrown = await t
      .exclusive((() => {
        throw new Error('thrown at once');
      }) as unknown as () => Promise<void>)
      .catch((err: unknown) => err);
    expect((thrown as Error).message).toBe('thrown at once');
    // The value an exclusive run returns is the service's own.
    expect(await t.exclusive(async (seq) => ({ seq }))).toEqual({ seq: expect.any(Number) });
    await storeExposures(h.connection, [exposure(exp, 'te1', 'treatment', hours(0))]);
    await t.drain();
    expect((await h.services.capture.stats.read(exp.id, 1, [])).overall.n).toEqual({ treatment: 1 });
  });

  it('when stopped, then the lease is given up at once for another instance', async () => {
    const t = thread();
    t.start();
    await t.drain();
    expect(t.stats().holder).toBe(true);
    await t.stop();
    const epoch = await leases.claim(ATTRIBUTION_LEASE, 'next-instance', 1000);
    expect(epoch).not.toBeNull();
    await leases.release(ATTRIBUTION_LEASE, epoch!);
  });

  it('when the thread cannot reach the database, then the service log says why and a request fails instead of waiting', async () => {
    const lines: LogLine[] = [];
    const t = thread({ uri: 'mongodb://127.0.0.1:1/unreachable' }, lines);
    const failed = await t.drain().catch((err: unknown) => err);
    expect((failed as Error).message).toMatch(/attribution thread exited \(1\)/);
    const line = lines.find((l) => l.msg === 'attribution thread could not start');
    expect(line?.thread).toBe('attribution');
    expect(line?.level).toBe(50);
  });
});

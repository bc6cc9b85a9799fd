import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExposureDoc } from '../../../src/db/exposure.repository.js';
import { ExposureJournal } from '../../../src/domain/assignment/exposure-journal.js';
import type { ExposureLog } from '../../../src/domain/assignment/exposure-log.js';
import { ExposureWriter } from '../../../src/domain/assignment/exposure-writer.js';
import { saveExposures } from '../../../src/domain/attribution/save-exposures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function doc(unitId: string, qa = false): ExposureDoc {
  return {
    _id: `exp_1|1|${unitId}`,
    experiment: 'e',
    experimentId: 'exp_1',
    phase: 1,
    variant: 'treatment',
    unit: 'customerId',
    unitId,
    customerId: unitId,
    touchpoint: 't',
    channel: 'web',
    exposedAt: new Date('2026-01-01T00:00:00Z'),
    attributes: {},
    qa,
  };
}

/** A writer over an in-memory store that already holds `stored` ids, recording what is queued for attribution. */
function setup(stored: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'writer-test-'));
  dirs.push(dir);
  const held = new Set(stored);
  const order: string[] = [];
  const queued: string[] = [];
  const writer = new ExposureWriter({
    save: (docs) =>
      saveExposures(
        {
          queue: {
            async add(items) {
              order.push('queue');
              queued.push(...items.map((i) => i.id));
            },
          },
          exposures: {
            async insertIgnoringDuplicates(batch) {
              order.push('insert');
              const skipped = new Set<number>();
              batch.forEach((d, i) => {
                if (held.has(d._id)) skipped.add(i);
                held.add(d._id);
              });
              return skipped;
            },
          },
          wake: () => order.push('wake'),
        },
        docs,
      ),
    journal: new ExposureJournal(dir, 1_000_000, 'exposures.test'),
    logger: pino({ level: 'silent' }),
    ping: async () => true,
    flushMs: 60_000,
  });
  return { writer, queued, order, held };
}

describe('exposure writer', () => {
  it('queues every exposure of a batch for attribution before storing it, stored earlier or not', async () => {
    const { writer, queued, order, held } = setup(['exp_1|1|b']);
    for (const id of ['a', 'b', 'c']) writer.enqueue(doc(id));
    await writer.close();
    // Attribution ignores an exposure it has seen, so queueing a stored one again is harmless,
    // while storing before queueing could lose one to a crash in between.
    expect(queued).toEqual(['exp_1|1|a', 'exp_1|1|b', 'exp_1|1|c']);
    expect(order).toEqual(['queue', 'wake', 'insert']);
    expect([...held].sort()).toEqual(['exp_1|1|a', 'exp_1|1|b', 'exp_1|1|c']);
    expect(writer.stats()).toMatchObject({ enqueued: 3, stored: 3, buffered: 0 });
  });

  it('stores a QA exposure without queueing it for attribution', async () => {
    const { writer, queued, held } = setup([]);
    writer.enqueue({ ...doc('qa'), qa: true });
    writer.enqueue(doc('a'));
    await writer.close();
    expect(queued).toEqual(['exp_1|1|a']);
    expect([...held].sort()).toEqual(['exp_1|1|a', 'exp_1|1|qa']);
  });

  it('queues a re-exposure of the same unit only once', async () => {
    const { writer, queued } = setup([]);
    writer.enqueue(doc('a'));
    writer.enqueue(doc('a'));
    await writer.close();
    expect(queued).toEqual(['exp_1|1|a']);
    expect(writer.stats().enqueued).toBe(1);
  });

  it("logs an answer's exposures in one append and resolves once they, and repeats still being synced, are on disk", async () => {
    const { writer, appends, finish } = loggedWriter();
    let first = false;
    let second = false;
    void writer.enqueueAll([doc('a'), doc('b'), doc('c')]).then(() => (first = true));
    // b is being synced by the first append: the second answer waits for it and logs only d.
    void writer.enqueueAll([doc('b'), doc('d')]).then(() => (second = true));
    expect(appends.map((a) => a.lines.map((l) => JSON.parse(l).unitId))).toEqual([['a', 'b', 'c'], ['d']]);
    finish(1);
    await new Promise((r) => setImmediate(r));
    expect([first, second]).toEqual([false, false]);
    finish(0);
    await new Promise((r) => setImmediate(r));
    expect([first, second]).toEqual([true, true]);
    // All four are synced now: a repeat resolves at once, with no append.
    await writer.enqueueAll([doc('a'), doc('d')]);
    expect(appends).toHaveLength(2);
    expect(writer.stats().enqueued).toBe(4);
  });

  it('refuses an answer whose exposures were not logged, and one that repeats them while they fail', async () => {
    const { writer, finish } = loggedWriter();
    const first = writer.enqueueAll([doc('a'), doc('b')]);
    const repeat = writer.enqueueAll([doc('b')]);
    finish(0, new Error('disk gone'));
    await expect(first).rejects.toThrow('disk gone');
    await expect(repeat).rejects.toThrow('disk gone');
  });

  it('writes what was buffered when a drain began, leaving later arrivals to the next flush', async () => {
    const { writer, inserts, stored, release } = gatedWriter();
    writer.enqueue(doc('a'));
    const first = writer.flush();
    await new Promise((r) => setImmediate(r));
    // Arrivals while the first insert runs.
    writer.enqueue(doc('b'));
    writer.enqueue(doc('c'));
    release();
    await first;
    // The drain did not chase b and c: one insert per flush, not one per round trip.
    expect(inserts).toEqual([['a']]);
    expect(stored).toEqual(['a']);
    expect(writer.stats()).toMatchObject({ buffered: 2, stored: 1 });
    await writer.flush();
    expect(inserts).toEqual([['a'], ['b', 'c']]);
    expect(writer.stats()).toMatchObject({ buffered: 0, stored: 3 });
    await writer.close();
  });

  it('a flush asked for while a drain runs resolves only once what was buffered before it is stored', async () => {
    const { writer, inserts, stored, release } = gatedWriter();
    writer.enqueue(doc('a'));
    void writer.flush();
    await new Promise((r) => setImmediate(r));
    writer.enqueue(doc('b'));
    const second = writer.flush();
    const third = writer.flush();
    release();
    await second;
    expect(stored).toEqual(['a', 'b']);
    await third;
    // Both callers shared one follow-up drain.
    expect(inserts).toHaveLength(2);
    await writer.close();
  });
});

/** A writer whose first insert waits until `release()`; later inserts store at once. */
function gatedWriter() {
  const dir = mkdtempSync(path.join(tmpdir(), 'writer-test-'));
  dirs.push(dir);
  const inserts: string[][] = [];
  const stored: string[] = [];
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  const writer = new ExposureWriter({
    async save(docs) {
      inserts.push(docs.map((d) => d.unitId));
      if (inserts.length === 1) await gate;
      stored.push(...docs.map((d) => d.unitId));
    },
    journal: new ExposureJournal(dir, 1_000_000, 'exposures.test'),
    logger: pino({ level: 'silent' }),
    ping: async () => true,
    flushMs: 60_000,
  });
  return { writer, inserts, stored, release: () => open() };
}

/** A writer with a log whose appends are recorded and settle only when the test says (`finish(i)`). */
function loggedWriter() {
  const dir = mkdtempSync(path.join(tmpdir(), 'writer-test-'));
  dirs.push(dir);
  const appends: { lines: readonly string[]; resolve: () => void; reject: (err: Error) => void }[] = [];
  const log = {
    append: (lines: readonly string[]) =>
      new Promise<void>((resolve, reject) => appends.push({ lines, resolve, reject })),
    leftovers: () => [],
    seal: () => null,
    stats: () => ({ appended: 0, syncs: 0, failures: 0, slowWrites: 0, zeroBytes: 0 }),
  } as unknown as ExposureLog;
  const writer = new ExposureWriter({
    save: async () => undefined,
    journal: new ExposureJournal(dir, 1_000_000, 'exposures.test'),
    log,
    logger: pino({ level: 'silent' }),
    ping: async () => true,
    flushMs: 60_000,
  });
  const finish = (i: number, err?: Error) => {
    const a = appends[i];
    if (err) a?.reject(err);
    else a?.resolve();
  };
  return { writer, appends, finish };
}

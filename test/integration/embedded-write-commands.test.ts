import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * Multi-statement write commands of the sizes the service sends (up to 500 statements). The
 * embedded server's SQLite pool holds 100 connections; an `update` command used to keep one per
 * statement until it returned, so more than about 100 statements never answered and stalled the
 * whole server. These tests would then hang past their timeout.
 */
let h: Harness;
let db: NonNullable<Harness['connection']['db']>;
beforeAll(async () => {
  h = await createHarness();
  db = h.connection.db!;
});
afterAll(async () => {
  await h.close();
});

interface Counter {
  _id: string;
  n: number;
  rev: number;
}

const ids = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

async function seed(name: string, count: number) {
  const coll = db.collection<Counter>(name);
  await coll.insertMany(ids(name, count).map((_id) => ({ _id, n: 0, rev: 0 })));
  return coll;
}

describe('multi-statement writes on the embedded server', () => {
  it.each([500, 1000])(
    'when a bulkWrite holds %i updateOne({_id}), then it answers and every document is updated',
    async (count) => {
      const coll = await seed(`bulk${count}`, count);
      const res = await coll.bulkWrite(
        ids(`bulk${count}`, count).map((_id) => ({
          updateOne: { filter: { _id }, update: { $inc: { n: 1 } } },
        })),
      );
      expect(res.matchedCount).toBe(count);
      expect(res.modifiedCount).toBe(count);
      expect(await coll.countDocuments({ n: 1 })).toBe(count);
      // The server still serves other clients' writes afterwards.
      await db.collection(`after_bulk${count}`).insertOne({ ok: true });
      expect(await db.collection(`after_bulk${count}`).countDocuments()).toBe(1);
    },
  );

  it('when updates carry a revision guard, then only the statements whose revision matches apply', async () => {
    const coll = await seed('guarded', 500);
    const all = ids('guarded', 500);
    await coll.updateMany({ _id: { $in: all.filter((_, i) => i % 2 === 1) } }, { $set: { rev: 1 } });
    const res = await coll.bulkWrite(
      all.map((_id) => ({
        updateOne: { filter: { _id, rev: 0 }, update: { $set: { rev: 2 }, $inc: { n: 1 } } },
      })),
      { ordered: false },
    );
    expect(res.matchedCount).toBe(250);
    expect(await coll.countDocuments({ rev: 2, n: 1 })).toBe(250);
    expect(await coll.countDocuments({ rev: 1, n: 0 })).toBe(250);
  });

  it('when a delete command holds 500 statements, then it answers and deletes exactly those documents', async () => {
    const coll = await seed('deletes', 600);
    const doomed = ids('deletes', 500);
    const res = await db.command({
      delete: 'deletes',
      deletes: doomed.map((_id) => ({ q: { _id }, limit: 1 })),
    });
    expect(res.n).toBe(500);
    expect(await coll.countDocuments()).toBe(100);
    expect(await coll.countDocuments({ _id: { $in: doomed } })).toBe(0);
  });

  it('when 300 findAndModify commands run in a row, then each answers with its document and the writes stick', async () => {
    const coll = await seed('fam', 300);
    const all = ids('fam', 300);
    for (const [i, _id] of all.entries()) {
      if (i % 3 === 2) {
        const removed = await coll.findOneAndDelete({ _id });
        expect(removed?._id).toBe(_id);
      } else {
        const updated = await coll.findOneAndUpdate(
          { _id, rev: 0 },
          { $set: { rev: 1 }, $inc: { n: i } },
          { returnDocument: 'after' },
        );
        expect(updated).toMatchObject({ _id, rev: 1, n: i });
      }
    }
    // A guard that no longer matches finds nothing and changes nothing.
    expect(await coll.findOneAndUpdate({ _id: all[0]!, rev: 0 }, { $set: { rev: 9 } })).toBeNull();
    expect(await coll.countDocuments()).toBe(200);
    expect(await coll.countDocuments({ rev: 1 })).toBe(200);
    expect(await coll.findOne({ _id: all[4]! })).toMatchObject({ n: 4, rev: 1 });
  });
});

describe('updates at once on one document of the embedded server', () => {
  // An update read the document and wrote its new version in two steps, so changes made at once
  // were lost: 24 concurrent $inc left a counter at 3, 24 $push left one element.
  it('when 24 connections $inc one counter at once, then it counts 24', async () => {
    const coll = db.collection<{ _id: string; n: number }>('atomic-inc');
    await coll.insertOne({ _id: 'c', n: 0 });
    await Promise.all(Array.from({ length: 24 }, () => coll.updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
    expect((await coll.findOne({ _id: 'c' }))?.n).toBe(24);
  });

  it('when 24 $push and 24 $addToSet upserts of one new _id come at once, then every value is kept and none fails', async () => {
    const coll = db.collection<{ _id: string; l?: number[]; s?: string[] }>('atomic-push');
    const pushes = Array.from({ length: 24 }, (_, i) =>
      coll.updateOne({ _id: 'p' }, { $push: { l: i } }, { upsert: true }),
    );
    const adds = Array.from({ length: 24 }, (_, i) =>
      coll.updateOne({ _id: 'p' }, { $addToSet: { s: `v${i % 12}` } }, { upsert: true }),
    );
    const settled = await Promise.allSettled([...pushes, ...adds]);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    const doc = await coll.findOne({ _id: 'p' });
    expect([...(doc?.l ?? [])].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect([...(doc?.s ?? [])].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`).sort());
  });

  it('when 24 findOneAndUpdate $inc with upsert come at once, then each sees its own value', async () => {
    const coll = db.collection<{ _id: string; v: number }>('atomic-fam');
    const seen = await Promise.all(
      Array.from({ length: 24 }, () =>
        coll.findOneAndUpdate({ _id: 'f' }, { $inc: { v: 1 } }, { upsert: true, returnDocument: 'after' }),
      ),
    );
    expect(seen.map((d) => d?.v).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
  });

  it('when bulk writes of counters to different documents overlap, then every increment lands', async () => {
    const coll = db.collection<{ _id: string; n: number }>('atomic-bulk');
    const keys = ids('k', 20);
    await Promise.all(
      Array.from({ length: 6 }, () =>
        coll.bulkWrite(
          keys.map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { n: 1 } }, upsert: true } })),
          { ordered: false },
        ),
      ),
    );
    const docs = await coll.find({}).toArray();
    expect(docs.map((d) => d.n)).toEqual(keys.map(() => 6));
  });
});

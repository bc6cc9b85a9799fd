import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerretDb } from '../../src/db/connection.js';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * Which filters the server answers from the `_id` index, on a collection large enough for a scan
 * to matter. On the embedded server `explain` shows SQLite's plan (`SEARCH ... USING INDEX` or
 * `SCAN`) and whether the filter was pushed down; on MongoDB, that the plan is not a COLLSCAN.
 * The `_id` prefilter may return documents the rest of the filter rejects, so results are checked
 * too: the server must still apply the whole filter.
 */
const DOCS = 20_000;
let h: Harness;
let ferret: boolean;
interface PlanDoc {
  _id: string;
  rev: number;
  flag: boolean;
  touched?: boolean;
}
const planCollection = (harness: Harness) => harness.connection.db!.collection<PlanDoc>('plans');
let coll: ReturnType<typeof planCollection>;

type Filter = Parameters<typeof coll.find>[0] & object;

const idOf = (n: number): string => `u-${String(n).padStart(6, '0')}`;

beforeAll(async () => {
  h = await createHarness();
  ferret = await isFerretDb(h.connection);
  coll = planCollection(h);
  for (let from = 0; from < DOCS; from += 2000) {
    await coll.insertMany(
      Array.from({ length: 2000 }, (_, i) => ({
        _id: idOf(from + i),
        rev: (from + i) % 3,
        flag: (from + i) % 2 === 0,
      })),
    );
  }
}, 120_000);
afterAll(async () => {
  await h.close();
});

async function plan(filter: Filter): Promise<{ text: string; pushdown: unknown }> {
  const res = await coll.find(filter).explain();
  return { text: JSON.stringify(res.queryPlanner), pushdown: res.filterPushdown };
}

function expectIndexed(p: { text: string; pushdown: unknown }) {
  if (ferret) {
    expect(p.text).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
    expect(p.pushdown).toBe(true);
  } else {
    expect(p.text).not.toContain('COLLSCAN');
  }
}

describe('query plans on the embedded server', () => {
  it('when the filter is exactly {_id}, then the lookup uses the _id index', async () => {
    expectIndexed(await plan({ _id: idOf(12_345) }));
  });

  it('when the filter is {_id} with other fields, then the lookup uses the _id index and applies the rest', async () => {
    expectIndexed(await plan({ _id: idOf(12_345), rev: 0 }));
    expect(await coll.find({ _id: idOf(12_345), rev: 12_345 % 3 }).toArray()).toHaveLength(1);
    expect(await coll.find({ _id: idOf(12_345), rev: (12_345 + 1) % 3 }).toArray()).toHaveLength(0);
  });

  it('when the filter is {_id: {$in}}, then the lookup uses the _id index and returns only the listed documents', async () => {
    const listed = Array.from({ length: 500 }, (_, i) => idOf(i * 37));
    expectIndexed(await plan({ _id: { $in: listed } }));
    const found = await coll.find({ _id: { $in: listed } }).toArray();
    expect(found.map((d) => d._id).sort()).toEqual([...listed].sort());
    const flagged = await coll.find({ _id: { $in: listed }, flag: true }).toArray();
    expect(flagged.length).toBe(listed.filter((id) => Number(id.slice(2)) % 2 === 0).length);
    expect(flagged.every((d) => d.flag === true)).toBe(true);
  });

  it('when the filter has no usable _id condition, then the embedded server scans and still answers correctly', async () => {
    const scans = [{ rev: 1 }, { _id: { $gte: idOf(19_990) } }, { _id: { $in: [idOf(1)], $nin: [idOf(2)] } }];
    for (const filter of scans) {
      const p = await plan(filter);
      if (ferret) {
        expect(p.text).toMatch(/SCAN/);
        expect(p.pushdown).toBe(false);
      }
    }
    expect(await coll.countDocuments({ _id: { $gte: idOf(19_990) } })).toBe(10);
  });

  it('when count, aggregate, update and delete filter by _id with other fields, then only documents matching the whole filter are touched', async () => {
    const listed = Array.from({ length: 300 }, (_, i) => idOf(DOCS - 1 - i));
    const even = listed.filter((id) => Number(id.slice(2)) % 2 === 0).length;
    expect(await coll.countDocuments({ _id: { $in: listed }, flag: true })).toBe(even);
    const grouped = await coll
      .aggregate([
        { $match: { _id: { $in: listed }, flag: false } },
        { $group: { _id: null, n: { $sum: 1 } } },
      ])
      .toArray();
    expect(grouped[0]?.n).toBe(listed.length - even);
    const target = idOf(DOCS - 1);
    const wrongRev = ((DOCS - 1) % 3) + 1;
    expect(
      (await coll.updateOne({ _id: target, rev: wrongRev }, { $set: { touched: true } })).matchedCount,
    ).toBe(0);
    expect(
      (await coll.updateOne({ _id: target, rev: (DOCS - 1) % 3 }, { $set: { touched: true } })).modifiedCount,
    ).toBe(1);
    const deleted = await coll.deleteMany({ _id: { $in: listed }, flag: true });
    expect(deleted.deletedCount).toBe(even);
    expect(await coll.countDocuments({ _id: { $in: listed } })).toBe(listed.length - even);
    expect(await coll.countDocuments()).toBe(DOCS - even);
  });
});

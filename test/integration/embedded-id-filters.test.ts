import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * The embedded server answers a filter on `_id` alone (`{_id: x}` or `{_id: {$in: [...]}}` of
 * strings or ObjectIds) without decoding every stored document: a delete deletes by `_id`
 * directly, and a find returns the rows SQLite selected without matching them again. These check
 * that both give exactly what MongoDB gives, and that any other filter is still matched whole.
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

interface Doc {
  _id: string | number;
  n: number;
}

const ids = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

async function seed(name: string, count: number) {
  const coll = db.collection<Doc>(name);
  await coll.insertMany(ids(name, count).map((_id, n) => ({ _id, n })));
  return coll;
}

const sortedIds = (docs: { _id: unknown }[]) => docs.map((d) => String(d._id)).sort();

describe('deletes by _id alone on the embedded server', () => {
  it('when deleteMany names 500 ids, some absent, then exactly the present ones go and n counts them', async () => {
    const coll = await seed('del_in', 600);
    const present = ids('del_in', 600).slice(100, 550);
    const absent = ids('nothere', 50);
    const res = await coll.deleteMany({ _id: { $in: [...present, ...absent] } });
    expect(res.deletedCount).toBe(450);
    expect(await coll.countDocuments()).toBe(150);
    const left = sortedIds(await coll.find({}).toArray());
    expect(left).toEqual([...ids('del_in', 600).slice(0, 100), ...ids('del_in', 600).slice(550)].sort());
  });

  it('when deleteOne names two present ids in $in, then only one document goes', async () => {
    const coll = await seed('del_one', 3);
    const res = await coll.deleteOne({ _id: { $in: ids('del_one', 2) } });
    expect(res.deletedCount).toBe(1);
    expect(await coll.countDocuments()).toBe(2);
  });

  it('when deleteOne names one id, then that document goes; an absent id deletes nothing', async () => {
    const coll = await seed('del_single', 3);
    expect((await coll.deleteOne({ _id: 'del_single-0001' })).deletedCount).toBe(1);
    expect((await coll.deleteOne({ _id: 'del_single-0001' })).deletedCount).toBe(0);
    expect(sortedIds(await coll.find({}).toArray())).toEqual(['del_single-0000', 'del_single-0002']);
  });

  it('when the $in list is empty or the filter has another field, then the filter is matched whole', async () => {
    const coll = await seed('del_other', 10);
    expect((await coll.deleteMany({ _id: { $in: [] } })).deletedCount).toBe(0);
    const res = await coll.deleteMany({ _id: { $in: ids('del_other', 10) }, n: { $gte: 5 } });
    expect(res.deletedCount).toBe(5);
    expect((await coll.find({}).toArray()).map((d) => d.n).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('when ids are numbers, then 1, 1.0 and a long 1 all match as in MongoDB', async () => {
    const coll = db.collection<Doc>('del_numbers');
    await coll.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
    ]);
    expect((await coll.deleteMany({ _id: { $in: [1.0, 3] } })).deletedCount).toBe(1);
    expect(sortedIds(await coll.find({}).toArray())).toEqual(['2']);
  });
});

describe('finds by _id alone on the embedded server', () => {
  it('when find names 500 ids, some absent and some repeated, then each present document comes once', async () => {
    const coll = await seed('find_in', 800);
    const wanted = ids('find_in', 800).filter((_, i) => i % 3 === 0);
    const asked = [...wanted, ...wanted.slice(0, 20), ...ids('missing', 30)];
    const docs = await coll.find({ _id: { $in: asked } }).toArray();
    expect(sortedIds(docs)).toEqual([...wanted].sort());
    expect(docs.every((d) => d.n % 3 === 0)).toBe(true);
  });

  it('when the $in list is empty, then nothing comes back (not every document)', async () => {
    const coll = await seed('find_empty', 5);
    expect(await coll.find({ _id: { $in: [] } }).toArray()).toEqual([]);
  });

  it('when the filter adds a field or an operator beside $in, then documents are still matched whole', async () => {
    const coll = await seed('find_other', 20);
    const all = ids('find_other', 20);
    expect((await coll.find({ _id: { $in: all }, n: { $lt: 3 } }).toArray()).length).toBe(3);
    expect((await coll.find({ _id: { $in: all, $ne: all[0] } }).toArray()).length).toBe(19);
    expect((await coll.find({ _id: { $nin: all.slice(1) } }).toArray()).map((d) => d._id)).toEqual([all[0]]);
  });

  it('when many documents come back in batches, then the cursor returns every one of them', async () => {
    const coll = await seed('find_batches', 1200);
    const docs = await coll.find({ _id: { $in: ids('find_batches', 1200) } }, { batchSize: 101 }).toArray();
    expect(docs.length).toBe(1200);
  });
});

import { describe, expect, it } from 'vitest';
import type { QueuedItem } from '../../../src/db/attribution-queue.repository.js';
import type { UnitRecord } from '../../../src/db/unit.repository.js';
import { applyBatch, idsToRead, linkedIds } from '../../../src/domain/attribution/apply-batch.js';
import { MERGED_KEY, SPLIT_KEY } from '../../../src/domain/attribution/unit-merge.js';

const metrics = {
  metrics: [{ key: 'conv', kind: 'conversion' as const, event: 'applied', windowHours: 168 }],
  defs: 'd1',
};
const HOUR = 3_600_000;
const exposure = (id: string, unit: string, v: string, o: number): QueuedItem => ({
  t: 'x',
  id: `exp1|1|${id}`,
  e: 'exp1',
  p: 1,
  v,
  u: unit,
  c: unit,
  o,
  a: {},
});
const conversion = (id: string, customer: string, o: number): QueuedItem => ({
  t: 'e',
  id,
  c: customer,
  n: 'applied',
  y: 'conversion',
  o,
});
const link = (alias: string, customer: string): QueuedItem => ({
  t: 'l',
  id: `link|${alias}`,
  a: alias,
  c: customer,
  o: 0,
});

/** The attributor's loop without a database: units loaded with what they point to, sums added up. */
function attribute(batches: readonly QueuedItem[][]) {
  const store = new Map<string, UnitRecord>();
  const sums = new Map<string, number>();
  for (const items of batches) {
    const loaded = new Map<string, UnitRecord>();
    const load = (ids: readonly string[]) => {
      for (const id of ids) {
        const u = store.get(id);
        loaded.set(id, u ? (JSON.parse(JSON.stringify(u)) as UnitRecord) : { id, x: [], ev: [], l: [] });
      }
    };
    load(idsToRead(items));
    for (let more = linkedIds(loaded); more.length > 0; more = linkedIds(loaded)) load(more);
    const applied = applyBatch(items, loaded, {
      metricsOf: () => metrics,
      attributes: [],
      bucket: (_e, _p, _a, value) => value,
      shard: 0,
    });
    for (const u of applied.units) store.set(u.id, u);
    for (const d of applied.stats) {
      for (const inc of d.inc) sums.set(inc.p.join('/'), (sums.get(inc.p.join('/')) ?? 0) + inc.v);
    }
  }
  return { store, sums: Object.fromEntries([...sums].filter(([, v]) => v !== 0)) };
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]),
  );
}

describe('merging the units of linked ids', () => {
  // The anonymous id was shown treatment first, the customer control later; both sent a conversion.
  const items = [
    exposure('anon', 'anon', 'treatment', 0),
    exposure('cust', 'cust', 'control', 1 * HOUR),
    link('anon', 'cust'),
    conversion('ev-anon', 'anon', 2 * HOUR),
    conversion('ev-cust', 'cust', 3 * HOUR),
  ];
  // Counted by hand: one unit, in the customer's own variant, converted once, reported as split.
  const expected = {
    'n/control': 1,
    's/control|conv|conversions': 1,
    [`s/${SPLIT_KEY}`]: 1,
  };

  it('when the exposures, the link and the events arrive in any of the 120 orders, one per batch, then the sums are the same', () => {
    for (const order of permutations(items)) {
      const { sums, store } = attribute(order.map((it) => [it]));
      expect(sums, order.map((i) => i.id).join(', ')).toEqual(expected);
      expect(store.get('anon')).toMatchObject({ r: 'cust', x: [], ev: [] });
      expect(store.get('cust')?.x.map((x) => x.v)).toEqual(['control']);
    }
  });

  it('when everything arrives in one batch, or a batch is replayed, then nothing is counted twice', () => {
    expect(attribute([items]).sums).toEqual(expected);
    expect(attribute([items, items, [items[0]!, items[2]!]]).sums).toEqual(expected);
  });

  it('when both ids were shown the same variant, then the unit counts once and is reported as merged', () => {
    const same = [
      exposure('anon', 'anon', 'control', 0),
      link('anon', 'cust'),
      exposure('cust', 'cust', 'control', HOUR),
      conversion('ev-anon', 'anon', 2 * HOUR),
    ];
    for (const order of permutations(same)) {
      expect(attribute(order.map((it) => [it])).sums).toEqual({
        'n/control': 1,
        's/control|conv|conversions': 1,
        [`s/${MERGED_KEY}`]: 1,
      });
    }
  });

  it('when only the anonymous id was exposed, then the customer’s later events count for it, once', () => {
    const before = [exposure('anon', 'anon', 'treatment', 0), conversion('ev-1', 'cust', HOUR)];
    const { sums } = attribute([
      [before[0]!],
      [link('anon', 'cust')],
      [before[1]!],
      [conversion('ev-1', 'cust', HOUR)],
    ]);
    expect(sums).toEqual({ 'n/treatment': 1, 's/treatment|conv|conversions': 1 });
  });
});

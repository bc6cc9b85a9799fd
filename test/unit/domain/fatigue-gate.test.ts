import { describe, expect, it } from 'vitest';
import type { ContactChange } from '../../../src/db/fatigue.repository.js';
import { type ContactStore, FatigueGate } from '../../../src/domain/fatigue/fatigue-gate.js';

/** An in-memory store that behaves like the collection: insert refuses an existing id. */
function memoryStore(initial: Record<string, string[]> = {}) {
  const docs = new Map(Object.entries(initial).map(([k, v]) => [k, new Set(v)]));
  const calls = { reads: 0, inserts: 0, applies: 0, failNextApply: false };
  const store: ContactStore = {
    async read(ids) {
      calls.reads++;
      return new Map(ids.filter((id) => docs.has(id)).map((id) => [id, [...(docs.get(id) ?? [])]]));
    },
    async insertNew(list) {
      calls.inserts++;
      const taken: string[] = [];
      for (const d of list) {
        if (docs.has(d.id)) taken.push(d.id);
        else docs.set(d.id, new Set(d.add));
      }
      return taken;
    },
    async apply(changes: readonly ContactChange[]) {
      calls.applies++;
      if (calls.failNextApply) {
        calls.failNextApply = false;
        throw new Error('database unavailable');
      }
      for (const c of changes) {
        const set = docs.get(c.id) ?? new Set<string>();
        for (const e of c.add) set.add(e);
        for (const e of c.remove) set.delete(e);
        docs.set(c.id, set);
      }
    },
  };
  return { store, docs, calls };
}

const tp = (key: string) => ({ key, journey: 'home-loan' });
const cap = [{ key: 'cap', journey: 'home-loan', maxContacts: 2, windowDays: 7 }];
const now = new Date('2026-06-10T12:00:00Z');

describe('FatigueGate', () => {
  it('when misses arrive together, then they share one read, and a second instance that inserted first does not lose contacts', async () => {
    const { store, docs, calls } = memoryStore();
    const gate = new FatigueGate({ store, flushMs: 1 });
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((id) => gate.capped(id, tp('apply.offer'), cap, now)),
    );
    expect(answers).toEqual([false, false, false]);
    expect(calls.reads).toBe(1);
    // Another instance created "a" meanwhile: the insert falls back to adding to it.
    docs.set('a', new Set(['20614|home-loan|apply.sms']));
    await gate.flush();
    expect([...(docs.get('a') ?? [])].sort()).toEqual([
      '20614|home-loan|apply.offer',
      '20614|home-loan|apply.sms',
    ]);
    expect([...(docs.get('b') ?? [])]).toEqual(['20614|home-loan|apply.offer']);
    await gate.close();
  });

  it('when a write fails, then the contacts stay pending and are written by the next flush', async () => {
    const { store, docs, calls } = memoryStore({ x: [] });
    const gate = new FatigueGate({ store, flushMs: 1 });
    await gate.capped('x', tp('apply.offer'), cap, now);
    calls.failNextApply = true;
    await gate.flush();
    expect(docs.get('x')?.size).toBe(0);
    await gate.flush();
    expect([...(docs.get('x') ?? [])]).toEqual(['20614|home-loan|apply.offer']);
    // Two contacts counted: the third touchpoint of the day is capped, the counted ones are not.
    await gate.capped('x', tp('apply.sms'), cap, now);
    expect(await gate.capped('x', tp('apply.email'), cap, now)).toBe(true);
    expect(await gate.capped('x', tp('apply.offer'), cap, now)).toBe(false);
    await gate.close();
  });
});

import { describe, expect, it } from 'vitest';
import type { AttributionQueueRepository, QueueHead } from '../../../src/db/attribution-queue.repository.js';
import { QueueView } from '../../../src/domain/attribution/queue-view.js';

/** A queue of heads in memory that counts how often every head is read. */
function fakeQueue(heads: QueueHead[]) {
  const state = { heads, scans: 0 };
  const queue = {
    heads: async () => {
      state.scans++;
      return [...state.heads];
    },
    entries: async (picked: readonly QueueHead[]) =>
      picked.map((h) => ({ id: h.id, ready: h.ready, at: h.at, items: [] })),
  } as unknown as AttributionQueueRepository;
  return { queue, state };
}

const head = (id: string, n: number, ready = true, at = new Date(0)): QueueHead => ({ id, n, ready, at });

describe('QueueView', () => {
  it('when what it knows fills a batch, then it picks from memory without reading the heads again', async () => {
    const { queue, state } = fakeQueue([
      head('a', 500),
      head('b', 500),
      head('c', 500),
      head('d', 500),
      head('e', 500),
    ]);
    const view = new QueueView(queue, 60_000);
    const first = await view.next(1000, 1000, 10_000);
    expect(first.entries.map((e) => e.id)).toEqual(['a', 'b']);
    expect(first.waiting).toBe(2500);
    view.removed(['a', 'b']);
    const second = await view.next(1000, 1000, 10_001);
    expect(second.entries.map((e) => e.id)).toEqual(['c', 'd']);
    expect(second.waiting).toBe(1500);
    expect(state.scans).toBe(1);
  });

  it('when what it knows no longer fills a batch, then it reads the heads and sees entries queued meanwhile', async () => {
    const { queue, state } = fakeQueue([head('a', 500), head('b', 500), head('c', 500)]);
    const view = new QueueView(queue, 60_000);
    await view.next(1000, 1000, 10_000);
    view.removed(['a', 'b']);
    state.heads = [head('c', 500), head('f', 500)];
    const next = await view.next(1000, 1000, 10_001);
    expect(next.entries.map((e) => e.id)).toEqual(['c', 'f']);
    expect(state.scans).toBe(2);
  });

  it('when the rescan interval has passed, then it reads the heads even with a full batch known', async () => {
    const { queue, state } = fakeQueue([head('a', 500), head('b', 500), head('c', 500)]);
    const view = new QueueView(queue, 5_000);
    await view.next(500, 1000, 10_000);
    state.heads = [head('0', 500), ...state.heads];
    const later = await view.next(500, 1000, 20_000);
    expect(later.entries.map((e) => e.id)).toEqual(['0']);
    expect(state.scans).toBe(2);
  });

  it('skips unready entries until they are stale, then picks them for the caller to resolve', async () => {
    const { queue } = fakeQueue([head('a', 10, false, new Date(9_500)), head('b', 10)]);
    const view = new QueueView(queue, 60_000);
    expect((await view.next(1000, 1000, 10_000)).entries.map((e) => e.id)).toEqual(['b']);
    view.invalidate();
    expect((await view.next(1000, 1000, 11_000)).entries.map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('when it is invalidated, then the next call reads the heads again', async () => {
    const { queue, state } = fakeQueue([head('a', 500), head('b', 500), head('c', 500)]);
    const view = new QueueView(queue, 60_000);
    await view.next(500, 1000, 10_000);
    view.invalidate();
    await view.next(500, 1000, 10_001);
    expect(state.scans).toBe(2);
  });
});

import { randomBytes } from 'node:crypto';
import type { Collection, Connection, mongo } from 'mongoose';

/** An event as attribution needs it (times in epoch milliseconds). */
export interface QueuedEvent {
  t: 'e';
  id: string;
  /** The customer id the event was sent for. */
  c: string;
  n: string;
  y: string;
  v?: number;
  o: number;
}

/** An exposure as attribution needs it; QA exposures are never queued. */
export interface QueuedExposure {
  t: 'x';
  id: string;
  /** Experiment id and phase. */
  e: string;
  p: number;
  v: string;
  /** Randomisation unit id, and the customer whose assignment exposed it. */
  u: string;
  c: string;
  o: number;
  /** Allow-listed attributes for segment breakdowns. */
  a: Record<string, string>;
}

export type QueuedItem = QueuedEvent | QueuedExposure;

interface QueueDoc {
  _id: string;
  /** False from just before the items are stored until the write that stored them is known. */
  ready: boolean;
  at: Date;
  n: number;
  items: QueuedItem[];
}

export interface QueueEntry {
  id: string;
  ready: boolean;
  at: Date;
  items: QueuedItem[];
}

let counter = 0;
const instance = randomBytes(3).toString('hex');

/** Ids sort in enqueue order within one instance and roughly by time across instances. */
function queueId(now: number): string {
  counter = (counter + 1) % 1_679_616;
  return `${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${instance}`;
}

/**
 * The attribution queue: one document per captured write (an events request, an exposure
 * batch), removed once attributed, so the collection holds only the backlog (a few documents per
 * second of capture) and reading it whole stays cheap on every server. Every write is by `_id`.
 */
export class AttributionQueueRepository {
  readonly collection: Collection<QueueDoc>;

  constructor(connection: Connection) {
    this.collection = connection.collection<QueueDoc>('attribution_queue') as unknown as Collection<QueueDoc>;
  }

  /** Stores a queue entry and returns its id. */
  async add(items: readonly QueuedItem[], ready: boolean, now = new Date()): Promise<string> {
    const _id = queueId(now.getTime());
    await this.collection.insertOne({ _id, ready, at: now, n: items.length, items: [...items] });
    return _id;
  }

  /** Marks an entry ready, keeping only `items` when given (the others turned out not to be new). */
  async markReady(id: string, items?: readonly QueuedItem[]): Promise<void> {
    const set: Partial<QueueDoc> = { ready: true };
    if (items) Object.assign(set, { items: [...items], n: items.length });
    await this.collection.updateOne({ _id: id } as mongo.Filter<QueueDoc>, { $set: set });
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.collection.deleteMany({ _id: { $in: [...ids] } } as mongo.Filter<QueueDoc>);
  }

  /**
   * The oldest entries, up to about `maxItems` items in all: ready ones, and unready ones older
   * than `staleMs` (their writer died between the two steps; the caller checks what was stored).
   */
  async oldest(maxItems: number, staleMs: number, now = new Date()): Promise<QueueEntry[]> {
    const heads = await this.collection
      .find({}, { projection: { _id: 1, ready: 1, at: 1, n: 1 } })
      .sort({ _id: 1 })
      .toArray();
    const cutoff = now.getTime() - staleMs;
    const picked: string[] = [];
    let total = 0;
    for (const h of heads) {
      if (!h.ready && new Date(h.at).getTime() > cutoff) continue;
      if (picked.length > 0 && total + h.n > maxItems) break;
      picked.push(h._id);
      total += h.n;
    }
    if (picked.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: picked } } as mongo.Filter<QueueDoc>).toArray();
    return docs
      .sort((a, b) => (a._id < b._id ? -1 : 1))
      .map((d) => ({ id: d._id, ready: d.ready, at: new Date(d.at), items: d.items }));
  }

  /** Entries and items waiting (the backlog). */
  async backlog(): Promise<{ entries: number; items: number; oldestId: string | null }> {
    const heads = await this.collection.find({}, { projection: { _id: 1, n: 1 } }).toArray();
    let oldest: string | null = null;
    for (const h of heads) if (oldest === null || h._id < oldest) oldest = h._id;
    return { entries: heads.length, items: heads.reduce((s, h) => s + h.n, 0), oldestId: oldest };
  }

  /** True while an entry with an id up to `id` is still waiting. */
  async hasUpTo(id: string): Promise<boolean> {
    const { oldestId } = await this.backlog();
    return oldestId !== null && oldestId <= id;
  }

  /** The id the next entry would sort after: entries enqueued before now sort at or below it. */
  static watermark(now = new Date()): string {
    return `${now.getTime().toString(36).padStart(9, '0')}zzzzzzzzzz`;
  }
}

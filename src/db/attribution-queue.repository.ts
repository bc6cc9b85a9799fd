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
  /** Pre-exposure covariates sent with the assignment (CUPED). */
  k?: Record<string, number>;
}

/** Two ids that are one customer from now on: the alias's unit is merged into the customer's. */
export interface QueuedLink {
  t: 'l';
  id: string;
  /** The alias (anonymous or device id) and its customer. */
  a: string;
  c: string;
  o: number;
}

export type QueuedItem = QueuedEvent | QueuedExposure | QueuedLink;

/** The small part of an entry that is scanned to find the oldest ones. */
interface QueueHeadDoc {
  _id: string;
  /** False from just before the items are stored until the write that stored them is known. */
  ready: boolean;
  at: Date;
  n: number;
}

/**
 * The items of an entry, read by `_id` once the entry is picked. Stored as one JSON string: the
 * items are only ever read whole, and one string costs a server a fraction of what decoding
 * thousands of small sub-documents does (FerretDB converts every value).
 */
interface QueueBodyDoc {
  _id: string;
  items: string;
}

export interface QueueHead {
  id: string;
  ready: boolean;
  at: Date;
  /** Items in the entry. */
  n: number;
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
 * The attribution queue: one entry per captured write (an events request, an exposure batch),
 * removed once attributed, so it holds only the backlog. An entry is a small head
 * (`attribution_queue`, scanned to find the oldest) and its items (`attribution_queue_items`, read
 * by `_id`): the scan never decodes the items. Every write is by `_id`; the body is written before
 * the head, so a head always has its items.
 */
export class AttributionQueueRepository {
  readonly collection: Collection<QueueHeadDoc>;
  readonly bodies: Collection<QueueBodyDoc>;

  constructor(connection: Connection) {
    this.collection = connection.collection<QueueHeadDoc>(
      'attribution_queue',
    ) as unknown as Collection<QueueHeadDoc>;
    this.bodies = connection.collection<QueueBodyDoc>(
      'attribution_queue_items',
    ) as unknown as Collection<QueueBodyDoc>;
  }

  /** Stores a queue entry and returns its id. */
  async add(items: readonly QueuedItem[], ready: boolean, now = new Date()): Promise<string> {
    const _id = queueId(now.getTime());
    await this.bodies.insertOne({ _id, items: JSON.stringify(items) });
    await this.collection.insertOne({ _id, ready, at: now, n: items.length });
    return _id;
  }

  /** Marks an entry ready, keeping only `items` when given (the others turned out not to be new). */
  async markReady(id: string, items?: readonly QueuedItem[]): Promise<void> {
    if (items) {
      await this.bodies.replaceOne({ _id: id } as mongo.Filter<QueueBodyDoc>, {
        items: JSON.stringify(items),
      });
    }
    const set: Partial<QueueHeadDoc> = { ready: true };
    if (items) set.n = items.length;
    await this.collection.updateOne({ _id: id } as mongo.Filter<QueueHeadDoc>, { $set: set });
  }

  /** Removes entries: heads first, so a crash in between leaves only unreachable bodies. */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.collection.deleteMany({ _id: { $in: [...ids] } } as mongo.Filter<QueueHeadDoc>);
    await this.bodies.deleteMany({ _id: { $in: [...ids] } } as mongo.Filter<QueueBodyDoc>);
  }

  /** Every waiting entry's head, oldest first (a scan of the small head documents only). */
  async heads(): Promise<QueueHead[]> {
    const docs = await this.collection.find({}).sort({ _id: 1 }).toArray();
    return docs.map((h) => ({ id: h._id, ready: h.ready, at: new Date(h.at), n: h.n }));
  }

  /** The entries of these heads with their items, read by `_id` (none for a head whose items are gone). */
  async entries(heads: readonly QueueHead[]): Promise<QueueEntry[]> {
    if (heads.length === 0) return [];
    const ids = heads.map((h) => h.id);
    const bodies = await this.bodies.find({ _id: { $in: ids } } as mongo.Filter<QueueBodyDoc>).toArray();
    const itemsOf = new Map(bodies.map((b) => [b._id, JSON.parse(b.items) as QueuedItem[]]));
    return heads.map((h) => ({ id: h.id, ready: h.ready, at: h.at, items: itemsOf.get(h.id) ?? [] }));
  }

  /** Entries and items waiting (the backlog). */
  async backlog(): Promise<{ entries: number; items: number; oldestId: string | null }> {
    const heads = await this.collection.find({}).toArray();
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

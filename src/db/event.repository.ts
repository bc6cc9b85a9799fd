import type { Connection, Model } from 'mongoose';
import { duplicateIndexes, onlyDuplicates } from './exposure.repository.js';
import { ensureModelIndexes } from './indexes.js';
import { type EventDoc, eventModel } from './models/event.model.js';

export type { EventDoc } from './models/event.model.js';

/** Acknowledged by a majority and journaled where the server supports it (MongoDB); FerretDB accepts and ignores it. */
const DURABLE = { w: 'majority', j: true } as const;

export class EventRepository {
  readonly model: Model<EventDoc>;

  constructor(connection: Connection) {
    this.model = eventModel(connection);
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  /**
   * Inserts events durably; returns how many were new and how many were already stored
   * (same `_id`). Any other failure throws, and the caller answers with an error so the client retries.
   */
  async insertDurable(docs: readonly EventDoc[]): Promise<{ inserted: number; duplicates: number }> {
    if (docs.length === 0) return { inserted: 0, duplicates: 0 };
    try {
      const res = await this.model.collection.insertMany(docs as never[], {
        ordered: false,
        writeConcern: DURABLE,
      });
      return { inserted: res.insertedCount, duplicates: 0 };
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
      const duplicates = duplicateIndexes(err).length || 1;
      return { inserted: docs.length - duplicates, duplicates };
    }
  }

  async findByIds(ids: readonly string[]): Promise<EventDoc[]> {
    return this.model.find({ _id: { $in: ids } }).lean<EventDoc[]>();
  }

  /** Ids of events still waiting for attribution, oldest received first. */
  async pendingAttribution(limit: number): Promise<string[]> {
    const docs = await this.model
      .find({ attribution: 'pending' }, { _id: 1 })
      .sort({ receivedAt: 1, _id: 1 })
      .limit(limit)
      .lean<{ _id: string }[]>();
    return docs.map((d) => d._id);
  }

  /** Marks exactly these events as attributed. */
  async clearAttribution(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.model.updateMany(
      { _id: { $in: [...ids] }, attribution: 'pending' },
      { $unset: { attribution: '' } },
    );
  }

  async countPendingAttribution(): Promise<number> {
    return this.model.countDocuments({ attribution: 'pending' });
  }
}

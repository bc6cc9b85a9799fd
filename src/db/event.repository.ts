import type { Connection, Model } from 'mongoose';
import { duplicateIndexes, onlyDuplicates } from './duplicate-keys.js';
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
   * Inserts events durably; returns the positions refused as already stored (same `_id`), or null
   * when the server reported duplicates without positions. Any other failure throws, and the
   * caller answers with an error so the client retries.
   */
  async insertDurable(
    docs: readonly EventDoc[],
  ): Promise<{ inserted: number; duplicates: Set<number> | null }> {
    if (docs.length === 0) return { inserted: 0, duplicates: new Set() };
    try {
      const res = await this.model.collection.insertMany(docs as never[], {
        ordered: false,
        writeConcern: DURABLE,
      });
      return { inserted: res.insertedCount, duplicates: new Set() };
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
      const positions = duplicateIndexes(err);
      if (positions.length === 0) return { inserted: docs.length - 1, duplicates: null };
      return { inserted: docs.length - positions.length, duplicates: new Set(positions) };
    }
  }

  /** Which of these ids are stored. Index: `_id`. */
  async storedIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const docs = await this.model.collection
      .find({ _id: { $in: [...ids] } } as never, { projection: { _id: 1 } })
      .toArray();
    return new Set(docs.map((d) => String(d._id)));
  }

  /** Every event, streamed (for the full recompute). */
  async *all(batchSize = 5000): AsyncGenerator<EventDoc> {
    for await (const d of this.model.collection.find({}, { batchSize })) yield d as unknown as EventDoc;
  }
}

import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { onlyDuplicates } from './duplicate-keys.js';

interface MetaDoc {
  _id: string;
  version: number;
}

function metaModel(connection: Connection): Model<MetaDoc> {
  if (connection.models.Meta) return connection.models.Meta as Model<MetaDoc>;
  const schema = new Schema<MetaDoc>(
    { _id: { type: String, required: true }, version: { type: Number, required: true } },
    { versionKey: false, collection: 'meta' },
  );
  return connection.model<MetaDoc>('Meta', schema);
}

/**
 * Version counters other instances poll to learn that something changed (e.g. definitions, so
 * they rebuild their assignment payload). Lookups are by `_id` only, so no extra index.
 */
export class MetaRepository {
  private readonly model: Model<MetaDoc>;

  constructor(connection: Connection) {
    this.model = metaModel(connection);
  }

  /**
   * Adds one to a counter, creating it at 1; each bump gets its own number. Two first bumps at once
   * can both try to insert the counter (a duplicate key for the later one, on MongoDB before 4.2);
   * the loser then finds it and increments it.
   */
  async bump(name: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const doc = await this.model
          .findOneAndUpdate(
            { _id: name },
            { $inc: { version: 1 } },
            { upsert: true, returnDocument: 'after' },
          )
          .lean<MetaDoc>();
        return doc?.version ?? 0;
      } catch (err) {
        if (attempt >= 3 || !onlyDuplicates(err)) throw err;
      }
    }
  }

  async version(name: string): Promise<number> {
    const doc = await this.model.findById(name).lean<MetaDoc>();
    return doc?.version ?? 0;
  }
}

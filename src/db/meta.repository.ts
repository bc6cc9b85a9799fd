import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

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

  async bump(name: string): Promise<number> {
    const doc = await this.model
      .findOneAndUpdate({ _id: name }, { $inc: { version: 1 } }, { upsert: true, returnDocument: 'after' })
      .lean<MetaDoc>();
    return doc?.version ?? 0;
  }

  async version(name: string): Promise<number> {
    const doc = await this.model.findById(name).lean<MetaDoc>();
    return doc?.version ?? 0;
  }
}

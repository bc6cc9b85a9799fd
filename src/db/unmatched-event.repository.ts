import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

/** An event name (or survey type) that arrived while no running or recent experiment read it. */
export interface UnmatchedEventRecord {
  name: string;
  count: number;
  lastSeenAt: string;
  /** A few customers who sent it lately, so a readout can tell whether they are its customers. */
  customers: string[];
}

interface UnmatchedEventDoc {
  _id: string;
  count: number;
  lastSeenAt: Date;
  customers: string[];
}

function unmatchedModel(connection: Connection): Model<UnmatchedEventDoc> {
  if (connection.models.UnmatchedEvent) return connection.models.UnmatchedEvent as Model<UnmatchedEventDoc>;
  const schema = new Schema<UnmatchedEventDoc>(
    {
      _id: { type: String, required: true },
      count: { type: Number, required: true },
      lastSeenAt: { type: Date, required: true },
      customers: { type: [String], default: [] },
    },
    { versionKey: false, collection: 'unmatched_events' },
  );
  return connection.model<UnmatchedEventDoc>('UnmatchedEvent', schema);
}

/** Most names kept: senders with a bug can invent names without end, the list must stay small. */
export const MAX_UNMATCHED_NAMES = 1000;

/**
 * One document per unmatched name, written by `_id` (no extra index). The collection stays small
 * (bounded by MAX_UNMATCHED_NAMES), so readouts read it whole.
 */
export class UnmatchedEventRepository {
  private readonly model: Model<UnmatchedEventDoc>;

  constructor(connection: Connection) {
    this.model = unmatchedModel(connection);
  }

  async record(name: string, count: number, customers: readonly string[], at: Date): Promise<void> {
    const known = await this.model.exists({ _id: name });
    if (!known && (await this.model.estimatedDocumentCount()) >= MAX_UNMATCHED_NAMES) return;
    await this.model.updateOne(
      { _id: name },
      { $inc: { count }, $set: { lastSeenAt: at, customers: customers.slice(0, 10) } },
      { upsert: true },
    );
  }

  async list(): Promise<UnmatchedEventRecord[]> {
    const docs = await this.model.find({}).limit(MAX_UNMATCHED_NAMES).lean<UnmatchedEventDoc[]>();
    return docs.map((d) => ({
      name: d._id,
      count: d.count,
      lastSeenAt: d.lastSeenAt.toISOString(),
      customers: d.customers ?? [],
    }));
  }
}

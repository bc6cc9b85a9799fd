import type { Collection, Connection, mongo } from 'mongoose';

/** One customer's counted contacts (see domain/fatigue/contact-window.ts for the entry format). */
interface ContactsDoc {
  _id: string;
  c: string[];
}

export interface ContactChange {
  id: string;
  add: readonly string[];
  remove: readonly string[];
}

/** Ids per `$in` read and statements per bulk write: far below every per-command limit. */
const CHUNK = 500;

/**
 * Contacts per customer, `_id` = the customer id: read by `_id: {$in}` and changed by `$addToSet` /
 * `$pullAll`, which commute, so two instances adding contacts to one customer lose neither.
 */
export class FatigueRepository {
  private readonly collection: Collection<ContactsDoc>;

  constructor(connection: Connection) {
    this.collection = connection.collection<ContactsDoc>('fatigue_contacts');
  }

  async read(ids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const docs = await this.collection.find({ _id: { $in: ids.slice(i, i + CHUNK) } }).toArray();
      for (const doc of docs) out.set(doc._id, doc.c ?? []);
    }
    return out;
  }

  /**
   * Creates the documents of customers seen for the first time: an insert costs a fraction of an
   * upsert on the embedded server. Returns the ids that existed already (another instance created
   * them meanwhile), whose contacts the caller then adds with `apply`.
   */
  async insertNew(docs: readonly { id: string; add: readonly string[] }[]): Promise<string[]> {
    const taken: string[] = [];
    for (let i = 0; i < docs.length; i += CHUNK) {
      const part = docs.slice(i, i + CHUNK);
      try {
        await this.collection.insertMany(
          part.map((d) => ({ _id: d.id, c: [...d.add] })),
          { ordered: false },
        );
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { code?: number; index: number }[] }).writeErrors;
        if (!writeErrors || writeErrors.some((e) => e.code !== 11000)) throw err;
        for (const e of writeErrors) {
          const doc = part[e.index];
          if (doc) taken.push(doc.id);
        }
      }
    }
    return taken;
  }

  /**
   * At most `limit` customers' contacts, in the server's natural order: with no filter and no sort
   * the embedded server pushes the limit down to SQLite, so the read stays bounded however many
   * customers there are (the dashboard's fatigue summary).
   */
  async sample(limit: number): Promise<string[][]> {
    const docs = await this.collection.find({}, { limit, batchSize: Math.min(limit, 1000) }).toArray();
    return docs.map((d) => d.c ?? []);
  }

  async apply(changes: readonly ContactChange[]): Promise<void> {
    const ops: mongo.AnyBulkWriteOperation<ContactsDoc>[] = [];
    for (const ch of changes) {
      if (ch.add.length > 0) {
        ops.push({
          updateOne: {
            filter: { _id: ch.id },
            update: { $addToSet: { c: { $each: [...ch.add] } } },
            upsert: true,
          },
        });
      }
      if (ch.remove.length > 0) {
        ops.push({ updateOne: { filter: { _id: ch.id }, update: { $pullAll: { c: [...ch.remove] } } } });
      }
    }
    for (let i = 0; i < ops.length; i += CHUNK) {
      await this.collection.bulkWrite(ops.slice(i, i + CHUNK), { ordered: false });
    }
  }
}

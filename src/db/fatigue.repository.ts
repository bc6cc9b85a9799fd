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

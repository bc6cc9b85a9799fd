import type { Collection, Connection } from 'mongoose';

interface LeaseDoc {
  _id: string;
  owner: string;
  until: Date;
  /** Incremented on each renewal by the owner: a sequence no two owners ever share. */
  seq?: number;
}

/**
 * Named leases that let one instance at a time do a piece of work (refreshing an experiment,
 * attributing outcomes). Every operation is a point operation on `_id` (the owner check rides
 * along as a filter the server applies to that one document).
 */
export class LeaseRepository {
  private readonly leases: Collection<LeaseDoc>;

  constructor(connection: Connection) {
    this.leases = connection.collection<LeaseDoc>('leases') as unknown as Collection<LeaseDoc>;
  }

  /**
   * Takes the lease `name` for `ttlMs` unless another owner holds an unexpired one. The upsert's
   * insert fails with a duplicate key when the lease exists and has not expired: that is "held".
   */
  async acquire(name: string, owner: string, ttlMs: number, now = new Date()): Promise<boolean> {
    try {
      await this.leases.findOneAndUpdate(
        { _id: name, until: { $lt: now } },
        { $set: { owner, until: new Date(now.getTime() + ttlMs) } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /**
   * Extends the lease if `owner` still holds it and returns the next number of its sequence, or
   * null when the lease was lost (expired and taken by another owner).
   */
  async renew(name: string, owner: string, ttlMs: number, now = new Date()): Promise<number | null> {
    const doc = await this.leases.findOneAndUpdate(
      { _id: name, owner },
      { $set: { until: new Date(now.getTime() + ttlMs) }, $inc: { seq: 1 } },
      { returnDocument: 'after' },
    );
    return doc ? (doc.seq ?? 0) : null;
  }

  /** Ends the lease early, only if this owner still holds it. */
  async release(name: string, owner: string): Promise<void> {
    await this.leases.updateOne({ _id: name, owner }, { $set: { until: new Date(0) } });
  }
}

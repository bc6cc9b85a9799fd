import type { Collection, Connection } from 'mongoose';

interface EpochDoc {
  _id: string;
  n: string;
  e: number;
  owner: string;
  until: Date;
}

/**
 * Exclusive leases by claim: each holder inserts the next epoch document `<name>#<epoch>`. An
 * insert of a unique `_id` is the one write every server (FerretDB included, whose
 * find-and-modify is not atomic) decides for exactly one writer, so two instances can never hold
 * the same epoch. The holder extends its own epoch document; it has lost the lease once a later
 * epoch exists. The documents of one name stay few: old epochs are removed on each claim.
 */
export class LeaseRepository {
  private readonly docs: Collection<EpochDoc>;

  constructor(connection: Connection) {
    this.docs = connection.collection<EpochDoc>('leases') as unknown as Collection<EpochDoc>;
  }

  private async current(name: string): Promise<EpochDoc | null> {
    const all = await this.docs.find({ n: name }).toArray();
    let best: EpochDoc | null = null;
    for (const d of all) if (!best || d.e > best.e) best = d;
    return best;
  }

  /** Claims the lease unless another owner holds an unexpired epoch; returns the epoch or null. */
  async claim(name: string, owner: string, ttlMs: number, now = new Date()): Promise<number | null> {
    const cur = await this.current(name);
    if (cur && new Date(cur.until).getTime() > now.getTime()) return cur.owner === owner ? cur.e : null;
    const e = (cur?.e ?? 0) + 1;
    try {
      await this.docs.insertOne({
        _id: `${name}#${e}`,
        n: name,
        e,
        owner,
        until: new Date(now.getTime() + ttlMs),
      });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return null;
      throw err;
    }
    if (e > 2)
      await this.docs.deleteMany({ _id: { $in: [`${name}#${e - 2}`, `${name}#${e - 3}`] } } as never);
    return e;
  }

  /** Extends the holder's epoch; false when a later epoch exists (the lease was taken over). */
  async extend(name: string, epoch: number, ttlMs: number, now = new Date()): Promise<boolean> {
    if (await this.docs.findOne({ _id: `${name}#${epoch + 1}` } as never)) return false;
    await this.docs.updateOne({ _id: `${name}#${epoch}` } as never, {
      $set: { until: new Date(now.getTime() + ttlMs) },
    });
    return true;
  }

  /** Ends the epoch early so another instance may claim the next one at once. */
  async release(name: string, epoch: number): Promise<void> {
    await this.docs.updateOne({ _id: `${name}#${epoch}` } as never, { $set: { until: new Date(0) } });
  }
}

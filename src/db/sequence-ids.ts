import type { Collection, mongo } from 'mongoose';

const isDuplicateKey = (err: unknown): boolean => (err as { code?: number })?.code === 11000;

/**
 * Dense, ordered `_id`s (`<prefix>000000000042`) for an append-only collection, so that the
 * newest entries, or a page before a given one, are read by `_id` alone: the embedded server
 * serves nothing else from an index, and on MongoDB the same reads are point lookups too. An id
 * is claimed by inserting it (a duplicate means another writer took it: take the next), so ids
 * have no gaps and "the last one" is found with a few point reads (a doubling probe, then a
 * binary search).
 */
export class SequenceIds<T extends { _id: string }> {
  /** Highest sequence number known to exist (0 when none is known). */
  private known = 0;

  constructor(
    private readonly collection: Collection<T>,
    readonly prefix: string,
    private readonly width = 12,
  ) {}

  id(n: number): string {
    return `${this.prefix}${String(n).padStart(this.width, '0')}`;
  }

  /** The sequence number of an id of this sequence, or null. */
  numberOf(id: string): number | null {
    if (!id.startsWith(this.prefix)) return null;
    const digits = id.slice(this.prefix.length);
    return digits.length === this.width && /^\d+$/.test(digits) ? Number(digits) : null;
  }

  /** Inserts the document under the next free id and returns that id. */
  async insert(doc: Omit<T, '_id'>): Promise<string> {
    let n = (await this.last()) + 1;
    for (let tries = 0; tries < 1000; tries++, n++) {
      const _id = this.id(n);
      try {
        await this.collection.insertOne({ ...doc, _id } as unknown as mongo.OptionalUnlessRequiredId<T>);
        this.known = Math.max(this.known, n);
        return _id;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        this.known = Math.max(this.known, n);
      }
    }
    throw new Error(`no free id in ${this.prefix} after 1000 tries`);
  }

  /** The highest sequence number stored (0 when none). */
  async last(): Promise<number> {
    let lo = this.known;
    if (lo > 0 && !(await this.exists(lo))) lo = 0;
    let step = 1;
    while (await this.exists(lo + step)) {
      lo += step;
      step *= 2;
    }
    // lo exists (or is 0) and lo + step does not: search between them.
    let hi = lo + step;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(mid)) lo = mid;
      else hi = mid;
    }
    this.known = lo;
    return lo;
  }

  /** Up to `count` documents numbered below `before` (the newest first). */
  async before(before: number, count: number): Promise<T[]> {
    const ids: string[] = [];
    for (let n = before - 1; n >= 1 && ids.length < count; n--) ids.push(this.id(n));
    if (ids.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: ids } } as mongo.Filter<T>).toArray();
    return (docs as T[]).sort((a, b) => (a._id < b._id ? 1 : -1));
  }

  private async exists(n: number): Promise<boolean> {
    if (n < 1) return true;
    const doc = await this.collection.findOne({ _id: this.id(n) } as mongo.Filter<T>, {
      projection: { _id: 1 },
    });
    return doc !== null;
  }
}

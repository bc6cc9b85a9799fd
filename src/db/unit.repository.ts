import type { Collection, Connection, mongo } from 'mongoose';
import { onlyDuplicates } from './duplicate-keys.js';

/** One exposure of a unit, with what its outcome state last contributed to the readout sums. */
export interface UnitExposure {
  id: string;
  /** Experiment id and phase. */
  e: string;
  p: number;
  v: string;
  /** Exposure time, epoch milliseconds. */
  o: number;
  /** Segment bucket per attribute (the value, or the shared bucket for rare values). */
  g: Record<string, string>;
  /** Tally entries this exposure added to the sums (see readout-stats). */
  c: { k: string; v: number }[];
  /** Pre-exposure covariates sent with the assignment (CUPED). */
  q?: Record<string, number>;
  /** The linked id it was exposed under, when not the unit's own id. */
  a?: string;
  /** Variants of the exposures of linked ids in the same phase that were dropped in its favour. */
  k?: string[];
}

/** An event kept on the unit (times in epoch milliseconds). */
export interface UnitEvent {
  id: string;
  n: string;
  y: string;
  v?: number;
  o: number;
}

/**
 * Everything attribution needs about one id an event can carry (a customer, or a B2B account):
 * the exposures randomised on it, the events sent for it (and for the ids linked to it), and the
 * ids whose events also count here (`l`: the customers exposed on behalf of this account).
 */
export interface UnitRecord {
  id: string;
  x: UnitExposure[];
  ev: UnitEvent[];
  /** Other unit ids that also receive this id's events. */
  l: string[];
  /** Set once the id is linked as an alias: its exposures and events live on this unit. */
  r?: string;
  /** Exposures of linked ids dropped as second exposures of this unit in a phase (a replay skips them). */
  d?: string[];
}

/**
 * The stored unit: its state as one JSON string. Only the attributor reads it, always whole, and a
 * string is one value to the server where the exposures and events as sub-documents are hundreds
 * (FerretDB decodes every value of a document it reads or deletes).
 */
interface UnitDoc {
  _id: string;
  d: string;
}

function toRecord(doc: UnitDoc): UnitRecord {
  const d = JSON.parse(doc.d) as Partial<UnitRecord>;
  const u: UnitRecord = { id: doc._id, x: d.x ?? [], ev: d.ev ?? [], l: d.l ?? [] };
  if (d.r !== undefined) u.r = d.r;
  if (d.d !== undefined) u.d = d.d;
  return u;
}

function toDoc(u: UnitRecord): UnitDoc {
  const body: Omit<UnitRecord, 'id'> = { x: u.x, ev: u.ev, l: u.l };
  if (u.r !== undefined) body.r = u.r;
  if (u.d !== undefined && u.d.length > 0) body.d = u.d;
  return { _id: u.id, d: JSON.stringify(body) };
}

/** Documents per replace round trip: every write stays far below any per-command statement limit. */
const CHUNK = 500;

/**
 * Unit documents, `_id` = the unit id. Only the attributor (one at a time, under a lease) writes
 * them, so a batch replaces its units whole: one `$in` delete and one insert per chunk, both of
 * which every server runs as a handful of statements, where an update per unit would cost a
 * round trip and a document read each.
 */
export class UnitRepository {
  readonly collection: Collection<UnitDoc>;

  constructor(connection: Connection) {
    this.collection = connection.collection<UnitDoc>('units') as unknown as Collection<UnitDoc>;
  }

  /** Index: `_id`. */
  async getMany(ids: readonly string[]): Promise<Map<string, UnitRecord>> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += CHUNK) chunks.push(ids.slice(i, i + CHUNK));
    // Reads of disjoint chunks run side by side (the server reads on several cores while writes
    // queue for its one writer), each in one round trip.
    const found = await Promise.all(
      chunks.map((chunk) =>
        this.collection
          .find({ _id: { $in: chunk } } as mongo.Filter<UnitDoc>, { batchSize: CHUNK })
          .toArray(),
      ),
    );
    const out = new Map<string, UnitRecord>();
    for (const docs of found) for (const d of docs) out.set(d._id, toRecord(d));
    return out;
  }

  /** Writes these units as given (idempotent: replaying the same records gives the same documents). */
  async replaceMany(units: readonly UnitRecord[]): Promise<void> {
    for (let i = 0; i < units.length; i += CHUNK) {
      const chunk = units.slice(i, i + CHUNK);
      await this.collection.deleteMany({ _id: { $in: chunk.map((u) => u.id) } } as mongo.Filter<UnitDoc>);
      try {
        await this.collection.insertMany(chunk.map(toDoc), { ordered: false });
      } catch (err) {
        // A duplicate means a concurrent replay of the same batch wrote it first: the same record.
        if (!onlyDuplicates(err)) throw err;
      }
    }
  }

  /** Every unit, streamed (for the full recompute). */
  async *all(batchSize = 2000): AsyncGenerator<UnitRecord> {
    for await (const d of this.collection.find({}, { batchSize })) yield toRecord(d as UnitDoc);
  }
}

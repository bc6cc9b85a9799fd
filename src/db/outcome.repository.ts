import type { Collection, Connection, mongo } from 'mongoose';
import type { AttributableEvent, OutcomeState } from '../domain/outcomes/outcome-state.js';
import { isFerretDb } from './connection.js';
import { eventModel } from './models/event.model.js';
import { type ExposureDoc, exposureModel } from './models/exposure.model.js';

/** The exposure fields attribution reads, plus the revision that guards its writes. */
export interface ExposureForAttribution {
  id: string;
  experimentId: string;
  phase: number;
  variant: string;
  unitId: string;
  customerId: string;
  exposedAt: Date;
  qa: boolean;
  rev: number;
}

interface StoredEvent {
  _id: string;
  customerId: string;
  name?: string;
  type?: string;
  value?: number;
  occurredAt: Date;
}

type RevExposure = ExposureDoc & { outcomesRev?: number };

/** Exposed customers per variant and tally sums per key. */
export interface Sums {
  exposures: Map<string, number>;
  sums: Map<string, number>;
}

const attributionFields = {
  _id: 1,
  experimentId: 1,
  phase: 1,
  variant: 1,
  unitId: 1,
  customerId: 1,
  exposedAt: 1,
  qa: 1,
  outcomesRev: 1,
} as const;

/** The attribution view of a stored (or just inserted: revision 0) exposure. */
export function toExposure(d: RevExposure): ExposureForAttribution {
  return {
    id: d._id,
    experimentId: d.experimentId,
    phase: d.phase,
    variant: d.variant,
    unitId: d.unitId,
    customerId: d.customerId,
    exposedAt: d.exposedAt,
    qa: d.qa,
    rev: d.outcomesRev ?? 0,
  };
}

export type CustomerEvent = AttributableEvent & { customerId: string };

function toEvent(d: StoredEvent): CustomerEvent {
  return {
    id: d._id,
    customerId: d.customerId,
    name: d.name,
    type: d.type,
    value: d.value,
    occurredAt: new Date(d.occurredAt),
  };
}

/**
 * Reads and writes the outcome state on exposures, and runs the readout pipelines. Uses the driver
 * collections directly: the outcome revision (`outcomesRev`) is not part of the shared exposure
 * model, and a strict Mongoose model would drop it from updates.
 */
export class OutcomeRepository {
  readonly exposures: Collection<RevExposure>;
  readonly events: Collection<StoredEvent>;

  constructor(private readonly connection: Connection) {
    // Registering the model makes its indexes part of ensureIndexes even before any exposure is written.
    this.exposures = exposureModel(connection).collection as unknown as Collection<RevExposure>;
    this.events = eventModel(connection).collection as unknown as Collection<StoredEvent>;
  }

  /** True when the server is FerretDB (its buildInfo carries `ferretdbVersion`); asked once. */
  isFerretDb(): Promise<boolean> {
    return isFerretDb(this.connection);
  }

  /** Index: `_id`. */
  async exposuresByIds(ids: readonly string[]): Promise<ExposureForAttribution[]> {
    if (ids.length === 0) return [];
    const docs = await this.exposures
      .find({ _id: { $in: [...ids] } } as mongo.Filter<RevExposure>, { projection: attributionFields })
      .toArray();
    return docs.map((d) => toExposure(d as RevExposure));
  }

  /** Non-QA exposures of these customers, as unit or as the exposed customer. Indexes: `unitId`, `customerId`. */
  async exposuresOfCustomers(customerIds: readonly string[]): Promise<ExposureForAttribution[]> {
    if (customerIds.length === 0) return [];
    const ids = [...customerIds];
    const docs = await this.exposures
      .find(
        {
          $or: [{ unitId: { $in: ids } }, { customerId: { $in: ids } }],
          qa: false,
        } as mongo.Filter<RevExposure>,
        {
          projection: attributionFields,
        },
      )
      .toArray();
    return docs.map((d) => toExposure(d as RevExposure));
  }

  /** Index: `_id`. Returns the customer of each event for finding their exposures. */
  async eventsByIds(ids: readonly string[]): Promise<{ id: string; customerId: string; occurredAt: Date }[]> {
    if (ids.length === 0) return [];
    const docs = await this.events
      .find({ _id: { $in: [...ids] } } as mongo.Filter<StoredEvent>, {
        projection: { _id: 1, customerId: 1, occurredAt: 1 },
      })
      .toArray();
    return docs.map((d) => ({ id: d._id, customerId: d.customerId, occurredAt: new Date(d.occurredAt) }));
  }

  /** Events of the customers from `from` to `to` inclusive. Index: `customerId` + `occurredAt`. */
  async eventsOf(customerIds: readonly string[], from: Date, to: Date): Promise<CustomerEvent[]> {
    const docs = await this.events
      .find({
        customerId: { $in: [...customerIds] },
        occurredAt: { $gte: from, $lte: to },
      } as mongo.Filter<StoredEvent>)
      .toArray();
    return docs.map((d) => toEvent(d as StoredEvent));
  }

  /**
   * Writes many outcome states in one round trip, each guarded like writeOutcomeState. Every write
   * stamps `outcomesToken`; the ids returned are those whose stored token is not ours afterwards,
   * i.e. whose guard failed (or that a fresher writer has since replaced): recompute those.
   */
  async writeOutcomeStates(
    items: readonly { id: string; rev: number; state: OutcomeState }[],
    token: string,
  ): Promise<string[]> {
    if (items.length === 0) return [];
    const ops = items.map(({ id, rev, state }) => ({
      updateOne: {
        filter: {
          _id: id,
          // Revisions start at 1, so "never written" is simply a missing field: one plain condition
          // (FerretDB 1.24 runs a compound $or guard several times slower inside a bulk write).
          outcomesRev: rev === 0 ? { $exists: false } : rev,
        },
        update: {
          $set: { outcomes: state.outcomes, tally: state.tally, outcomesRev: rev + 1, outcomesToken: token },
        },
      },
    }));
    await this.exposures.bulkWrite(ops as never, { ordered: false });
    const ids = items.map((i) => i.id);
    const docs = await this.exposures
      .find({ _id: { $in: ids } } as mongo.Filter<RevExposure>, { projection: { _id: 1, outcomesToken: 1 } })
      .toArray();
    const ours = new Set(
      docs.filter((d) => (d as { outcomesToken?: string }).outcomesToken === token).map((d) => d._id),
    );
    return ids.filter((id) => !ours.has(id));
  }

  private match(experimentId: string, phase: number, extra: Record<string, unknown>): mongo.Document {
    return { $match: { experimentId, phase, qa: false, ...extra } };
  }

  /**
   * The readout pipeline: sums of every tally entry. Its cost grows with exposures and variants,
   * never with events. Index: `experimentId` + `phase` + `qa`.
   */
  async tallySums(
    experimentId: string,
    phase: number,
    extra: Record<string, unknown> = {},
  ): Promise<Map<string, number>> {
    const rows = await this.exposures
      .aggregate<{ _id: string; s: number }>([
        this.match(experimentId, phase, extra),
        { $unwind: '$tally' },
        { $group: { _id: '$tally.k', s: { $sum: '$tally.v' } } },
      ])
      .toArray();
    return new Map(rows.map((r) => [r._id, r.s]));
  }

  /** Exposed customers per variant. Index: `experimentId` + `phase` + `qa`. */
  async exposureCounts(
    experimentId: string,
    phase: number,
    extra: Record<string, unknown> = {},
  ): Promise<Map<string, number>> {
    const rows = await this.exposures
      .aggregate<{ _id: string; n: number }>([
        this.match(experimentId, phase, extra),
        { $group: { _id: '$variant', n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  /**
   * Exposure counts and tally sums per value of each attribute, in ONE pass over the experiment's
   * exposures (streamed, aggregated here): a pipeline per attribute value would read them all once
   * per value, and FerretDB 1.x cannot group by two fields at once. Index: `experimentId` + `phase` + `qa`.
   */
  async segmentSums(
    experimentId: string,
    phase: number,
    attributes: readonly string[],
  ): Promise<Map<string, Map<string, Sums>>> {
    return (await this.streamSums(experimentId, phase, attributes, false)).segments;
  }

  /**
   * The same sums as the pipelines (and the segments), from one streamed read of the exposures.
   * FerretDB 1.24 neither pushes the `$match` down nor streams `$unwind`/`$group`: it holds the whole
   * unwound set in memory (about 12 GB for 1,000,000 exposures), so on FerretDB this pass is the
   * way to read large experiments; memory here is per variant and segment, not per exposure.
   */
  async streamSums(
    experimentId: string,
    phase: number,
    attributes: readonly string[],
    overall = true,
  ): Promise<{ overall: Sums; segments: Map<string, Map<string, Sums>> }> {
    const segments = new Map<string, Map<string, Sums>>();
    for (const a of attributes) segments.set(a, new Map());
    const total: Sums = { exposures: new Map(), sums: new Map() };
    if (!overall && attributes.length === 0) return { overall: total, segments };
    const add = (into: Sums, variant: string, tally: readonly { k: string; v: number }[]) => {
      into.exposures.set(variant, (into.exposures.get(variant) ?? 0) + 1);
      for (const t of tally) into.sums.set(t.k, (into.sums.get(t.k) ?? 0) + t.v);
    };
    const cursor = this.exposures.find({ experimentId, phase, qa: false } as mongo.Filter<RevExposure>, {
      projection: { _id: 0, variant: 1, attributes: 1, tally: 1 },
      batchSize: 5000,
    });
    for await (const doc of cursor) {
      const tally = doc.tally ?? [];
      if (overall) add(total, doc.variant, tally);
      const attrs = (doc.attributes ?? {}) as Record<string, unknown>;
      for (const a of attributes) {
        const value = attrs[a];
        if (typeof value !== 'string' || value === '') continue;
        const byValue = segments.get(a)!;
        let seg = byValue.get(value);
        if (!seg) {
          seg = { exposures: new Map(), sums: new Map() };
          byValue.set(value, seg);
        }
        add(seg, doc.variant, tally);
      }
    }
    return { overall: total, segments };
  }
}

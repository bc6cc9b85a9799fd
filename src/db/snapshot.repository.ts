import type { Connection, Model } from 'mongoose';
import type { Snapshot } from '../domain/schemas/snapshot.schema.js';
import { ensureModelIndexes } from './indexes.js';
import { type SnapshotDoc, snapshotModel } from './models/snapshot.model.js';

function toPlain(d: SnapshotDoc): Snapshot {
  const out = {
    id: d._id,
    experiment: d.experiment,
    experimentId: d.experimentId,
    phase: d.phase,
    experimentStatus: d.experimentStatus,
    status: d.status,
    trigger: d.trigger,
    computedAt: d.computedAt.toISOString(),
    durationMs: d.durationMs,
    counts: d.counts ?? null,
    readout: d.readout ?? null,
    segments: d.segments ?? null,
  } as Snapshot;
  if (d.error !== undefined && d.error !== null) out.error = d.error;
  return out;
}

function toDoc(s: Snapshot): SnapshotDoc {
  const { id, computedAt, ...rest } = s;
  return { _id: id, ...rest, computedAt: new Date(computedAt) } as SnapshotDoc;
}

/** Snapshots of readouts. */
export class SnapshotRepository {
  readonly model: Model<SnapshotDoc>;

  constructor(connection: Connection) {
    this.model = snapshotModel(connection);
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  async insert(snapshot: Snapshot): Promise<void> {
    await this.model.collection.insertOne(toDoc(snapshot) as never);
  }

  /** Index: `experiment` + `status` + `computedAt`. */
  async latestOk(experiment: string): Promise<Snapshot | null> {
    const doc = await this.model
      .findOne({ experiment, status: 'ok' })
      .sort({ computedAt: -1 })
      .lean<SnapshotDoc>();
    return doc ? toPlain(doc) : null;
  }

  /** Ok snapshots of one phase, oldest first, the newest `limit` of them. Index as latestOk. */
  async okHistory(experiment: string, phase: number, limit: number): Promise<Snapshot[]> {
    const docs = await this.model
      .find({ experiment, status: 'ok', phase })
      .sort({ computedAt: -1 })
      .limit(limit)
      .lean<SnapshotDoc[]>();
    return docs.reverse().map(toPlain);
  }

  /** The most recent refreshes of any status, newest first. Index: `experiment` + `computedAt`. */
  async recent(experiment: string, limit: number): Promise<Snapshot[]> {
    const docs = await this.model
      .find({ experiment })
      .sort({ computedAt: -1 })
      .limit(limit)
      .lean<SnapshotDoc[]>();
    return docs.map(toPlain);
  }
}

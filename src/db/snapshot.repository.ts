import type { Collection, Connection, Model } from 'mongoose';
import type { HistoryPoint, Snapshot } from '../domain/schemas/snapshot.schema.js';
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
  if (d.evidence !== undefined && d.evidence !== null) out.evidence = d.evidence as Snapshot['evidence'];
  if (d.error !== undefined && d.error !== null) out.error = d.error;
  if (d.identityConflicts) out.identityConflicts = d.identityConflicts as Snapshot['identityConflicts'];
  return out;
}

function toDoc(s: Snapshot): SnapshotDoc {
  const { id, computedAt, ...rest } = s;
  return { _id: id, ...rest, computedAt: new Date(computedAt) } as SnapshotDoc;
}

/** What the head keeps of each recent refresh, newest first. */
export interface SnapshotSummary {
  id: string;
  status: Snapshot['status'];
  computedAt: string;
  error?: string;
}

interface HeadDoc {
  _id: string;
  latestOk: string | null;
  recent: SnapshotSummary[];
}

interface HistoryDoc {
  _id: string;
  points: HistoryPoint[];
}

/** Recent refreshes kept on the head, and history points kept per experiment phase. */
const RECENT = 50;
const POINTS = 200;

/**
 * Snapshots of readouts, stored whole by id, plus two small documents per experiment that every
 * read goes through: the head (`snapshot_heads`, `_id` = experiment key: the latest good snapshot's
 * id and the last refreshes' statuses) and the history (`snapshot_history`, `_id` = key and phase:
 * the last POINTS small points a chart needs). So a readout reads three documents by `_id`
 * whatever the number of snapshots. Only the refresh, under its per-experiment lease, writes them.
 */
export class SnapshotRepository {
  readonly model: Model<SnapshotDoc>;
  private readonly heads: Collection<HeadDoc>;
  private readonly history: Collection<HistoryDoc>;

  constructor(connection: Connection) {
    this.model = snapshotModel(connection);
    this.heads = connection.collection<HeadDoc>('snapshot_heads') as unknown as Collection<HeadDoc>;
    this.history = connection.collection<HistoryDoc>('snapshot_history') as unknown as Collection<HistoryDoc>;
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  /** Stores a snapshot, then its head entry and (for a good one) its history point. */
  async insert(snapshot: Snapshot, point?: HistoryPoint | null): Promise<void> {
    await this.model.collection.insertOne(toDoc(snapshot) as never);
    const head = await this.heads.findOne({ _id: snapshot.experiment } as never);
    const summary: SnapshotSummary = {
      id: snapshot.id,
      status: snapshot.status,
      computedAt: snapshot.computedAt,
    };
    if (snapshot.error) summary.error = snapshot.error.slice(0, 2000);
    const next: HeadDoc = {
      _id: snapshot.experiment,
      latestOk: snapshot.status === 'ok' ? snapshot.id : (head?.latestOk ?? null),
      recent: [summary, ...(head?.recent ?? [])].slice(0, RECENT),
    };
    const { _id, ...body } = next;
    await this.heads.replaceOne({ _id } as never, body, { upsert: true });
    if (snapshot.status !== 'ok' || !point) return;
    const id = `${snapshot.experiment}|${snapshot.phase}`;
    const stored = await this.history.findOne({ _id: id } as never);
    const points = [...(stored?.points ?? []), point].slice(-POINTS);
    await this.history.replaceOne({ _id: id } as never, { points }, { upsert: true });
  }

  /** Index: `_id` (through the head). */
  async latestOk(experiment: string): Promise<Snapshot | null> {
    const head = await this.heads.findOne({ _id: experiment } as never);
    if (!head?.latestOk) return null;
    return this.byId(head.latestOk);
  }

  async byId(id: string): Promise<Snapshot | null> {
    const doc = await this.model.collection.findOne({ _id: id } as never);
    return doc ? toPlain(doc as unknown as SnapshotDoc) : null;
  }

  /** History points of one phase, oldest first, the newest `limit` of them. Index: `_id`. */
  async points(experiment: string, phase: number, limit: number): Promise<HistoryPoint[]> {
    const doc = await this.history.findOne({ _id: `${experiment}|${phase}` } as never);
    return (doc?.points ?? []).slice(-limit);
  }

  /** The most recent refreshes of any status, newest first. Index: `_id` (the head). */
  async recent(experiment: string, limit: number): Promise<SnapshotSummary[]> {
    const head = await this.heads.findOne({ _id: experiment } as never);
    return (head?.recent ?? []).slice(0, limit);
  }
}

import { type Connection, type Model, Schema } from 'mongoose';

/** One refresh of one experiment; the readout, counts and segments are stored as the domain built them. */
export interface SnapshotDoc {
  _id: string;
  experiment: string;
  experimentId: string;
  phase: number;
  experimentStatus: string;
  status: 'ok' | 'failed';
  trigger: string;
  computedAt: Date;
  durationMs: number;
  counts: unknown;
  readout: unknown;
  segments: unknown;
  evidence?: unknown;
  error?: string;
  identityConflicts?: unknown;
}

/** Indexes: `_id` only; snapshots are found through their experiment's head (see SnapshotRepository). */
export function snapshotModel(connection: Connection): Model<SnapshotDoc> {
  if (connection.models.Snapshot) return connection.models.Snapshot as Model<SnapshotDoc>;
  const schema = new Schema<SnapshotDoc>(
    {
      _id: { type: String, required: true },
      experiment: { type: String, required: true },
      experimentId: { type: String, required: true },
      phase: { type: Number, required: true },
      experimentStatus: { type: String, required: true },
      status: { type: String, required: true },
      trigger: { type: String, required: true },
      computedAt: { type: Date, required: true },
      durationMs: { type: Number, required: true },
      counts: { type: Schema.Types.Mixed },
      readout: { type: Schema.Types.Mixed },
      segments: { type: Schema.Types.Mixed },
      evidence: { type: Schema.Types.Mixed },
      error: { type: String },
      identityConflicts: { type: Schema.Types.Mixed },
    },
    { versionKey: false, collection: 'snapshots', minimize: false },
  );
  return connection.model<SnapshotDoc>('Snapshot', schema);
}

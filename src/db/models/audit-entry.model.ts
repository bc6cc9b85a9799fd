import { type Connection, type Model, Schema } from 'mongoose';

export interface AuditEntryDoc {
  _id: string;
  at: Date;
  actor: string;
  actorKeyId: string;
  action: string;
  kind: string;
  key: string;
  before: unknown;
  after: unknown;
}

/** Indexes: `at` (newest first), `kind` + `key` + `at` (one entity's history), `actor` + `at`. */
export function auditEntryModel(connection: Connection): Model<AuditEntryDoc> {
  if (connection.models.AuditEntry) return connection.models.AuditEntry as Model<AuditEntryDoc>;
  const schema = new Schema<AuditEntryDoc>(
    {
      _id: { type: String, required: true },
      at: { type: Date, required: true },
      actor: { type: String, required: true },
      actorKeyId: { type: String, required: true },
      action: { type: String, required: true },
      kind: { type: String, required: true },
      key: { type: String, required: true },
      before: { type: Schema.Types.Mixed },
      after: { type: Schema.Types.Mixed },
    },
    { versionKey: false, collection: 'audit_log', minimize: false },
  );
  schema.index({ at: -1 });
  schema.index({ kind: 1, key: 1, at: -1 });
  schema.index({ actor: 1, at: -1 });
  return connection.model<AuditEntryDoc>('AuditEntry', schema);
}

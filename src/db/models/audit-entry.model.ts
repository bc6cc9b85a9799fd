import { type Connection, type Model, Schema } from 'mongoose';

export interface AuditEntryDoc {
  _id: string;
  at: Date;
  actor: string;
  actorKeyId: string;
  source?: string;
  action: string;
  kind: string;
  key: string;
  before: unknown;
  after: unknown;
}

/** Audit entries, read by `_id` only (numbered ids, see AuditRepository). */
export function auditEntryModel(connection: Connection): Model<AuditEntryDoc> {
  if (connection.models.AuditEntry) return connection.models.AuditEntry as Model<AuditEntryDoc>;
  const schema = new Schema<AuditEntryDoc>(
    {
      _id: { type: String, required: true },
      at: { type: Date, required: true },
      actor: { type: String, required: true },
      actorKeyId: { type: String, required: true },
      source: { type: String },
      action: { type: String, required: true },
      kind: { type: String, required: true },
      key: { type: String, required: true },
      before: { type: Schema.Types.Mixed },
      after: { type: Schema.Types.Mixed },
    },
    { versionKey: false, collection: 'audit_log', minimize: false },
  );
  return connection.model<AuditEntryDoc>('AuditEntry', schema);
}

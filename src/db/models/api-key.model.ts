import { type Connection, type Model, Schema } from 'mongoose';

export interface ApiKeyDoc {
  _id: string;
  name: string;
  role: string;
  hash: string;
  prefix: string;
  clientKey?: string;
  /** App keys: the touchpoints and channels the key may use; absent means all. */
  scope?: { touchpoints?: string[]; channels?: string[] };
  sdk?: { decryptionKey?: string; secureAttributes?: string[]; secureAttributeSalt?: string };
  createdAt: Date;
  createdBy: string;
  revokedAt?: Date;
}

/** Indexes: `hash` (unique; every authenticated request), `name` (unique; human handle), `clientKey` (SDK payload). */
export function apiKeyModel(connection: Connection): Model<ApiKeyDoc> {
  if (connection.models.ApiKey) return connection.models.ApiKey as Model<ApiKeyDoc>;
  const schema = new Schema<ApiKeyDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      role: { type: String, required: true },
      hash: { type: String, required: true },
      prefix: { type: String, required: true },
      clientKey: { type: String },
      scope: { type: Object },
      sdk: { type: Object },
      createdAt: { type: Date, required: true },
      createdBy: { type: String, required: true },
      revokedAt: { type: Date },
    },
    { versionKey: false, collection: 'api_keys' },
  );
  schema.index({ hash: 1 }, { unique: true });
  schema.index({ name: 1 }, { unique: true });
  schema.index({ clientKey: 1 }, { unique: true, sparse: true });
  return connection.model<ApiKeyDoc>('ApiKey', schema);
}

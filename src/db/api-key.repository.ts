import type { Connection, Model } from 'mongoose';
import { onlyDuplicates } from './duplicate-keys.js';
import { ensureModelIndexes } from './indexes.js';
import { type ApiKeyDoc, apiKeyModel } from './models/api-key.model.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: string;
  prefix: string;
  clientKey?: string;
  scope?: { touchpoints?: string[]; channels?: string[] };
  /** GrowthBook SDK protection of the client key's payload (both are shipped inside the app). */
  sdk?: { decryptionKey?: string; secureAttributes?: string[]; secureAttributeSalt?: string };
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

function toPlain(doc: ApiKeyDoc): ApiKeyRecord {
  return {
    id: doc._id,
    name: doc.name,
    role: doc.role,
    prefix: doc.prefix,
    ...(doc.clientKey ? { clientKey: doc.clientKey } : {}),
    ...(doc.scope ? { scope: doc.scope } : {}),
    ...(doc.sdk ? { sdk: doc.sdk } : {}),
    createdAt: doc.createdAt.toISOString(),
    createdBy: doc.createdBy,
    ...(doc.revokedAt ? { revokedAt: doc.revokedAt.toISOString() } : {}),
  };
}

export class ApiKeyRepository {
  private readonly model: Model<ApiKeyDoc>;

  constructor(connection: Connection) {
    this.model = apiKeyModel(connection);
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  /** False when the name (or the secret's hash) is taken: two creations at once, one wins. */
  async insert(record: ApiKeyRecord, hash: string): Promise<boolean> {
    try {
      await this.model.collection.insertOne({
        _id: record.id,
        name: record.name,
        role: record.role,
        hash,
        prefix: record.prefix,
        ...(record.clientKey ? { clientKey: record.clientKey } : {}),
        ...(record.scope ? { scope: record.scope } : {}),
        ...(record.sdk ? { sdk: record.sdk } : {}),
        createdAt: new Date(record.createdAt),
        createdBy: record.createdBy,
      } as never);
      return true;
    } catch (err) {
      if (onlyDuplicates(err)) return false;
      throw err;
    }
  }

  async findActiveByHash(hash: string): Promise<ApiKeyRecord | null> {
    const doc = await this.model.findOne({ hash, revokedAt: { $exists: false } }).lean<ApiKeyDoc>();
    return doc ? toPlain(doc) : null;
  }

  /** Active or revoked: whether a secret was ever issued. */
  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const doc = await this.model.findOne({ hash }).lean<ApiKeyDoc>();
    return doc ? toPlain(doc) : null;
  }

  async findActiveByClientKey(clientKey: string): Promise<ApiKeyRecord | null> {
    const doc = await this.model.findOne({ clientKey, revokedAt: { $exists: false } }).lean<ApiKeyDoc>();
    return doc ? toPlain(doc) : null;
  }

  async findByName(name: string): Promise<ApiKeyRecord | null> {
    const doc = await this.model.findOne({ name }).lean<ApiKeyDoc>();
    return doc ? toPlain(doc) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const docs = await this.model.find().sort({ name: 1 }).lean<ApiKeyDoc[]>();
    return docs.map(toPlain);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: id, revokedAt: { $exists: false } },
      { $set: { revokedAt: at } },
    );
    return result.modifiedCount === 1;
  }
}

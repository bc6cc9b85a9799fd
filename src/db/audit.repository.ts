import { randomBytes } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { escapeFieldNames, unescapeFieldNames } from './field-names.js';
import { ensureModelIndexes } from './indexes.js';
import { type AuditEntryDoc, auditEntryModel } from './models/audit-entry.model.js';

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  actorKeyId: string;
  action: string;
  kind: string;
  key: string;
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  kind?: string;
  key?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  limit: number;
}

function toPlain(doc: AuditEntryDoc): AuditEntry {
  return {
    id: doc._id,
    at: doc.at.toISOString(),
    actor: doc.actor,
    actorKeyId: doc.actorKeyId,
    action: doc.action,
    kind: doc.kind,
    key: doc.key,
    before: unescapeFieldNames(doc.before ?? null),
    after: unescapeFieldNames(doc.after ?? null),
  };
}

export class AuditRepository {
  private readonly model: Model<AuditEntryDoc>;

  constructor(connection: Connection) {
    this.model = auditEntryModel(connection);
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  async record(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.model.collection.insertOne({
      ...entry,
      _id: `aud_${randomBytes(12).toString('base64url')}`,
      at: new Date(entry.at),
      before: escapeFieldNames(entry.before ?? null),
      after: escapeFieldNames(entry.after ?? null),
    } as never);
  }

  async list(filter: AuditFilter): Promise<AuditEntry[]> {
    const query: Record<string, unknown> = {};
    if (filter.kind) query.kind = filter.kind;
    if (filter.key) query.key = filter.key;
    if (filter.actor) query.actor = filter.actor;
    if (filter.action) query.action = filter.action;
    if (filter.since || filter.until) {
      query.at = {
        ...(filter.since ? { $gte: new Date(filter.since) } : {}),
        ...(filter.until ? { $lte: new Date(filter.until) } : {}),
      };
    }
    const docs = await this.model.find(query).sort({ at: -1 }).limit(filter.limit).lean<AuditEntryDoc[]>();
    return docs.map(toPlain);
  }
}

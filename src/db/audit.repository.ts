import type { Collection, Connection, Model } from 'mongoose';
import { escapeFieldNames, unescapeFieldNames } from './field-names.js';
import { ensureModelIndexes } from './indexes.js';
import { type AuditEntryDoc, auditEntryModel } from './models/audit-entry.model.js';
import { SequenceIds } from './sequence-ids.js';

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  actorKeyId: string;
  /** Where the change came from (`api`, `dashboard`, `sync`, ...); absent on entries from before it was kept. */
  source?: string;
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
  /** An entry id: only entries recorded before it (the `next` of the previous page). */
  before?: string;
  limit: number;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Where the next page starts (pass it as `before`), or null when the log was read to its start. */
  next: string | null;
}

/** Entries looked at per call at most, so a filter that matches rarely still answers in bounded time. */
export const AUDIT_SCAN_LIMIT = 5000;
const PAGE = 500;

function toPlain(doc: AuditEntryDoc): AuditEntry {
  return {
    id: doc._id,
    at: doc.at.toISOString(),
    actor: doc.actor,
    actorKeyId: doc.actorKeyId,
    ...(doc.source ? { source: doc.source } : {}),
    action: doc.action,
    kind: doc.kind,
    key: doc.key,
    before: unescapeFieldNames(doc.before ?? null),
    after: unescapeFieldNames(doc.after ?? null),
  };
}

/**
 * The audit log, append-only, under dense ordered ids (`aud_000000000001`, ...): the newest
 * entries, and each page before a given entry, are read by `_id`. Filters apply to the entries
 * read, at most `scanLimit` (AUDIT_SCAN_LIMIT) per call; the page's `next` goes on from where it stopped.
 */
export class AuditRepository {
  private readonly model: Model<AuditEntryDoc>;
  private readonly ids: SequenceIds<AuditEntryDoc>;

  constructor(
    connection: Connection,
    private readonly scanLimit = AUDIT_SCAN_LIMIT,
  ) {
    this.model = auditEntryModel(connection);
    this.ids = new SequenceIds(this.model.collection as unknown as Collection<AuditEntryDoc>, 'aud_');
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
    await this.renumberLegacy();
  }

  async record(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.ids.insert({
      ...entry,
      at: new Date(entry.at),
      before: escapeFieldNames(entry.before ?? null),
      after: escapeFieldNames(entry.after ?? null),
    });
  }

  async list(filter: AuditFilter): Promise<AuditPage> {
    const since = filter.since ? new Date(filter.since).getTime() : null;
    const until = filter.until ? new Date(filter.until).getTime() : null;
    const matches = (d: AuditEntryDoc): boolean =>
      (!filter.kind || d.kind === filter.kind) &&
      (!filter.key || d.key === filter.key) &&
      (!filter.actor || d.actor === filter.actor) &&
      (!filter.action || d.action === filter.action) &&
      (since === null || d.at.getTime() >= since) &&
      (until === null || d.at.getTime() <= until);
    let cursor = filter.before ? (this.ids.numberOf(filter.before) ?? 1) : (await this.ids.last()) + 1;
    const items: AuditEntry[] = [];
    let scanned = 0;
    while (cursor > 1 && items.length < filter.limit && scanned < this.scanLimit) {
      const docs = await this.ids.before(cursor, Math.min(PAGE, this.scanLimit - scanned));
      if (docs.length === 0) {
        cursor = 1;
        break;
      }
      for (const d of docs) {
        cursor = this.ids.numberOf(d._id) ?? 1;
        scanned++;
        if (matches(d)) items.push(toPlain(d));
        if (items.length >= filter.limit) break;
        // Older than `since`: every entry further back is older still.
        if (since !== null && d.at.getTime() < since) {
          cursor = 1;
          break;
        }
      }
    }
    return { items, next: cursor > 1 ? this.ids.id(cursor) : null };
  }

  /**
   * Data folders from before the dense ids hold entries under random ids, which the pages above
   * never read: give them dense ids once, oldest first (one scan, at the first start only).
   */
  private async renumberLegacy(): Promise<void> {
    const first = await this.model.collection.findOne({}, { projection: { _id: 1 } });
    if (!first || this.ids.numberOf(String(first._id)) !== null) return;
    const legacy = (await this.model.collection.find({}).toArray()) as unknown as AuditEntryDoc[];
    const old = legacy
      .filter((d) => this.ids.numberOf(d._id) === null)
      .sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const d of old) {
      const { _id, ...rest } = d;
      await this.ids.insert(rest);
      await this.model.collection.deleteOne({ _id } as never);
    }
  }
}

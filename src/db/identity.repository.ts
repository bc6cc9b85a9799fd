import type { Collection, Connection, mongo } from 'mongoose';

/**
 * One id in the identity graph, `_id` = the id. An alias (an anonymous or device id) names its
 * customer; a customer lists its aliases and the variants its group keeps (`sticky`). An id is
 * one or the other, never both, so resolving takes one hop.
 */
export interface IdentityRecord {
  id: string;
  /** Set on an alias: the customer it belongs to. */
  customerId?: string;
  /** Set on an alias: false between the claim and the end of the link (a retry finishes it). */
  complete?: boolean;
  linkedAt?: Date;
  /** Set on a customer: its aliases. */
  aliases?: string[];
  /** Set on a customer: `<experiment or holdout id>|<phase>` -> the variant the group keeps. */
  sticky?: Record<string, string>;
}

interface IdentityDoc {
  _id: string;
  customerId?: string;
  complete?: boolean;
  linkedAt?: Date;
  aliases?: string[];
  /** Stored as JSON: experiment ids and phases are not field names to put in a document. */
  sticky?: string;
}

/** One link in the order it was made, for the directories of every instance. */
export interface LinkEntry {
  s: number;
  a: string;
  c: string;
}

interface LogDoc {
  _id: string;
  l: LinkEntry[];
}

/** An identity conflict kept as an example in a readout. */
export interface ConflictExample {
  kind: 'split' | 'claim';
  anonymousId: string;
  customerId: string;
  /** For a refused claim: the customer that claimed the id. */
  claimedBy?: string;
  /** For a split: the variant each id had been shown. */
  variants?: Record<string, string>;
  at: string;
}

/** Refused claims and conflict examples of one experiment (or holdout) phase. */
export interface ConflictRecord {
  claims: number;
  examples: ConflictExample[];
}

interface ConflictDoc {
  _id: string;
  claims?: number;
  examples?: string[];
}

/** Links per log document: a start-up reads the whole log in a few hundred `_id` reads per million. */
export const LOG_CHUNK = 1000;
/** Examples kept per experiment phase; the counts go on past it. */
export const MAX_CONFLICT_EXAMPLES = 10;
const CHUNK = 500;

function toRecord(d: IdentityDoc): IdentityRecord {
  const r: IdentityRecord = { id: d._id };
  if (d.customerId !== undefined) r.customerId = d.customerId;
  if (d.complete !== undefined) r.complete = d.complete;
  if (d.linkedAt) r.linkedAt = new Date(d.linkedAt);
  if (d.aliases) r.aliases = d.aliases;
  if (d.sticky) r.sticky = JSON.parse(d.sticky) as Record<string, string>;
  return r;
}

const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000;

/**
 * The identity graph (`identities`), the link log (`identity_log`, chunk documents `<n>` holding
 * links n*1000 .. n*1000+999) and the conflict records (`identity_conflicts`). Every read and
 * write is by `_id`.
 */
export class IdentityRepository {
  private readonly ids: Collection<IdentityDoc>;
  private readonly log: Collection<LogDoc>;
  private readonly conflicts: Collection<ConflictDoc>;

  constructor(connection: Connection) {
    this.ids = connection.collection<IdentityDoc>('identities') as unknown as Collection<IdentityDoc>;
    this.log = connection.collection<LogDoc>('identity_log') as unknown as Collection<LogDoc>;
    this.conflicts = connection.collection<ConflictDoc>(
      'identity_conflicts',
    ) as unknown as Collection<ConflictDoc>;
  }

  /** Index: `_id`. */
  async getMany(ids: readonly string[]): Promise<Map<string, IdentityRecord>> {
    const out = new Map<string, IdentityRecord>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const docs = await this.ids
        .find({ _id: { $in: unique.slice(i, i + CHUNK) } } as mongo.Filter<IdentityDoc>)
        .toArray();
      for (const d of docs) out.set(d._id, toRecord(d));
    }
    return out;
  }

  async get(id: string): Promise<IdentityRecord | null> {
    const doc = await this.ids.findOne({ _id: id } as mongo.Filter<IdentityDoc>);
    return doc ? toRecord(doc) : null;
  }

  /**
   * Claims an alias for a customer: the `_id` makes two concurrent claims of one id end with one
   * winner. False when the alias document exists already (the caller reads it to see whose it is).
   */
  async claimAlias(alias: string, customerId: string, at: Date): Promise<boolean> {
    try {
      await this.ids.insertOne({ _id: alias, customerId, complete: false, linkedAt: at });
      return true;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  async completeAlias(alias: string): Promise<void> {
    await this.ids.updateOne({ _id: alias } as mongo.Filter<IdentityDoc>, { $set: { complete: true } });
  }

  /** Adds the alias to the customer's list and stores the group's sticky variants (idempotent). */
  async saveCustomer(customerId: string, alias: string, sticky: Record<string, string>): Promise<void> {
    await this.ids.updateOne(
      { _id: customerId } as mongo.Filter<IdentityDoc>,
      { $addToSet: { aliases: alias }, $set: { sticky: JSON.stringify(sticky) } },
      { upsert: true },
    );
  }

  /** Appends a link to the log under its sequence number (from the `identities` version counter). */
  async appendLog(entry: LinkEntry): Promise<void> {
    await this.log.updateOne(
      { _id: String(Math.floor(entry.s / LOG_CHUNK)) } as mongo.Filter<LogDoc>,
      { $push: { l: entry } },
      { upsert: true },
    );
  }

  /** Links with sequence numbers from `from` to `to` (inclusive), read by chunk `_id`. */
  async readLog(from: number, to: number): Promise<LinkEntry[]> {
    if (to < from) return [];
    const ids: string[] = [];
    for (let k = Math.floor(from / LOG_CHUNK); k <= Math.floor(to / LOG_CHUNK); k++) ids.push(String(k));
    const out: LinkEntry[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const docs = await this.log
        .find({ _id: { $in: ids.slice(i, i + CHUNK) } } as mongo.Filter<LogDoc>)
        .toArray();
      for (const d of docs) for (const e of d.l ?? []) if (e.s >= from && e.s <= to) out.push(e);
    }
    return out.sort((a, b) => a.s - b.s);
  }

  /**
   * Notes a refused claim once per (alias, claiming customer): true the first time, so the caller
   * counts it in the readouts only once however often the app retries.
   */
  async noteClaim(alias: string, claimedBy: string): Promise<boolean> {
    try {
      await this.conflicts.insertOne({ _id: `claim|${alias}|${claimedBy}` });
      return true;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  /** Adds to the conflict record of an experiment phase (`<id>|<phase>`); examples stop at the cap. */
  async recordConflict(phaseKey: string, claims: number, example: ConflictExample): Promise<void> {
    const _id = `phase|${phaseKey}`;
    const current = await this.conflicts.findOne({ _id } as mongo.Filter<ConflictDoc>);
    const room = (current?.examples?.length ?? 0) < MAX_CONFLICT_EXAMPLES;
    const update: mongo.UpdateFilter<ConflictDoc> = {};
    if (claims > 0) update.$inc = { claims };
    if (room) update.$addToSet = { examples: JSON.stringify(example) };
    if (Object.keys(update).length === 0) return;
    await this.conflicts.updateOne({ _id } as mongo.Filter<ConflictDoc>, update, { upsert: true });
  }

  async conflictsOf(phaseKey: string): Promise<ConflictRecord> {
    const doc = await this.conflicts.findOne({ _id: `phase|${phaseKey}` } as mongo.Filter<ConflictDoc>);
    const examples = (doc?.examples ?? []).map((e) => JSON.parse(e) as ConflictExample);
    examples.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return { claims: doc?.claims ?? 0, examples };
  }
}

import type { Connection, Model } from 'mongoose';
import { escapeFieldNames, unescapeFieldNames } from './field-names.js';
import { ensureModelIndexes } from './indexes.js';
import { type DefinitionDoc, type DefinitionKind, definitionModel } from './models/definition.model.js';

/** What every stored definition carries beside its own fields. */
export interface Stored {
  id: string;
  key: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The definitions file that manages it (`experiments/x.yaml`), set by sync; absent otherwise. */
  source?: string;
}

function toPlain<T extends Stored>(doc: DefinitionDoc): T {
  const { _id, createdAt, updatedAt, ...rest } = doc;
  return {
    id: _id,
    ...unescapeFieldNames(rest),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  } as unknown as T;
}

function toDoc(value: Stored & Record<string, unknown>): DefinitionDoc {
  const { id, createdAt, updatedAt, ...rest } = value;
  return {
    _id: id,
    ...escapeFieldNames(rest),
    createdAt: new Date(createdAt),
    updatedAt: new Date(updatedAt),
  } as DefinitionDoc;
}

export class DuplicateKeyError extends Error {}

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number })?.code === 11000;
}

/** One repository shape for journeys, touchpoints, nudges and experiments; returns plain objects. */
export class DefinitionRepository<T extends Stored> {
  readonly model: Model<DefinitionDoc>;

  constructor(
    connection: Connection,
    readonly kind: DefinitionKind,
  ) {
    this.model = definitionModel(connection, kind);
  }

  async ensureIndexes(): Promise<void> {
    await ensureModelIndexes(this.model as never);
  }

  async list(filter: Record<string, string | number | boolean> = {}): Promise<T[]> {
    const docs = await this.model.find(filter).sort({ key: 1 }).lean<DefinitionDoc[]>();
    return docs.map((d) => toPlain<T>(d));
  }

  async getByKey(key: string): Promise<T | null> {
    const doc = await this.model.findOne({ key }).lean<DefinitionDoc>();
    return doc ? toPlain<T>(doc) : null;
  }

  async count(filter: Record<string, string | number | boolean>): Promise<number> {
    return this.model.countDocuments(filter);
  }

  /** Throws DuplicateKeyError when the key is taken. */
  async insert(value: T): Promise<T> {
    try {
      await this.model.collection.insertOne(toDoc(value as T & Record<string, unknown>) as never);
    } catch (err) {
      if (isDuplicate(err)) throw new DuplicateKeyError(value.key);
      throw err;
    }
    return value;
  }

  /**
   * Replaces the stored definition if it still has `expectedVersion` (optimistic concurrency);
   * returns false when another writer got there first.
   */
  async replace(value: T, expectedVersion: number): Promise<boolean> {
    const result = await this.model.collection.replaceOne(
      { _id: value.id, version: expectedVersion } as never,
      toDoc(value as T & Record<string, unknown>),
    );
    return result.matchedCount === 1;
  }

  async deleteByKey(key: string): Promise<boolean> {
    const result = await this.model.deleteOne({ key });
    return result.deletedCount === 1;
  }

  async deleteById(id: string): Promise<boolean> {
    const result = await this.model.collection.deleteOne({ _id: id } as never);
    return result.deletedCount === 1;
  }
}

import type { Connection } from 'mongoose';
import { type EventDoc, eventModel } from './models/event.model.js';
import {
  type ExposureDoc,
  type ExposureLayout,
  exposureModel,
  storedExposure,
} from './models/exposure.model.js';

export interface InsertCounts {
  inserted: number;
  /** Already stored under the same id (a second run of the same import). */
  duplicates: number;
}

interface BulkError {
  code?: number;
  writeErrors?: { code?: number; err?: { code?: number } }[];
  result?: { insertedCount?: number };
  insertedCount?: number;
}

/** Unordered bulk insert; duplicate ids are counted, any other write error is thrown. */
async function insertCounting(
  insert: (docs: never[]) => Promise<{ insertedCount: number }>,
  docs: readonly unknown[],
): Promise<InsertCounts> {
  if (docs.length === 0) return { inserted: 0, duplicates: 0 };
  try {
    const r = await insert(docs as never[]);
    return { inserted: r.insertedCount, duplicates: docs.length - r.insertedCount };
  } catch (err) {
    const e = err as BulkError;
    const errors = e.writeErrors ?? (e.code === 11000 ? [{ code: 11000 }] : []);
    const onlyDuplicates = errors.length > 0 && errors.every((w) => (w.code ?? w.err?.code) === 11000);
    if (!onlyDuplicates) throw err;
    return { inserted: docs.length - errors.length, duplicates: errors.length };
  }
}

/** Bulk writes for importing past experiments; ids are deterministic so a rerun only finds duplicates. */
export class ImportRepository {
  /** Exposures are written in `layout`, as the service writes them. */
  constructor(
    private readonly connection: Connection,
    private readonly layout: ExposureLayout,
  ) {}

  insertExposures(docs: readonly ExposureDoc[]): Promise<InsertCounts> {
    const c = exposureModel(this.connection).collection;
    const stored = docs.map((d) => storedExposure(d, this.layout));
    return insertCounting((d) => c.insertMany(d, { ordered: false }), stored);
  }

  insertEvents(docs: readonly EventDoc[]): Promise<InsertCounts> {
    const c = eventModel(this.connection).collection;
    return insertCounting((d) => c.insertMany(d, { ordered: false }), docs);
  }
}

import type { Model } from 'mongoose';
import { isFerretDb } from './connection.js';

/**
 * Creates the indexes a model's schema declares. On FerretDB 1.x (the embedded database), whose
 * SQLite queries use no index but the `_id` one (`explain` shows `SCAN` for every other filter),
 * only unique indexes are created: they enforce constraints, while the others would only make
 * every write slower.
 */
export async function ensureModelIndexes(model: Model<never>): Promise<void> {
  if (!(await isFerretDb(model.db))) {
    await model.createIndexes();
    return;
  }
  for (const [fields, options] of model.schema.indexes()) {
    if (options?.unique) await model.collection.createIndex(fields as never, options as never);
  }
}

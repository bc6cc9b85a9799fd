import type { Model } from 'mongoose';

/**
 * Creates the indexes a model's schema declares, the same set on every server. The collections
 * that grow with traffic (exposures, events, units, queue, counters, snapshots) declare none
 * beyond `_id`: every hot path is a lookup by `_id`. The others (definitions, keys, alerts, audit)
 * stay small; their indexes enforce uniqueness or help MongoDB page them, and cost little on the
 * embedded server, whose planner serves only `_id` from an index.
 */
export async function ensureModelIndexes(model: Model<never>): Promise<void> {
  await model.createIndexes();
}

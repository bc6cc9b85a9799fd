import type { QueuedItem } from '../../db/attribution-queue.repository.js';
import type { ExposureDoc } from '../../db/exposure.repository.js';
import { queuedExposure } from './queue-items.js';

export interface ExposureSaving {
  queue: { add(items: readonly QueuedItem[], ready: boolean): Promise<unknown> };
  exposures: { insertIgnoringDuplicates(docs: readonly ExposureDoc[]): Promise<Set<number>> };
  /** Tells the attributor that something was queued. */
  wake(): void;
}

/**
 * Queues exposures for attribution, then stores them, so an exposure is never stored without
 * being queued (attribution ignores one it has seen already, so a batch saved twice is harmless).
 * Throws when either write failed; the caller keeps the batch (journal) and saves it again later.
 */
export async function saveExposures(to: ExposureSaving, docs: readonly ExposureDoc[]): Promise<void> {
  const items = docs.flatMap((d) => queuedExposure(d) ?? []);
  if (items.length > 0) await to.queue.add(items, true);
  to.wake();
  await to.exposures.insertIgnoringDuplicates(docs);
}

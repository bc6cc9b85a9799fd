import type {
  AttributionQueueRepository,
  QueueEntry,
  QueueHead,
} from '../../db/attribution-queue.repository.js';

/**
 * The lease holder's picture of the queue's heads. Reading every head is the one scan on the
 * attribution path, and it grows with the backlog; the holder is the only one removing entries,
 * so it reads the heads once and picks batches from what it knows, reading them again only when
 * what it knows no longer fills a batch, or after `rescanMs` (so entries other instances queued,
 * or entries that became ready, are seen). Order matters only for fairness: attribution gives the
 * same sums in any order.
 */
export class QueueView {
  private known: QueueHead[] = [];
  private scannedAt = 0;
  private waiting = 0;

  constructor(
    private readonly queue: AttributionQueueRepository,
    private readonly rescanMs = 10_000,
  ) {}

  /** Forgets what it knows (a failure, a replay, the lease lost or regained). */
  invalidate(): void {
    this.known = [];
    this.scannedAt = 0;
  }

  /**
   * The oldest entries up to about `maxItems` items: ready ones, and unready ones older than
   * `staleMs` (their writer died between its two steps). Also the items waiting in all, as known.
   */
  async next(
    maxItems: number,
    staleMs: number,
    now = Date.now(),
  ): Promise<{ entries: QueueEntry[]; waiting: number }> {
    let picked = this.pick(maxItems, staleMs, now);
    if (picked.items < maxItems || now - this.scannedAt > this.rescanMs) {
      this.known = await this.queue.heads();
      this.scannedAt = now;
      this.waiting = this.known.reduce((sum, h) => sum + h.n, 0);
      picked = this.pick(maxItems, staleMs, now);
    }
    return { entries: await this.queue.entries(picked.heads), waiting: this.waiting };
  }

  /** The entries were attributed and removed. */
  removed(ids: readonly string[]): void {
    const gone = new Set(ids);
    const left: QueueHead[] = [];
    for (const h of this.known) {
      if (gone.has(h.id)) this.waiting -= h.n;
      else left.push(h);
    }
    this.known = left;
    this.waiting = Math.max(0, this.waiting);
  }

  private pick(maxItems: number, staleMs: number, now: number): { heads: QueueHead[]; items: number } {
    const cutoff = now - staleMs;
    const heads: QueueHead[] = [];
    let items = 0;
    for (const h of this.known) {
      if (!h.ready && h.at.getTime() > cutoff) continue;
      if (heads.length > 0 && items + h.n > maxItems) return { heads, items: maxItems };
      heads.push(h);
      items += h.n;
    }
    return { heads, items };
  }
}

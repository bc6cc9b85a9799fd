import type { EventRepository } from '../../db/event.repository.js';
import type { Logger } from '../../logger.js';
import { noOutcomeSink, type OutcomeSink } from '../outcome-sink.js';

export interface EventAttributorOptions {
  repo: Pick<EventRepository, 'pendingAttribution' | 'clearAttribution' | 'countPendingAttribution'>;
  sink: () => OutcomeSink;
  logger?: Logger;
  /** Events per pass (oldest received first). */
  batchSize?: number;
  /** Pause between polls when nothing was pending; a capture wakes the loop sooner. */
  idleMs?: number;
  /** First pause after a failed pass; doubles on each further failure up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface EventAttributorStats {
  /** Events still marked pending, as of the last pass (-1 before the first). */
  pending: number;
  attributed: number;
  failures: number;
}

/**
 * Attributes stored events to exposures behind the response. Every event is inserted with
 * `attribution: 'pending'`; a pass picks a batch of pending events, runs the outcome sink on them and
 * then clears the marker of exactly those ids, so a crash or a failing pass leaves them pending for
 * the next one. Attribution recomputes from the events under a revision check, so attributing an
 * event twice (a pass that failed after partly writing, two instances on one database) is harmless.
 * Passes in one process run one at a time.
 */
export class EventAttributor {
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private failuresInRow = 0;
  private readonly counters = { pending: -1, attributed: 0, failures: 0 };

  constructor(private readonly opts: EventAttributorOptions) {
    this.batchSize = opts.batchSize ?? 1000;
    this.idleMs = opts.idleMs ?? 2000;
    this.backoffMs = opts.backoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the loop and waits for a pass in flight; pending events stay pending in the database. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
  }

  /** Events were just stored: run a pass soon instead of after the idle pause. */
  wake(): void {
    if (this.running && this.failuresInRow === 0) this.schedule(0);
  }

  stats(): EventAttributorStats {
    return { ...this.counters };
  }

  /** One pass: attributes up to one batch of pending events; returns how many it attributed. Throws on failure. */
  drainOnce(): Promise<number> {
    const pass = this.chain.catch(() => undefined).then(() => this.pass());
    this.chain = pass;
    return pass;
  }

  /**
   * Passes until nothing is pending, so what was acknowledged before the call is attributed when it
   * returns (a refresh calls it before computing). Throws when a pass fails.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drainOnce();
      total += n;
      if (n < this.batchSize) return total;
    }
  }

  private async pass(): Promise<number> {
    const sink = this.opts.sink();
    // Until attribution is wired there is nobody to attribute to; clearing would lose the events.
    if (sink === noOutcomeSink) return 0;
    const ids = await this.opts.repo.pendingAttribution(this.batchSize);
    if (ids.length === 0) {
      this.counters.pending = 0;
      return 0;
    }
    try {
      await sink.eventsStored(ids);
      await this.opts.repo.clearAttribution(ids);
    } catch (err) {
      this.counters.failures++;
      this.counters.pending = await this.opts.repo.countPendingAttribution().catch(() => ids.length);
      throw err;
    }
    this.counters.attributed += ids.length;
    // A short batch means nothing older was left; a full one needs a count (a scan on FerretDB).
    this.counters.pending =
      ids.length < this.batchSize ? 0 : await this.opts.repo.countPendingAttribution().catch(() => -1);
    return ids.length;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    try {
      const n = await this.drainOnce();
      this.failuresInRow = 0;
      this.schedule(n >= this.batchSize ? 0 : this.idleMs);
    } catch (err) {
      this.failuresInRow++;
      const wait = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (this.failuresInRow - 1));
      this.opts.logger?.error(
        { err, pending: this.counters.pending, retryInMs: wait },
        'event attribution failed; the events stay pending',
      );
      this.schedule(wait);
    }
  }
}

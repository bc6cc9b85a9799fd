import { randomBytes } from 'node:crypto';
import type { AttributionQueueRepository, QueuedItem } from '../../db/attribution-queue.repository.js';
import { AttributionQueueRepository as Queue } from '../../db/attribution-queue.repository.js';
import type { LeaseRepository } from '../../db/lease.repository.js';
import type { BatchRecord, ReadoutStatsRepository } from '../../db/readout-stats.repository.js';
import type { UnitRepository } from '../../db/unit.repository.js';
import type { LogSink } from '../../logger.js';
import { DomainError } from '../errors.js';
import {
  admitBucket,
  applyBatch,
  type ExperimentMetrics,
  idsToRead,
  linkedIds,
  shardOf,
} from './apply-batch.js';
import { QueueView } from './queue-view.js';

export const ATTRIBUTION_LEASE = 'attribution';

export interface AttributorDeps {
  queue: AttributionQueueRepository;
  units: UnitRepository;
  stats: ReadoutStatsRepository;
  leases: LeaseRepository;
  /** Which of these event ids are stored (for queue entries whose writer died before marking them). */
  storedEventIds: (ids: readonly string[]) => Promise<Set<string>>;
  metricsOf: (experimentId: string) => Promise<ExperimentMetrics | null>;
  /** Exposure attributes broken down into segments. */
  attributes: readonly string[];
  logger?: LogSink;
  /** Queued items per batch. */
  batchItems?: number;
  /** Pause between polls when nothing was queued (a local capture wakes the loop sooner). */
  idleMs?: number;
  /**
   * Pause after a batch that was less than a quarter full, so light traffic is attributed in
   * fewer, larger batches (each costs about twenty database commands whatever its size) instead
   * of one per capture; 0: none. A second (the default) took the embedded database's CPU at 300
   * assignments a second from 360-400 to 115-240 ms per second; a refresh of the readouts
   * drains the queue first, so a readout never shows the lag.
   */
  gatherMs?: number;
  leaseMs?: number;
  /** Age after which an unready queue entry is resolved against what was stored. */
  staleMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called between the steps of a batch; a throw there stands for a crash at that point (tests). */
  fault?: (step: 'loaded' | 'committed' | 'units' | 'stats' | 'queue') => void;
}

/** What the service asks of attribution, whether it runs in the service's thread or in one of its own. */
export type AttributionRunner = Pick<
  Attributor,
  'start' | 'stop' | 'wake' | 'stats' | 'drain' | 'drainOnce' | 'exclusive'
>;

export interface AttributorStats {
  /** Whether this instance holds the attribution lease. */
  holder: boolean;
  /** Items waiting in the queue, as of the last look (-1 before the first). */
  pending: number;
  attributedEvents: number;
  attributedExposures: number;
  batches: number;
  replayed: number;
  failures: number;
}

/**
 * Attributes queued exposures and events to units and keeps the readout sums up to date. One
 * instance at a time holds the lease and works the queue in batches; each batch is written as a
 * record before any of it is applied (the units whole, increments guarded by the batch sequence,
 * then the queue entries removed), so a crash anywhere replays the record and every increment
 * lands exactly once. Other instances stand by and take over when the lease expires.
 */
export class Attributor {
  private readonly owner = `${randomBytes(6).toString('hex')}`;
  private readonly batchItems: number;
  private readonly idleMs: number;
  private readonly gatherMs: number;
  /** No batch starts before this time (epoch ms): the gathering pause after a small batch. */
  private notBefore = 0;
  private readonly leaseMs: number;
  private readonly staleMs: number;
  private holder = false;
  private epoch = 0;
  /** Batches started in this epoch: sequence numbers are epoch * 1e9 + this, never reused. */
  private counter = 0;
  private renewedAt = 0;
  private replayNeeded = true;
  /** Segment values holding a bucket, per `<experimentId>|<phase>` and attribute. */
  private buckets = new Map<string, Map<string, Set<string>>>();
  private readonly view: QueueView;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private failuresInRow = 0;
  private readonly counters = {
    pending: -1,
    attributedEvents: 0,
    attributedExposures: 0,
    batches: 0,
    replayed: 0,
    failures: 0,
  };

  constructor(private readonly deps: AttributorDeps) {
    this.batchItems = deps.batchItems ?? 2000;
    this.idleMs = deps.idleMs ?? 500;
    this.gatherMs = deps.gatherMs ?? 1000;
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.staleMs = deps.staleMs ?? 60_000;
    this.view = new QueueView(deps.queue);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the loop, waits for a batch in flight and gives the lease up. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
    if (this.holder) {
      this.holder = false;
      await this.deps.leases.release(ATTRIBUTION_LEASE, this.epoch).catch(() => undefined);
    }
  }

  /** Something was queued here: look soon instead of after the idle pause. */
  wake(): void {
    if (this.running && this.failuresInRow === 0) this.schedule(0);
  }

  stats(): AttributorStats {
    return { holder: this.holder, ...this.counters };
  }

  /** One batch (taking the lease if free); returns the number of items attributed. Throws on failure. */
  drainOnce(): Promise<number> {
    const pass = this.chain.catch(() => undefined).then(() => this.pass());
    this.chain = pass;
    return pass;
  }

  /**
   * Attributes everything queued before the call. The lease holder works the queue itself; an
   * instance that cannot take the lease waits for the holder to get past the call's watermark.
   */
  async drain(timeoutMs = 120_000): Promise<number> {
    const watermark = Queue.watermark();
    const deadline = Date.now() + timeoutMs;
    let total = 0;
    for (;;) {
      const n = await this.drainOnce();
      total += n;
      if (n > 0) continue;
      if (!(await this.deps.queue.hasUpTo(watermark))) return total;
      if (Date.now() > deadline) throw new Error('attribution did not catch up in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Runs `fn` while holding the lease with the queue worked to empty, so nothing else attributes
   * meanwhile (the full recompute). Throws when another instance holds the lease.
   */
  exclusive<T>(fn: (seq: number) => Promise<T>): Promise<T> {
    const run = this.chain
      .catch(() => undefined)
      .then(async () => {
        while ((await this.pass()) > 0) {
          // the queue is worked down first
        }
        const seq = await this.holdLease();
        if (seq === null) throw new DomainError('attribution_busy');
        try {
          return await fn(seq);
        } finally {
          this.resetCaches();
        }
      });
    this.chain = run;
    return run;
  }

  private resetCaches(): void {
    this.buckets = new Map();
    this.view.invalidate();
  }

  private async holdLease(): Promise<number | null> {
    if (!this.holder) {
      const epoch = await this.deps.leases.claim(ATTRIBUTION_LEASE, this.owner, this.leaseMs);
      if (epoch === null) return null;
      this.holder = true;
      this.epoch = epoch;
      this.counter = 0;
      this.replayNeeded = true;
      this.resetCaches();
    } else if (!(await this.deps.leases.extend(ATTRIBUTION_LEASE, this.epoch, this.leaseMs))) {
      this.holder = false;
      this.resetCaches();
      return null;
    }
    this.renewedAt = Date.now();
    this.counter++;
    return this.epoch * 1e9 + this.counter;
  }

  /** Refuses to write when the lease may have lapsed since it was renewed (a long pause). */
  private checkLease(): void {
    if (Date.now() - this.renewedAt > this.leaseMs / 3) {
      this.holder = false;
      throw new Error('attribution lease may have lapsed during the batch; leaving it to the next holder');
    }
  }

  private async pass(): Promise<number> {
    let seq = await this.holdLease();
    if (seq === null) return 0;
    if (this.replayNeeded) {
      await this.replay();
      this.replayNeeded = false;
      this.view.invalidate();
      seq = await this.holdLease();
      if (seq === null) return 0;
    }
    const { entries, waiting } = await this.view.next(this.batchItems, this.staleMs);
    this.counters.pending = waiting;
    if (entries.length === 0) return 0;
    const items: QueuedItem[] = [];
    for (const entry of entries) {
      if (entry.ready) {
        items.push(...entry.items);
        continue;
      }
      const events = entry.items.filter((i) => i.t === 'e');
      const stored = await this.deps.storedEventIds(events.map((i) => i.id));
      items.push(...entry.items.filter((i) => i.t !== 'e' || stored.has(i.id)));
    }
    try {
      const record = await this.compute(
        seq,
        items,
        entries.map((e) => e.id),
      );
      this.deps.fault?.('loaded');
      this.checkLease();
      await this.deps.stats.writeBatch(record);
      this.replayNeeded = true;
      this.deps.fault?.('committed');
      await this.apply(record);
      this.replayNeeded = false;
    } catch (err) {
      this.counters.failures++;
      this.resetCaches();
      throw err;
    }
    this.counters.batches++;
    for (const it of items) {
      if (it.t === 'e') this.counters.attributedEvents++;
      else if (it.t === 'x') this.counters.attributedExposures++;
    }
    this.counters.pending = Math.max(0, waiting - entries.reduce((sum, e) => sum + e.items.length, 0));
    return Math.max(items.length, 1);
  }

  private async compute(seq: number, items: QueuedItem[], queueIds: string[]): Promise<BatchRecord> {
    const loaded = await this.deps.units.getMany(idsToRead(items));
    // The units they point to (a linked alias's customer, a customer's accounts), and theirs in turn.
    for (let round = 0; round < 4; round++) {
      const more = linkedIds(loaded);
      if (more.length === 0) break;
      const found = await this.deps.units.getMany(more);
      for (const id of more) loaded.set(id, found.get(id) ?? { id, x: [], ev: [], l: [] });
    }
    const experiments = new Set<string>();
    const phases = new Set<string>();
    for (const u of loaded.values()) for (const x of u.x) experiments.add(x.e);
    for (const it of items) {
      if (it.t !== 'x') continue;
      experiments.add(it.e);
      phases.add(`${it.e}|${it.p}`);
    }
    const metrics = new Map<string, ExperimentMetrics | null>();
    for (const e of experiments) metrics.set(e, await this.deps.metricsOf(e));
    for (const key of phases) await this.loadBuckets(key);
    const applied = applyBatch(items, loaded, {
      metricsOf: (e) => metrics.get(e) ?? null,
      attributes: this.deps.attributes,
      bucket: (e, p, a, value) => this.bucket(`${e}|${p}`, a, value),
      shard: shardOf(seq),
    });
    return { seq, units: applied.units, stats: applied.stats, queueIds };
  }

  private async loadBuckets(key: string): Promise<void> {
    if (this.buckets.has(key)) return;
    const [e, p] = [key.slice(0, key.lastIndexOf('|')), Number(key.slice(key.lastIndexOf('|') + 1))];
    this.buckets.set(key, await this.deps.stats.bucketValues(e, p, this.deps.attributes));
  }

  private bucket(key: string, attribute: string, value: string): string {
    let byAttr = this.buckets.get(key);
    if (!byAttr) {
      byAttr = new Map();
      this.buckets.set(key, byAttr);
    }
    let values = byAttr.get(attribute);
    if (!values) {
      values = new Set();
      byAttr.set(attribute, values);
    }
    return admitBucket(values, value);
  }

  /** Applies a committed batch; every step is idempotent, so a replay may repeat any of them. */
  private async apply(record: BatchRecord): Promise<void> {
    await this.deps.units.replaceMany(record.units);
    this.deps.fault?.('units');
    await this.deps.stats.applyDeltas(record.stats, record.seq);
    this.deps.fault?.('stats');
    await this.deps.queue.remove(record.queueIds);
    this.view.removed(record.queueIds);
    this.deps.fault?.('queue');
    await this.deps.stats.removeBatch(record);
  }

  private async replay(): Promise<void> {
    for (const record of await this.deps.stats.pendingBatches()) {
      await this.apply(record);
      this.counters.replayed++;
      this.deps.logger?.info({ seq: record.seq }, 'attribution batch replayed');
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(ms, this.notBefore - Date.now()));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    try {
      const n = await this.drainOnce();
      this.failuresInRow = 0;
      this.notBefore = n > 0 && n < this.batchItems / 4 ? Date.now() + this.gatherMs : 0;
      // A stand-by instance polls less often; the holder goes on at once while there is work.
      this.schedule(n > 0 ? 0 : this.holder ? this.idleMs : this.idleMs * 4);
    } catch (err) {
      this.failuresInRow++;
      const base = this.deps.backoffMs ?? 500;
      const wait = Math.min(this.deps.maxBackoffMs ?? 30_000, base * 2 ** (this.failuresInRow - 1));
      this.deps.logger?.error(
        { err, pending: this.counters.pending, retryInMs: wait },
        'attribution failed; the queue keeps its entries',
      );
      this.schedule(wait);
    }
  }
}

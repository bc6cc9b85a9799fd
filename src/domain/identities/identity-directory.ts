import type { IdentityRecord, LinkEntry } from '../../db/identity.repository.js';
import type { Logger } from '../../logger.js';

/** What the directory reads: the link log, its version counter and customers by `_id`. */
export interface IdentityLogSource {
  version(): Promise<number>;
  readLog(from: number, to: number): Promise<LinkEntry[]>;
  get(id: string): Promise<IdentityRecord | null>;
}

export interface IdentityDirectoryOptions {
  source: IdentityLogSource;
  logger?: Logger;
  pollMs: number;
  /** Customers whose sticky variants are kept in memory; the least recently loaded go first. */
  cacheSize?: number;
  /** A cached customer older than this is read again (another instance may have linked an id). */
  ttlMs?: number;
  /** A sequence number still missing from the log after this long is given up (its writer died). */
  holeMs?: number;
}

/** Sticky variants of a customer's group: `<experiment or holdout id>|<phase>` -> variant. */
export type StickyVariants = ReadonlyMap<string, string>;

const NONE: StickyVariants = new Map();

/**
 * Every linked id held in memory, so the assignment path resolves an id without a database read
 * and an id that was never linked (nearly all of them) costs one Map lookup. It is loaded from the
 * link log at start (chunk documents read by `_id`, no scan) and kept fresh by polling the
 * log's version counter, as the payload is. Only a linked id's sticky variants are read from the
 * database (one `_id` read, then cached), so only customers with aliases ever wait for one.
 * Memory: about 150 bytes per linked id.
 */
export class IdentityDirectory {
  private readonly aliases = new Map<string, string>();
  private readonly customers = new Set<string>();
  private readonly sticky = new Map<string, { variants: StickyVariants; at: number }>();
  private readonly loading = new Map<string, Promise<StickyVariants>>();
  private seen = 0;
  private holeSince = 0;
  private loaded: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly opts: IdentityDirectoryOptions) {}

  /** Loads the log once; every caller waits for the same load. */
  ready(): Promise<void> {
    this.loaded ??= this.catchUp().catch((err: unknown) => {
      this.loaded = null;
      throw err;
    });
    return this.loaded;
  }

  /** True once the first load finished, so the hot path can skip awaiting it. */
  private isReady = false;

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The customer an id belongs to (itself for a customer with aliases); undefined for an id never linked. */
  resolve(id: string): string | undefined {
    const customer = this.aliases.get(id);
    if (customer !== undefined) return customer;
    return this.customers.has(id) ? id : undefined;
  }

  /** Resolves after the first load (the only wait an unknown id can have, once per process). */
  async resolveReady(id: string): Promise<string | undefined> {
    if (!this.isReady) {
      // Without the database at start every id answers as itself; the next poll catches up.
      await this.ready().catch((err: unknown) => {
        this.isReady = true;
        this.opts.logger?.warn(
          { err },
          'identity log not loaded; ids answer as themselves until a poll loads it',
        );
      });
    }
    return this.resolve(id);
  }

  /** A link made here: known at once, without waiting for the poll. */
  learn(alias: string, customerId: string): void {
    this.aliases.set(alias, customerId);
    this.customers.add(customerId);
    this.sticky.delete(customerId);
  }

  /** The variants the customer's group keeps; read by `_id` on a miss, then cached. */
  async stickyOf(customerId: string, now = Date.now()): Promise<StickyVariants> {
    const hit = this.sticky.get(customerId);
    if (hit && now - hit.at < (this.opts.ttlMs ?? 10_000)) return hit.variants;
    const inFlight = this.loading.get(customerId);
    if (inFlight) return inFlight;
    const load = this.opts.source
      .get(customerId)
      .then((doc) => {
        const variants: StickyVariants = doc?.sticky ? new Map(Object.entries(doc.sticky)) : NONE;
        this.remember(customerId, variants, now);
        return variants;
      })
      .finally(() => this.loading.delete(customerId));
    this.loading.set(customerId, load);
    return load;
  }

  private remember(customerId: string, variants: StickyVariants, at: number): void {
    this.sticky.delete(customerId);
    this.sticky.set(customerId, { variants, at });
    const max = this.opts.cacheSize ?? 100_000;
    while (this.sticky.size > max) {
      const first = this.sticky.keys().next().value;
      if (first === undefined) break;
      this.sticky.delete(first);
    }
  }

  /** Applies the links made since the last look (by any instance); safe to call at any time. */
  poll(): Promise<void> {
    this.polling ??= this.catchUp()
      .catch((err: unknown) => this.opts.logger?.debug({ err }, 'identity log poll failed'))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  private async catchUp(now = Date.now()): Promise<void> {
    const version = await this.opts.source.version();
    if (version > this.seen) {
      const entries = await this.opts.source.readLog(this.seen + 1, version);
      const bySeq = new Map(entries.map((e) => [e.s, e]));
      let s = this.seen;
      while (s < version) {
        const e = bySeq.get(s + 1);
        if (!e) {
          // The counter moves before the entry is written: wait a little, then give the number up.
          if (this.holeSince === 0) this.holeSince = now;
          if (now - this.holeSince < (this.opts.holeMs ?? 30_000)) break;
        } else {
          this.learn(e.a, e.c);
        }
        this.holeSince = 0;
        s++;
      }
      this.seen = s;
    }
    this.isReady = true;
  }

  /** Linked ids known here (aliases and customers). */
  get size(): number {
    return this.aliases.size + this.customers.size;
  }
}

import type { ContactChange } from '../../db/fatigue.repository.js';
import type { Logger } from '../../logger.js';
import { MAX_WINDOW_DAYS } from '../schemas/fatigue-policy.schema.js';
import { atCap, contactEntry, dayOf, expired, type PolicyScope } from './contact-window.js';

export interface ContactStore {
  read(ids: readonly string[]): Promise<Map<string, string[]>>;
  insertNew(docs: readonly { id: string; add: readonly string[] }[]): Promise<string[]>;
  apply(changes: readonly ContactChange[]): Promise<void>;
}

export interface FatigueGateOptions {
  store: ContactStore;
  logger?: Logger;
  /** Customers kept in memory; the least recently loaded go first. */
  cacheSize?: number;
  /** A cached state older than this is read again, to see contacts other instances counted. */
  ttlMs?: number;
  flushMs?: number;
  /** Contacts kept per customer; past it the oldest are forgotten (a bot or a test account). */
  maxEntries?: number;
}

interface Cached {
  entries: Set<string>;
  loadedAt: number;
  /** Whether the store holds a document for the customer (a first contact is an insert). */
  stored: boolean;
}

/**
 * Counts nudged contacts per customer and says when a customer is at a cap. The request path reads
 * a customer's contacts from an in-process cache; a miss is one `_id` read, batched with the other
 * misses of the same moment; a new contact is written behind the response (`$addToSet`, every
 * `flushMs`). Across instances the cap is as fresh as `ttlMs`: two instances answering one customer
 * within it may each allow the last contact once.
 */
export class FatigueGate {
  private readonly cache = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Cached>>();
  private batch: {
    ids: string[];
    resolve: (m: Map<string, string[]>) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private scheduled = false;
  private pending = new Map<string, { add: Set<string>; remove: Set<string> }>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly cacheSize: number;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly opts: FatigueGateOptions) {
    this.cacheSize = opts.cacheSize ?? 200_000;
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 200;
  }

  /**
   * For a customer answered at least one variant on this touchpoint: true when a policy covering it
   * is at its cap (answer the default); otherwise the contact is counted (once per touchpoint and day).
   */
  async capped(
    customerId: string,
    touchpoint: { key: string; journey?: string },
    policies: readonly PolicyScope[],
    now: Date,
  ): Promise<boolean> {
    const state = await this.state(customerId, now);
    const entries = state.entries;
    const today = dayOf(now);
    const entry = contactEntry(today, touchpoint.journey, touchpoint.key);
    if (entries.has(entry)) return false;
    if (policies.some((p) => atCap(entries, p, today))) return true;
    entries.add(entry);
    this.change(customerId).add.add(entry);
    if (entries.size > this.maxEntries) {
      const oldest = [...entries].sort((a, b) => Number(a.split('|')[0]) - Number(b.split('|')[0]))[0];
      if (oldest) {
        entries.delete(oldest);
        this.change(customerId).remove.add(oldest);
      }
    }
    this.schedule();
    return false;
  }

  /** The customer's contacts (a copy), for the cap state an SDK can be given. */
  async contacts(customerId: string, now = new Date()): Promise<Set<string>> {
    return new Set((await this.state(customerId, now)).entries);
  }

  private change(id: string): { add: Set<string>; remove: Set<string> } {
    let c = this.pending.get(id);
    if (!c) {
      c = { add: new Set(), remove: new Set() };
      this.pending.set(id, c);
    }
    return c;
  }

  private async state(id: string, now: Date): Promise<Cached> {
    const hit = this.cache.get(id);
    if (hit && now.getTime() - hit.loadedAt < this.ttlMs) return hit;
    const inFlight = this.loading.get(id);
    if (inFlight) return inFlight;
    const load = this.load(id)
      .then((stored) => {
        const today = dayOf(now);
        const entries = new Set(stored ?? []);
        // Contacts this instance counted but has not written yet are part of the state too.
        for (const e of this.pending.get(id)?.add ?? []) entries.add(e);
        const old = expired(entries, today, MAX_WINDOW_DAYS);
        for (const e of old) {
          entries.delete(e);
          this.change(id).remove.add(e);
        }
        if (old.length > 0) this.schedule();
        const state = {
          entries,
          loadedAt: now.getTime(),
          stored: stored !== undefined || hit?.stored === true,
        };
        this.remember(id, state);
        return state;
      })
      .finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }

  private remember(id: string, value: Cached): void {
    this.cache.delete(id);
    this.cache.set(id, value);
    while (this.cache.size > this.cacheSize) {
      const first = this.cache.keys().next().value;
      if (first === undefined) break;
      this.cache.delete(first);
    }
  }

  /** Misses of one turn of the event loop share one `_id: {$in}` read. */
  private load(id: string): Promise<string[] | undefined> {
    return new Promise<Map<string, string[]>>((resolve, reject) => {
      this.batch.push({ ids: [id], resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.readBatch());
      }
    }).then((m) => m.get(id));
  }

  private async readBatch(): Promise<void> {
    const waiting = this.batch;
    this.batch = [];
    this.scheduled = false;
    try {
      const found = await this.opts.store.read([...new Set(waiting.flatMap((w) => w.ids))]);
      for (const w of waiting) w.resolve(found);
    } catch (err) {
      for (const w of waiting) w.reject(err);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.opts.flushMs ?? 50);
    this.timer.unref();
  }

  /** Writes the counted contacts; on failure they stay pending and are tried again. */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const taken = this.pending;
    this.pending = new Map();
    const changes: ContactChange[] = [...taken].map(([id, c]) => ({
      id,
      add: [...c.add],
      remove: [...c.remove],
    }));
    const fresh = changes.filter((c) => c.remove.length === 0 && this.cache.get(c.id)?.stored === false);
    const write = async () => {
      const existed = new Set(fresh.length > 0 ? await this.opts.store.insertNew(fresh) : []);
      for (const c of fresh) {
        const cached = this.cache.get(c.id);
        if (cached) cached.stored = true;
      }
      const inserted = new Set(fresh.map((c) => c.id).filter((id) => !existed.has(id)));
      await this.opts.store.apply(changes.filter((c) => !inserted.has(c.id)));
    };
    this.flushing = write()
      .catch((err: unknown) => {
        this.opts.logger?.warn({ err }, 'fatigue contacts not written; retrying');
        for (const ch of changes) {
          const c = this.change(ch.id);
          for (const e of ch.add) c.add.add(e);
          for (const e of ch.remove) c.remove.add(e);
        }
        this.schedule();
      })
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}

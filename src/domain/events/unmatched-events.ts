import type { UnmatchedEventRecord, UnmatchedEventRepository } from '../../db/unmatched-event.repository.js';
import { eventsRead, type MetricDefinition } from '../../metrics/registry.js';

export { isNearMiss } from '../near-miss.js';

/** Experiments that ended this long ago still count as readers: late survey answers are normal. */
export const RECENT_DAYS = 30;
const CACHE_MS = 5000;

export interface ReadingExperiment {
  status: string;
  updatedAt?: string | undefined;
  metrics: readonly MetricDefinition[];
}

/** The event names running, paused and recently ended experiments read. */
export function readNames(experiments: readonly ReadingExperiment[], now = Date.now()): Set<string> {
  const names = new Set<string>();
  const since = now - RECENT_DAYS * 24 * 3600_000;
  for (const e of experiments) {
    if (e.status === 'draft') continue;
    const ended = e.status === 'stopped' || e.status === 'concluded';
    if (ended && !(Date.parse(e.updatedAt ?? '') >= since)) continue;
    for (const m of e.metrics) for (const name of eventsRead(m)) names.add(name);
  }
  return names;
}

/**
 * Tells which events of a write no experiment reads, remembers their names (for the readouts'
 * "did you mean") and counts them (for /metrics). The experiments are cached for a few seconds:
 * every event write would otherwise read the definitions.
 */
export class UnmatchedEvents {
  private cache: { names: Set<string>; until: number } | undefined;
  private total = 0;

  constructor(
    private readonly experiments: () => Promise<readonly ReadingExperiment[]>,
    private readonly repo: UnmatchedEventRepository,
  ) {}

  async check(
    events: readonly { name: string; customerId: string }[],
  ): Promise<{ name: string; events: number }[]> {
    if (events.length === 0) return [];
    const read = await this.readNames();
    const byName = new Map<string, { events: number; customers: string[] }>();
    for (const e of events) {
      if (read.has(e.name)) continue;
      const entry = byName.get(e.name) ?? { events: 0, customers: [] };
      entry.events++;
      if (entry.customers.length < 10) entry.customers.push(e.customerId);
      byName.set(e.name, entry);
    }
    const now = new Date();
    // One point write per name, all at once: the events request waits for them.
    await Promise.all(
      [...byName].map(([name, entry]) => {
        this.total += entry.events;
        return this.repo.record(name, entry.events, entry.customers, now);
      }),
    );
    return [...byName.entries()].map(([name, e]) => ({ name, events: e.events }));
  }

  /** Unmatched events counted by this process since it started. */
  count(): number {
    return this.total;
  }

  seen(): Promise<UnmatchedEventRecord[]> {
    return this.repo.list();
  }

  private async readNames(): Promise<Set<string>> {
    const now = Date.now();
    if (!this.cache || this.cache.until <= now) {
      this.cache = { names: readNames(await this.experiments(), now), until: now + CACHE_MS };
    }
    return this.cache.names;
  }
}

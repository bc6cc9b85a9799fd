import { randomBytes } from 'node:crypto';
import type { ExposureForAttribution, OutcomeRepository } from '../db/outcome.repository.js';
import type { OutcomeSink } from './outcome-sink.js';
import {
  type AttributableEvent,
  type AttributableMetric,
  computeOutcomeState,
  maxWindowHours,
} from './outcomes/outcome-state.js';

const HOUR_MS = 3_600_000;
const MAX_ATTEMPTS = 8;
const CHUNK = 500;

/** Finds an experiment's metrics by experiment id; null when the experiment is gone. */
export type MetricsLookup = (experimentId: string) => Promise<readonly AttributableMetric[] | null>;

/**
 * Keeps each exposure's outcome state up to date as events and exposures are stored. The state is
 * recomputed from the customer's events inside the widest window (see outcome-state.ts) and written
 * with an optimistic revision check, so concurrent writers, replays and out-of-order arrivals all
 * converge on the same state. QA exposures are never attributed.
 */
export class OutcomeAttributionService implements OutcomeSink {
  constructor(
    private readonly repo: OutcomeRepository,
    private readonly metricsOf: MetricsLookup,
  ) {}

  async eventsStored(eventIds: readonly string[]): Promise<void> {
    const events = await this.repo.eventsByIds(eventIds);
    if (events.length === 0) return;
    const latestByCustomer = new Map<string, number>();
    for (const e of events) {
      latestByCustomer.set(
        e.customerId,
        Math.max(latestByCustomer.get(e.customerId) ?? 0, e.occurredAt.getTime()),
      );
    }
    const exposures = await this.repo.exposuresOfCustomers([...latestByCustomer.keys()]);
    // An event before the exposure can never count for it, so such exposures need no work.
    const affected = exposures.filter((x) => {
      const latest = Math.max(latestByCustomer.get(x.unitId) ?? 0, latestByCustomer.get(x.customerId) ?? 0);
      return latest >= x.exposedAt.getTime();
    });
    await this.recomputeAll(affected);
  }

  async exposuresStored(exposureIds: readonly string[]): Promise<void> {
    const exposures = await this.repo.exposuresByIds(exposureIds);
    await this.recomputeAll(exposures.filter((x) => !x.qa));
  }

  async exposuresInserted(exposures: readonly ExposureForAttribution[]): Promise<void> {
    await this.recomputeAll(exposures.filter((x) => !x.qa));
  }

  /**
   * Recomputes in chunks: one read of the chunk's events, one bulk write, one read-back of which
   * writes held. Writes that lost a race are read again and recomputed.
   */
  private async recomputeAll(exposures: ExposureForAttribution[]): Promise<void> {
    let pending = exposures;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      const lost: string[] = [];
      for (let i = 0; i < pending.length; i += CHUNK) {
        lost.push(...(await this.recomputeChunk(pending.slice(i, i + CHUNK))));
      }
      pending = lost.length > 0 ? await this.repo.exposuresByIds(lost) : [];
    }
    if (pending.length > 0) {
      throw new Error(`outcome state of ${pending.length} exposures kept changing; gave up`);
    }
  }

  private async recomputeChunk(chunk: ExposureForAttribution[]): Promise<string[]> {
    const metricsById = new Map<string, readonly AttributableMetric[]>();
    for (const id of new Set(chunk.map((x) => x.experimentId))) {
      const metrics = await this.metricsOf(id);
      if (metrics && metrics.length > 0) metricsById.set(id, metrics);
    }
    const work = chunk.filter((x) => metricsById.has(x.experimentId) && !x.qa);
    if (work.length === 0) return [];
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const x of work) {
      const window = maxWindowHours(metricsById.get(x.experimentId)!) * HOUR_MS;
      from = Math.min(from, x.exposedAt.getTime());
      to = Math.max(to, x.exposedAt.getTime() + window);
    }
    const customers = [...new Set(work.flatMap((x) => [x.unitId, x.customerId]))];
    const events = await this.repo.eventsOf(customers, new Date(from), new Date(to));
    const byCustomer = new Map<string, AttributableEvent[]>();
    for (const e of events) byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e]);
    const items = work.flatMap((x) => {
      const own = new Map<string, AttributableEvent>();
      for (const c of [x.unitId, x.customerId]) for (const e of byCustomer.get(c) ?? []) own.set(e.id, e);
      const state = computeOutcomeState(x, metricsById.get(x.experimentId)!, [...own.values()]);
      // Nothing to attribute and nothing attributed before: no write needed.
      if (x.rev === 0 && state.tally.length === 0 && Object.keys(state.outcomes).length === 0) return [];
      return [{ id: x.id, rev: x.rev, state }];
    });
    return this.repo.writeOutcomeStates(items, randomBytes(8).toString('hex'));
  }
}

/**
 * Caches experiments' metrics by id for a few seconds: every event would otherwise read the
 * definitions. An unknown id reloads at once, so a new experiment is seen on its first exposure.
 */
export function cachedMetricsLookup(
  load: () => Promise<{ id: string; metrics: readonly AttributableMetric[] }[]>,
  ttlMs = 5000,
): MetricsLookup {
  let cache = new Map<string, readonly AttributableMetric[]>();
  let loadedAt = 0;
  const reload = async () => {
    cache = new Map((await load()).map((e) => [e.id, e.metrics]));
    loadedAt = Date.now();
  };
  return async (id) => {
    if (Date.now() - loadedAt > ttlMs || !cache.has(id)) await reload();
    return cache.get(id) ?? null;
  };
}

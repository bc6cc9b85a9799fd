import type { ExposureForAttribution, OutcomeRepository } from '../db/outcome.repository.js';
import type { OutcomeSink } from './outcome-sink.js';
import { type AttributableMetric, computeOutcomeState, maxWindowHours } from './outcomes/outcome-state.js';

const HOUR_MS = 3_600_000;
const MAX_ATTEMPTS = 8;
const PARALLEL = 8;

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

  private async recomputeAll(exposures: ExposureForAttribution[]): Promise<void> {
    for (let i = 0; i < exposures.length; i += PARALLEL) {
      await Promise.all(exposures.slice(i, i + PARALLEL).map((x) => this.recompute(x)));
    }
  }

  private async recompute(first: ExposureForAttribution): Promise<void> {
    const metrics = await this.metricsOf(first.experimentId);
    if (!metrics || metrics.length === 0) return;
    const windowMs = maxWindowHours(metrics) * HOUR_MS;
    let exposure: ExposureForAttribution | undefined = first;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && exposure; attempt++) {
      const customers = [...new Set([exposure.unitId, exposure.customerId])];
      const from = exposure.exposedAt;
      const events = await this.repo.eventsOf(customers, from, new Date(from.getTime() + windowMs));
      const state = computeOutcomeState(exposure, metrics, events);
      if (await this.repo.writeOutcomeState(exposure.id, exposure.rev, state)) return;
      [exposure] = await this.repo.exposuresByIds([exposure.id]);
    }
    if (exposure) throw new Error(`outcome state of exposure ${exposure.id} kept changing; gave up`);
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

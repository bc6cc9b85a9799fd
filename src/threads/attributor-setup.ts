import type { Connection } from 'mongoose';
import { AttributionQueueRepository } from '../db/attribution-queue.repository.js';
import { DefinitionRepository } from '../db/definition.repository.js';
import { EventRepository } from '../db/event.repository.js';
import { LeaseRepository } from '../db/lease.repository.js';
import { ReadoutStatsRepository } from '../db/readout-stats.repository.js';
import { UnitRepository } from '../db/unit.repository.js';
import { Attributor, type AttributorDeps } from '../domain/attribution/attributor.js';
import { cachedMetricsLookup } from '../domain/attribution/metrics-lookup.js';
import type { Experiment } from '../domain/schemas/experiment.schema.js';
import type { Holdout } from '../domain/schemas/holdout.schema.js';

/** The stores attribution reads and writes. */
export interface AttributionStores {
  queue: AttributionQueueRepository;
  units: UnitRepository;
  stats: ReadoutStatsRepository;
  leases: LeaseRepository;
  events: EventRepository;
  experiments: DefinitionRepository<Experiment>;
  holdouts: DefinitionRepository<Holdout>;
}

export type AttributorOptions = Pick<
  AttributorDeps,
  'attributes' | 'logger' | 'idleMs' | 'batchItems' | 'gatherMs' | 'leaseMs'
>;

/** The stores over a connection of their own (the attribution thread's). */
export function attributionStores(connection: Connection): AttributionStores {
  return {
    queue: new AttributionQueueRepository(connection),
    units: new UnitRepository(connection),
    stats: new ReadoutStatsRepository(connection),
    leases: new LeaseRepository(connection),
    events: new EventRepository(connection),
    experiments: new DefinitionRepository<Experiment>(connection, 'experiment'),
    holdouts: new DefinitionRepository<Holdout>(connection, 'holdout'),
  };
}

/** The attributor over these stores, in the service's thread or in one of its own. */
export function attributorOn(stores: AttributionStores, opts: AttributorOptions): Attributor {
  const { queue, units, stats, leases, events, experiments, holdouts } = stores;
  return new Attributor({
    queue,
    units,
    stats,
    leases,
    storedEventIds: (ids) => events.storedIds(ids),
    // Holdout arms are attributed like experiment variants, under the holdout's id.
    metricsOf: cachedMetricsLookup(async () => [...(await experiments.list()), ...(await holdouts.list())]),
    ...opts,
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { AttributionQueueRepository } from '../../db/attribution-queue.repository.js';
import { pingDatabase } from '../../db/connection.js';
import { DefinitionRepository, type Stored } from '../../db/definition.repository.js';
import { EventRepository } from '../../db/event.repository.js';
import { ExposureRepository } from '../../db/exposure.repository.js';
import { LeaseRepository } from '../../db/lease.repository.js';
import { MetaRepository } from '../../db/meta.repository.js';
import { ReadoutStatsRepository } from '../../db/readout-stats.repository.js';
import { UnitRepository } from '../../db/unit.repository.js';
import { UnmatchedEventRepository } from '../../db/unmatched-event.repository.js';
import type { Logger } from '../../logger.js';
import { Attributor } from '../attribution/attributor.js';
import type { MetricsLookup } from '../attribution/metrics-lookup.js';
import { queuedExposure } from '../attribution/queue-items.js';
import { EventsService } from '../events/events.service.js';
import { UnmatchedEvents } from '../events/unmatched-events.js';
import type { Experiment } from '../schemas/experiment.schema.js';
import { AssignmentService } from './assignment.service.js';
import type { ExperimentDefinition, NudgeDefinition, TouchpointDefinition } from './compiled.types.js';
import { ExposureJournal } from './exposure-journal.js';
import { ExposureWriter } from './exposure-writer.js';

export interface CaptureOptions {
  /** The journal lives in `<dataDir>/journal`; a fresh temporary folder when absent (tests). */
  dataDir?: string;
  journalMaxBytes?: number;
  pollMs?: number;
  exposureAttributes?: readonly string[];
  flushMs?: number;
  /** Pause of the attributor's loop when nothing is queued. */
  attributionIdleMs?: number;
  /** Queued items per attribution batch. */
  attributionBatchItems?: number;
}

export interface Capture {
  assignments: AssignmentService;
  exposures: ExposureWriter;
  events: EventsService;
  /** Events no experiment reads: counted, and remembered by name for "did you mean". */
  unmatched: UnmatchedEvents;
  /** Attributes queued exposures and events behind the response; `drain()` before reading outcomes. */
  attribution: Attributor;
  queue: AttributionQueueRepository;
  stats: ReadoutStatsRepository;
  units: UnitRepository;
  leases: LeaseRepository;
  eventRepo: EventRepository;
  exposureRepo: ExposureRepository;
  ensureIndexes(): Promise<void>;
  close(): Promise<void>;
}

/** Builds assignment, exposure and event capture on one connection; called by createServices. */
export function createCapture(
  connection: Connection,
  logger: Logger,
  metricsOf: MetricsLookup,
  opts: CaptureOptions = {},
): Capture {
  const exposureRepo = new ExposureRepository(connection);
  const experimentRepo = new DefinitionRepository<Stored & ExperimentDefinition>(connection, 'experiment');
  const eventRepo = new EventRepository(connection);
  const queue = new AttributionQueueRepository(connection);
  const stats = new ReadoutStatsRepository(connection);
  const units = new UnitRepository(connection);
  const leases = new LeaseRepository(connection);
  const exposureAttributes = opts.exposureAttributes ?? ['segment', 'channel', 'country', 'plan', 'device'];
  const dir = opts.dataDir
    ? path.join(opts.dataDir, 'journal')
    : mkdtempSync(path.join(tmpdir(), 'nudgelab-journal-'));
  // One journal per database, so two services on one data folder never replay into the wrong one.
  const journal = new ExposureJournal(
    dir,
    opts.journalMaxBytes ?? 64 * 1024 * 1024,
    `exposures.${connection.name}`,
  );
  const exposures = new ExposureWriter({
    store: exposureRepo,
    journal,
    attribute: async (docs) => {
      const items = docs.flatMap((d) => queuedExposure(d) ?? []);
      if (items.length > 0) await queue.add(items, true);
      attribution.wake();
    },
    logger,
    ping: () => pingDatabase(connection),
    ...(opts.flushMs ? { flushMs: opts.flushMs } : {}),
  });
  const assignments = new AssignmentService({
    touchpoints: new DefinitionRepository<Stored & TouchpointDefinition>(connection, 'touchpoint'),
    nudges: new DefinitionRepository<Stored & NudgeDefinition>(connection, 'nudge'),
    experiments: experimentRepo,
    meta: new MetaRepository(connection),
    writer: exposures,
    logger,
    pollMs: opts.pollMs ?? 2000,
    exposureAttributes,
  });
  assignments.start();
  const attribution = new Attributor({
    queue,
    units,
    stats,
    leases,
    storedEventIds: (ids) => eventRepo.storedIds(ids),
    metricsOf,
    attributes: exposureAttributes,
    logger,
    ...(opts.attributionIdleMs ? { idleMs: opts.attributionIdleMs } : {}),
    ...(opts.attributionBatchItems ? { batchItems: opts.attributionBatchItems } : {}),
  });
  attribution.start();
  const unmatched = new UnmatchedEvents(
    () => new DefinitionRepository<Experiment>(connection, 'experiment').list(),
    new UnmatchedEventRepository(connection),
  );
  const events = new EventsService(eventRepo, queue, () => attribution.wake(), unmatched);
  return {
    assignments,
    exposures,
    events,
    unmatched,
    attribution,
    queue,
    stats,
    units,
    leases,
    eventRepo,
    exposureRepo,
    async ensureIndexes() {
      await Promise.all([exposureRepo.ensureIndexes(), eventRepo.ensureIndexes()]);
    },
    async close() {
      await assignments.close();
      await attribution.stop();
      // A temporary journal folder (no DATA_DIR given) goes with the instance unless it still holds exposures.
      if (!opts.dataDir && !journal.pending) rmSync(dir, { recursive: true, force: true });
    },
  };
}

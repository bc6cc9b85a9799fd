import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { pingDatabase } from '../../db/connection.js';
import { DefinitionRepository, type Stored } from '../../db/definition.repository.js';
import { EventRepository } from '../../db/event.repository.js';
import { ExposureRepository } from '../../db/exposure.repository.js';
import { MetaRepository } from '../../db/meta.repository.js';
import type { Logger } from '../../logger.js';
import { EventAttributor } from '../events/event-attributor.js';
import { EventsService } from '../events/events.service.js';
import { noOutcomeSink, type OutcomeSink } from '../outcome-sink.js';
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
  /** Pause of the event attributor's loop when nothing is pending. */
  attributionIdleMs?: number;
}

export interface Capture {
  assignments: AssignmentService;
  exposures: ExposureWriter;
  events: EventsService;
  /** Attributes stored events behind the response; `drain()` before reading outcomes. */
  attribution: EventAttributor;
  /** Where stored exposures and events go next (outcome attribution); no-op until set. */
  setOutcomeSink(sink: OutcomeSink): void;
  outcomeSink(): OutcomeSink;
  ensureIndexes(): Promise<void>;
  close(): Promise<void>;
}

/** Builds assignment, exposure and event capture on one connection; called by createServices. */
export function createCapture(connection: Connection, logger: Logger, opts: CaptureOptions = {}): Capture {
  let sink: OutcomeSink = noOutcomeSink;
  const exposureRepo = new ExposureRepository(connection);
  const eventRepo = new EventRepository(connection);
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
    sink: () => sink,
    logger,
    ping: () => pingDatabase(connection),
    ...(opts.flushMs ? { flushMs: opts.flushMs } : {}),
  });
  const assignments = new AssignmentService({
    touchpoints: new DefinitionRepository<Stored & TouchpointDefinition>(connection, 'touchpoint'),
    nudges: new DefinitionRepository<Stored & NudgeDefinition>(connection, 'nudge'),
    experiments: new DefinitionRepository<Stored & ExperimentDefinition>(connection, 'experiment'),
    meta: new MetaRepository(connection),
    writer: exposures,
    logger,
    pollMs: opts.pollMs ?? 2000,
    exposureAttributes: opts.exposureAttributes ?? ['segment', 'channel', 'country', 'plan', 'device'],
  });
  assignments.start();
  const attribution = new EventAttributor({
    repo: eventRepo,
    sink: () => sink,
    logger,
    ...(opts.attributionIdleMs ? { idleMs: opts.attributionIdleMs } : {}),
  });
  attribution.start();
  const events = new EventsService(eventRepo, () => attribution.wake());
  return {
    assignments,
    exposures,
    events,
    attribution,
    setOutcomeSink(next) {
      sink = next;
    },
    outcomeSink: () => sink,
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

import type { Connection } from 'mongoose';
import { ApiKeyRepository } from '../db/api-key.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { pingDatabase } from '../db/connection.js';
import { DefinitionRepository } from '../db/definition.repository.js';
import type { Logger } from '../logger.js';
import { ApiKeysService } from './api-keys.service.js';
import { type Capture, type CaptureOptions, createCapture } from './assignment/capture.wiring.js';
import { AuditService } from './audit.service.js';
import { ExperimentsService } from './experiments.service.js';
import { createJourneysService, type JourneysService } from './journeys.service.js';
import { createNudgesService, type NudgesService } from './nudges.service.js';
import type { Experiment } from './schemas/experiment.schema.js';
import type { Nudge } from './schemas/nudge.schema.js';
import type { Touchpoint } from './schemas/touchpoint.schema.js';
import { createTouchpointsService, type TouchpointsService } from './touchpoints.service.js';

export interface ServiceOptions {
  connection: Connection;
  logger: Logger;
  /** Journal folder, bounds and polling of assignment and event capture (defaults suit tests). */
  capture?: CaptureOptions;
}

export interface Services {
  apiKeys: ApiKeysService;
  audit: AuditService;
  journeys: JourneysService;
  touchpoints: TouchpointsService;
  nudges: NudgesService;
  experiments: ExperimentsService;
  /** Assignments, exposure writing and event capture. */
  capture: Capture;
  /** True when the database answers a ping. */
  databaseReady(): Promise<boolean>;
  /** Creates every index the queries rely on (idempotent). */
  ensureIndexes(): Promise<void>;
}

/** Builds every domain service on one database connection; the one place services are wired. */
export function createServices({ connection, logger, capture: captureOptions }: ServiceOptions): Services {
  const apiKeyRepo = new ApiKeyRepository(connection);
  const auditRepo = new AuditRepository(connection);
  const audit = new AuditService(auditRepo);
  const apiKeys = new ApiKeysService(apiKeyRepo, audit);
  const touchpointRepo = new DefinitionRepository<Touchpoint>(connection, 'touchpoint');
  const nudgeRepo = new DefinitionRepository<Nudge>(connection, 'nudge');
  const experimentRepo = new DefinitionRepository<Experiment>(connection, 'experiment');
  const journeys = createJourneysService(connection, audit, (journey) => touchpointRepo.count({ journey }));
  const touchpoints = createTouchpointsService({
    repo: touchpointRepo,
    journeys: journeys.repo,
    nudges: nudgeRepo,
    audit,
  });
  const nudges = createNudgesService({
    repo: nudgeRepo,
    touchpoints: touchpointRepo,
    experiments: experimentRepo,
    audit,
  });
  const experiments = new ExperimentsService({
    repo: experimentRepo,
    nudges: nudgeRepo,
    touchpoints: touchpointRepo,
    audit,
  });
  const capture = createCapture(connection, logger, captureOptions);
  const rebuild = () => void capture.assignments.definitionsChanged();
  touchpoints.onChange(rebuild);
  nudges.onChange(rebuild);
  experiments.onChange(rebuild);
  return {
    apiKeys,
    audit,
    journeys,
    touchpoints,
    nudges,
    experiments,
    capture,
    databaseReady: () => pingDatabase(connection),
    async ensureIndexes() {
      await Promise.all([
        apiKeyRepo.ensureIndexes(),
        auditRepo.ensureIndexes(),
        journeys.repo.ensureIndexes(),
        touchpointRepo.ensureIndexes(),
        nudgeRepo.ensureIndexes(),
        experimentRepo.ensureIndexes(),
        capture.ensureIndexes(),
      ]);
    },
  };
}

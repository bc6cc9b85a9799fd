import type { Connection } from 'mongoose';
import { AlertRepository } from '../db/alert.repository.js';
import { ApiKeyRepository } from '../db/api-key.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { pingDatabase } from '../db/connection.js';
import { DefinitionRepository } from '../db/definition.repository.js';
import { ImportRepository } from '../db/import.repository.js';
import { exposureId } from '../db/models/exposure.model.js';
import { SnapshotRepository } from '../db/snapshot.repository.js';
import type { Logger } from '../logger.js';
import { AlertsService } from './alerts.service.js';
import { ApiKeysService } from './api-keys.service.js';
import { type Capture, type CaptureOptions, createCapture } from './assignment/capture.wiring.js';
import { cachedMetricsLookup, metricsFingerprint } from './attribution/metrics-lookup.js';
import { type RecomputeResult, recomputePhase } from './attribution/recompute.js';
import { AuditService } from './audit.service.js';
import { DomainError } from './errors.js';
import { ExperimentsService } from './experiments.service.js';
import { CsvImportService } from './import/csv-import.service.js';
import { createJourneysService, type JourneysService } from './journeys.service.js';
import { createNudgesService, type NudgesService } from './nudges.service.js';
import { PlanningService } from './planning.service.js';
import { ReadoutsService } from './readouts.service.js';
import { RefreshService } from './refresh.service.js';
import type { Experiment } from './schemas/experiment.schema.js';
import type { Journey } from './schemas/journey.schema.js';
import type { Nudge } from './schemas/nudge.schema.js';
import type { Touchpoint } from './schemas/touchpoint.schema.js';
import { createTouchpointsService, type TouchpointsService } from './touchpoints.service.js';
import { WebhookNotifier } from './webhooks.js';

export interface ServiceOptions {
  connection: Connection;
  logger: Logger;
  /** Journal folder, bounds and polling of assignment and event capture (defaults suit tests). */
  capture?: CaptureOptions;
  /** Readouts: webhook URLs for alerts and the attributes broken down into segments. */
  readouts?: { webhookUrls?: readonly string[]; segmentAttributes?: readonly string[] };
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
  /** Rebuilds an experiment phase's readout sums from the stored exposures and events. */
  recompute(experimentKey: string): Promise<RecomputeResult>;
  readouts: ReadoutsService;
  planning: PlanningService;
  refresh: RefreshService;
  alerts: AlertsService;
  /** Loads past experiments from CSV files (`npm run import`). */
  imports: CsvImportService;
  /** True when the database answers a ping. */
  databaseReady(): Promise<boolean>;
  /** Creates every index the queries rely on (idempotent). */
  ensureIndexes(): Promise<void>;
}

/** Builds every domain service on one database connection; the one place services are wired. */
export function createServices({
  connection,
  logger,
  capture: captureOptions,
  readouts: readoutOptions,
}: ServiceOptions): Services {
  const apiKeyRepo = new ApiKeyRepository(connection);
  const auditRepo = new AuditRepository(connection);
  const audit = new AuditService(auditRepo);
  const apiKeys = new ApiKeysService(apiKeyRepo, audit);
  const touchpointRepo = new DefinitionRepository<Touchpoint>(connection, 'touchpoint');
  const nudgeRepo = new DefinitionRepository<Nudge>(connection, 'nudge');
  const experimentRepo = new DefinitionRepository<Experiment>(connection, 'experiment');
  const journeys = createJourneysService(connection, audit, (journey, stage) =>
    touchpointRepo.count(stage ? { journey, stage } : { journey }),
  );
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
  const metricsOf = cachedMetricsLookup(() => experimentRepo.list());
  const capture = createCapture(connection, logger, metricsOf, captureOptions);
  const segmentAttributes = readoutOptions?.segmentAttributes ??
    captureOptions?.exposureAttributes ?? ['segment', 'channel', 'country', 'plan', 'device'];
  const recomputeExperiment = (exp: Experiment) =>
    recomputePhase(
      {
        exposures: capture.exposureRepo,
        events: capture.eventRepo,
        units: capture.units,
        stats: capture.stats,
        attributor: capture.attribution,
        attributes: segmentAttributes,
      },
      { id: exp.id, phase: exp.phase, metrics: exp.metrics, defs: metricsFingerprint(exp.metrics) },
    );
  const rebuild = () => void capture.assignments.definitionsChanged();
  touchpoints.onChange(rebuild);
  nudges.onChange(rebuild);
  experiments.onChange(rebuild);
  const snapshotRepo = new SnapshotRepository(connection);
  const alertRepo = new AlertRepository(connection);
  const webhooks = new WebhookNotifier({
    urls: readoutOptions?.webhookUrls ?? [],
    log: (d) => alertRepo.logDelivery(d),
    logger,
  });
  const alerts = new AlertsService(alertRepo, webhooks);
  const refresh = new RefreshService({
    experiments: experimentRepo,
    nudges: nudgeRepo,
    stats: capture.stats,
    leases: capture.leases,
    snapshots: snapshotRepo,
    alerts,
    settle: () => capture.attribution.drain(),
    recompute: recomputeExperiment,
    segmentAttributes,
    logger,
  });
  const readouts = new ReadoutsService({
    unmatchedEvents: () => capture.unmatched.seen(),
    isExposed: (experimentId, phase, customerId) =>
      capture.exposureRepo.exists(exposureId(experimentId, phase, customerId)),
    journeys: new DefinitionRepository<Journey>(connection, 'journey'),
    touchpoints: touchpointRepo,
    nudges: nudgeRepo,
    experiments: experimentRepo,
    snapshots: snapshotRepo,
  });
  return {
    apiKeys,
    audit,
    journeys,
    touchpoints,
    nudges,
    experiments,
    capture,
    async recompute(experimentKey) {
      const exp = await experimentRepo.getByKey(experimentKey);
      if (!exp) throw new DomainError('not_found', `No experiment "${experimentKey}".`);
      if ((exp.phase ?? 0) < 1) throw new DomainError('not_started');
      return recomputeExperiment(exp);
    },
    readouts,
    planning: new PlanningService({ experiments: experimentRepo, snapshots: snapshotRepo }),
    refresh,
    alerts,
    imports: new CsvImportService(
      experimentRepo,
      touchpointRepo,
      new ImportRepository(connection),
      capture.queue,
    ),
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
        snapshotRepo.ensureIndexes(),
        alertRepo.ensureIndexes(),
      ]);
    },
  };
}

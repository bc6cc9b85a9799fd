import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import type { Config } from './config.js';
import { AlertRepository } from './db/alert.repository.js';
import { ApiKeyRepository } from './db/api-key.repository.js';
import { AttributionQueueRepository } from './db/attribution-queue.repository.js';
import { AuditRepository } from './db/audit.repository.js';
import { pingDatabase } from './db/connection.js';
import { DefinitionRepository } from './db/definition.repository.js';
import { EventRepository } from './db/event.repository.js';
import { type ExposureDoc, ExposureRepository } from './db/exposure.repository.js';
import { FatigueRepository } from './db/fatigue.repository.js';
import { IdentityRepository } from './db/identity.repository.js';
import { ImportRepository } from './db/import.repository.js';
import { LeaseRepository } from './db/lease.repository.js';
import { MetaRepository } from './db/meta.repository.js';
import { exposureId } from './db/models/exposure.model.js';
import { ReadoutStatsRepository } from './db/readout-stats.repository.js';
import { SnapshotRepository } from './db/snapshot.repository.js';
import { UnitRepository } from './db/unit.repository.js';
import { UnmatchedEventRepository } from './db/unmatched-event.repository.js';
import { AlertsService } from './domain/alerts.service.js';
import { ApiKeysService } from './domain/api-keys.service.js';
import { AssignmentService } from './domain/assignment/assignment.service.js';
import { ExposureJournal } from './domain/assignment/exposure-journal.js';
import { ExposureLog } from './domain/assignment/exposure-log.js';
import { ExposureWriter } from './domain/assignment/exposure-writer.js';
import type { AttributionRunner } from './domain/attribution/attributor.js';
import { metricsFingerprint } from './domain/attribution/metrics-lookup.js';
import { recomputePhase } from './domain/attribution/recompute.js';
import { saveExposures } from './domain/attribution/save-exposures.js';
import { AuditService } from './domain/audit.service.js';
import { DomainError } from './domain/errors.js';
import { EventsService } from './domain/events/events.service.js';
import { UnmatchedEvents } from './domain/events/unmatched-events.js';
import { snapshotEvidence } from './domain/evidence/snapshot-evidence.js';
import { ExperimentsService } from './domain/experiments.service.js';
import { FatigueGate } from './domain/fatigue/fatigue-gate.js';
import { createFatiguePoliciesService, fatigueState } from './domain/fatigue/fatigue-policies.service.js';
import { FATIGUE_SHARE_LIMIT, fatigueShare } from './domain/fatigue/fatigue-share.js';
import { holdoutReadout } from './domain/holdouts/holdout-readout.js';
import { HoldoutsService } from './domain/holdouts/holdouts.service.js';
import { IdentitiesService, phasesOf } from './domain/identities/identities.service.js';
import { IdentityDirectory } from './domain/identities/identity-directory.js';
import { CsvImportService } from './domain/import/csv-import.service.js';
import { createJourneysService } from './domain/journeys.service.js';
import { createNudgesService } from './domain/nudges.service.js';
import { PlanningService } from './domain/planning.service.js';
import { ReadoutsService } from './domain/readouts.service.js';
import { RefreshService } from './domain/refresh.service.js';
import type { Experiment } from './domain/schemas/experiment.schema.js';
import type { FatiguePolicy } from './domain/schemas/fatigue-policy.schema.js';
import type { Holdout } from './domain/schemas/holdout.schema.js';
import type { Journey } from './domain/schemas/journey.schema.js';
import type { Nudge } from './domain/schemas/nudge.schema.js';
import type { StoredTemplate } from './domain/schemas/template.schema.js';
import type { Touchpoint } from './domain/schemas/touchpoint.schema.js';
import type { Services } from './domain/services.js';
import { TemplatesService } from './domain/templates/templates.service.js';
import { createTouchpointsService } from './domain/touchpoints.service.js';
import { WebhookNotifier } from './domain/webhooks.js';
import { createPdfPrinter, type PdfPrinter } from './http/dashboard/pdf-printer.js';
import * as recomputeReadouts from './jobs/recompute-readouts.job.js';
import * as refreshSnapshots from './jobs/refresh-snapshots.job.js';
import { type RunningJobs, startJobs } from './jobs/registry.js';
import type { Logger } from './logger.js';
import { AttributionThread } from './threads/attribution-thread.js';
import { attributorOn } from './threads/attributor-setup.js';

/** Pace of the background loops; only tests and benchmarks change them. */
export interface Tuning {
  flushMs?: number;
  attributionIdleMs?: number;
  attributionBatchItems?: number;
}

export interface CompositionOptions {
  config: Config;
  connection: Connection;
  logger: Logger;
  /**
   * Folder whose `journal/` keeps exposures the database could not take. Absent: a temporary one
   * (command lines and tests), removed at close unless it still holds exposures.
   */
  dataDir?: string;
  /** Closed last by `close()` (the handle from openDatabase). Absent: the caller owns the connection. */
  database?: { close(): Promise<void> };
  tuning?: Tuning;
  /**
   * The URI `connection` was opened with. Given (and ATTRIBUTION_THREAD on), attribution runs in
   * a thread of its own that opens its own connection to it; absent, in this thread.
   */
  databaseUri?: string;
}

export interface Composition {
  config: Config;
  services: Services;
  /** Chromium for PDF exports, launched on the first print. */
  pdf: PdfPrinter;
  /** Schedules the readout jobs when JOBS_ENABLED; `close()` stops them. */
  startJobs(): void;
  /**
   * Stops the jobs and the payload poller, writes buffered exposures (or journals them), works the
   * attribution queue down while this instance holds the lease, lets webhook deliveries in flight
   * finish their attempt, closes the browser and then the database. Safe to call more than once.
   */
  close(): Promise<void>;
}

/** The version counter whose values number the identity links (see IdentityRepository). */
const IDENTITY_LOG = 'identities';

/** The attributor gets this long at shutdown; what is left stays queued for the next lease holder. */
const ATTRIBUTION_DRAIN_MS = 5_000;

/** Builds every repository, service, timer and job once, from the parsed configuration. */
export function createComposition({
  config,
  connection,
  logger,
  dataDir,
  database,
  tuning = {},
  databaseUri,
}: CompositionOptions): Composition {
  const apiKeyRepo = new ApiKeyRepository(connection);
  const auditRepo = new AuditRepository(connection);
  const journeyRepo = new DefinitionRepository<Journey>(connection, 'journey');
  const touchpointRepo = new DefinitionRepository<Touchpoint>(connection, 'touchpoint');
  const nudgeRepo = new DefinitionRepository<Nudge>(connection, 'nudge');
  const experimentRepo = new DefinitionRepository<Experiment>(connection, 'experiment');
  const holdoutRepo = new DefinitionRepository<Holdout>(connection, 'holdout');
  const fatiguePolicyRepo = new DefinitionRepository<FatiguePolicy>(connection, 'fatigue');
  const templateRepo = new DefinitionRepository<StoredTemplate>(connection, 'template');
  const exposureLayout = config.EXPOSURE_LAYOUT ?? (config.MONGODB_URI ? 'fields' : 'packed');
  const exposureRepo = new ExposureRepository(connection, exposureLayout);
  const eventRepo = new EventRepository(connection);
  const queue = new AttributionQueueRepository(connection);
  const stats = new ReadoutStatsRepository(connection);
  const units = new UnitRepository(connection);
  const leases = new LeaseRepository(connection);
  const snapshotRepo = new SnapshotRepository(connection);
  const alertRepo = new AlertRepository(connection);
  const importRepo = new ImportRepository(connection, exposureLayout);
  const attributes = config.EXPOSURE_ATTRIBUTES;

  const audit = new AuditService(auditRepo);
  const apiKeys = new ApiKeysService(apiKeyRepo, audit);
  const journeys = createJourneysService(journeyRepo, audit, (journey, stage) =>
    touchpointRepo.count(stage ? { journey, stage } : { journey }),
  );
  const touchpoints = createTouchpointsService({
    repo: touchpointRepo,
    journeys: journeyRepo,
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
  const holdouts = new HoldoutsService({
    repo: holdoutRepo,
    journeys: journeyRepo,
    touchpoints: touchpointRepo,
    experiments: experimentRepo,
    audit,
  });
  const fatiguePolicies = createFatiguePoliciesService(fatiguePolicyRepo, journeyRepo, audit);
  const templates = new TemplatesService(templateRepo, audit, nudges, experiments);

  // Capture: the attributor first, so the writer and events service are handed a finished one.
  const attributorOptions = {
    attributes,
    gatherMs: config.ATTRIBUTION_GATHER_MS,
    ...(tuning.attributionIdleMs ? { idleMs: tuning.attributionIdleMs } : {}),
    ...(tuning.attributionBatchItems ? { batchItems: tuning.attributionBatchItems } : {}),
  };
  const thread =
    databaseUri && config.ATTRIBUTION_THREAD
      ? new AttributionThread({
          data: {
            uri: databaseUri,
            ...attributorOptions,
            nice: config.ATTRIBUTION_THREAD_NICE,
            exposureLayout,
          },
          logger,
        })
      : null;
  const attribution: AttributionRunner =
    thread ??
    attributorOn(
      { queue, units, stats, leases, events: eventRepo, experiments: experimentRepo, holdouts: holdoutRepo },
      { ...attributorOptions, logger },
    );
  // With attribution in a thread of its own, that thread also stores the exposures: the event loop
  // that answers assignments never encodes them for the database nor reads its answers.
  const save = (docs: readonly ExposureDoc[]) =>
    thread
      ? thread.saveExposures(docs)
      : saveExposures({ queue, exposures: exposureRepo, wake: () => attribution.wake() }, docs);
  const journalDir = dataDir
    ? path.join(dataDir, 'journal')
    : mkdtempSync(path.join(tmpdir(), 'nudgelab-journal-'));
  // One journal per database, so two services on one data folder never replay into the wrong one.
  const journal = new ExposureJournal(journalDir, config.JOURNAL_MAX_BYTES, `exposures.${connection.name}`);
  // Answered exposures are synced here before the answer (EXPOSURE_DURABLE), replayed at the next start.
  const log = config.EXPOSURE_DURABLE
    ? new ExposureLog(journalDir, `exposures.${connection.name}`, {
        groupMs: config.EXPOSURE_GROUP_COMMIT_MS,
        preallocate: config.EXPOSURE_LOG_PREALLOCATE_BYTES,
        sync: config.EXPOSURE_SYNC,
        writes: config.EXPOSURE_LOG_WRITES,
      })
    : undefined;
  const exposures = new ExposureWriter({
    save,
    journal,
    ...(log ? { log } : {}),
    logger,
    ping: () => pingDatabase(connection),
    // Exposures already on disk in the log can wait longer for the database: fewer, larger inserts.
    flushMs: tuning.flushMs ?? config.EXPOSURE_FLUSH_MS ?? (log ? 250 : 50),
  });
  const fatigueRepo = new FatigueRepository(connection);
  const fatigue = new FatigueGate({ store: fatigueRepo, logger });
  const meta = new MetaRepository(connection);
  const identityRepo = new IdentityRepository(connection);
  const directory = new IdentityDirectory({
    source: {
      version: () => meta.version(IDENTITY_LOG),
      readLog: (from, to) => identityRepo.readLog(from, to),
      get: (id) => identityRepo.get(id),
    },
    logger,
    pollMs: config.PAYLOAD_POLL_MS,
  });
  const assignments = new AssignmentService({
    touchpoints: touchpointRepo,
    nudges: nudgeRepo,
    experiments: experimentRepo,
    holdouts: holdoutRepo,
    fatiguePolicies: fatiguePolicyRepo,
    fatigue,
    identities: directory,
    meta,
    writer: exposures,
    logger,
    pollMs: config.PAYLOAD_POLL_MS,
    exposureAttributes: attributes,
  });
  const unmatched = new UnmatchedEvents(
    () => experimentRepo.list(),
    new UnmatchedEventRepository(connection),
  );
  const events = new EventsService(eventRepo, queue, () => attribution.wake(), unmatched);
  const identities = new IdentitiesService({
    repo: identityRepo,
    directory,
    nextSequence: () => meta.bump(IDENTITY_LOG),
    phases: async () => phasesOf(await assignments.compiled()),
    exposures: exposureRepo,
    settle: () => exposures.flush(),
    attribute: async (link) => {
      await queue.add([link], true);
      attribution.wake();
    },
  });
  const rebuild = () => void assignments.definitionsChanged();
  touchpoints.onChange(rebuild);
  nudges.onChange(rebuild);
  experiments.onChange(rebuild);
  holdouts.onChange(rebuild);
  fatiguePolicies.onChange(rebuild);

  const recomputeExperiment = (exp: Pick<Experiment, 'id' | 'phase' | 'metrics'>) =>
    recomputePhase(
      {
        exposures: exposureRepo,
        events: eventRepo,
        units,
        stats,
        attributor: attribution,
        attributes,
        identities: identityRepo,
      },
      { id: exp.id, phase: exp.phase, metrics: exp.metrics, defs: metricsFingerprint(exp.metrics) },
    );
  const webhooks = new WebhookNotifier({
    urls: config.WEBHOOK_URLS,
    log: (d) => alertRepo.logDelivery(d),
    logger,
  });
  const alerts = new AlertsService(alertRepo, webhooks);
  const refresh = new RefreshService({
    experiments: experimentRepo,
    nudges: nudgeRepo,
    stats,
    leases,
    snapshots: snapshotRepo,
    alerts,
    settle: () => attribution.drain(),
    recompute: recomputeExperiment,
    identityConflicts: (experimentId, phase) => identityRepo.conflictsOf(`${experimentId}|${phase}`),
    segmentAttributes: attributes,
    evidence: snapshotEvidence({
      experiments: experimentRepo,
      nudges: nudgeRepo,
      snapshots: snapshotRepo,
      pastNudgeTypes: config.PAST_NUDGE_PRIORS,
    }),
    logger,
  });

  const services: Services = {
    apiKeys,
    audit,
    journeys,
    touchpoints,
    nudges,
    experiments,
    holdouts,
    holdoutReadout: (key, lang) =>
      holdoutReadout(
        { holdouts: holdoutRepo, stats, settle: () => attribution.drain(), recompute: recomputeExperiment },
        key,
        lang,
      ),
    fatiguePolicies,
    templates,
    identities,
    async fatigueShare() {
      const [contacts, policies, tps] = await Promise.all([
        fatigueRepo.sample(FATIGUE_SHARE_LIMIT),
        fatiguePolicyRepo.list(),
        touchpointRepo.list(),
      ]);
      const channelOf = new Map(tps.map((t) => [t.key, t.channel]));
      const opts = { now: new Date(), sampled: contacts.length, limit: FATIGUE_SHARE_LIMIT };
      return fatigueShare(contacts, policies, channelOf, opts);
    },
    fatigueState: async (customerId) => fatigueState(await fatiguePolicies.list(), fatigue, customerId),
    capture: {
      assignments,
      fatigue,
      directory,
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
    },
    async recompute(experimentKey) {
      const exp = await experimentRepo.getByKey(experimentKey);
      if (!exp) throw new DomainError('not_found', `No experiment "${experimentKey}".`);
      if ((exp.phase ?? 0) < 1) throw new DomainError('not_started');
      return recomputeExperiment(exp);
    },
    readouts: new ReadoutsService({
      unmatchedEvents: () => unmatched.seen(),
      isExposed: (experimentId, phase, customerId) =>
        exposureRepo.exists(exposureId(experimentId, phase, customerId)),
      journeys: journeyRepo,
      touchpoints: touchpointRepo,
      nudges: nudgeRepo,
      experiments: experimentRepo,
      snapshots: snapshotRepo,
    }),
    planning: new PlanningService({ experiments: experimentRepo, snapshots: snapshotRepo }),
    refresh,
    alerts,
    imports: new CsvImportService(experimentRepo, touchpointRepo, importRepo, queue),
    databaseReady: () => pingDatabase(connection),
    // A counter in `meta` per migration (a point read by `_id`): above zero once it ran.
    migrations: {
      isDone: async (name) => (await meta.version(`migration:${name}`)) > 0,
      markDone: async (name) => {
        await meta.bump(`migration:${name}`);
      },
    },
    async ensureIndexes() {
      await Promise.all(
        [
          apiKeyRepo,
          auditRepo,
          journeyRepo,
          touchpointRepo,
          nudgeRepo,
          experimentRepo,
          holdoutRepo,
          fatiguePolicyRepo,
          templateRepo,
          exposureRepo,
          eventRepo,
          snapshotRepo,
          alertRepo,
        ].map((r) => r.ensureIndexes()),
      );
    },
  };

  const pdf = createPdfPrinter({
    logger,
    ...(config.CHROMIUM_PATH ? { executablePath: config.CHROMIUM_PATH } : {}),
  });
  let jobs: RunningJobs | undefined;
  const startScheduledJobs = () => {
    if (jobs) return;
    if (!config.JOBS_ENABLED) {
      logger.info('JOBS_ENABLED=false: scheduled jobs are off');
      return;
    }
    const refreshDeps: refreshSnapshots.RefreshSnapshotsDeps = {
      experiments,
      refresh,
      defaultSchedule: config.REFRESH_SCHEDULE,
      logger,
    };
    const recomputeDeps: recomputeReadouts.RecomputeReadoutsDeps = {
      experiments,
      recompute: (key) => services.recompute(key),
      logger,
    };
    jobs = startJobs(
      [
        { job: refreshSnapshots, deps: () => refreshDeps },
        { job: recomputeReadouts, deps: () => recomputeDeps },
      ],
      logger,
    );
  };

  // Each step runs even when an earlier one failed: the database must still close in the end.
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      logger.error({ err, step: name }, 'shutdown step failed');
    }
  };
  let closing: Promise<void> | undefined;
  const close = async () => {
    await step('jobs', async () => jobs?.stop());
    // Stops the poller and writes what the writer buffers, so the attributor sees it queued.
    await step('exposures', () => assignments.close());
    await step('attribution', async () => {
      if (attribution.stats().holder) await attribution.drain(ATTRIBUTION_DRAIN_MS);
    });
    await step('attribution stop', () => attribution.stop());
    await step('webhooks', () => webhooks.close());
    await step('pdf', () => pdf.close());
    // A temporary journal folder (no DATA_DIR given) goes with the instance unless it still holds exposures.
    if (!dataDir && !journal.pending && (log?.leftovers().length ?? 0) === 0) {
      rmSync(journalDir, { recursive: true, force: true });
    }
    await step('database', async () => database?.close());
  };

  assignments.start();
  directory.start();
  // Loaded behind start-up; an assignment asked before it is done waits for it once.
  directory.ready().catch((err: unknown) => logger.warn({ err }, 'identity log not loaded yet'));
  attribution.start();
  return {
    config,
    services,
    pdf,
    startJobs: startScheduledJobs,
    close() {
      closing ??= close();
      return closing;
    },
  };
}

import type { AttributionQueueRepository } from '../db/attribution-queue.repository.js';
import type { EventRepository } from '../db/event.repository.js';
import type { ExposureRepository } from '../db/exposure.repository.js';
import type { LeaseRepository } from '../db/lease.repository.js';
import type { ReadoutStatsRepository } from '../db/readout-stats.repository.js';
import type { UnitRepository } from '../db/unit.repository.js';
import type { Lang } from '../i18n/index.js';
import type { AlertsService } from './alerts.service.js';
import type { ApiKeysService } from './api-keys.service.js';
import type { AssignmentService } from './assignment/assignment.service.js';
import type { ExposureWriter } from './assignment/exposure-writer.js';
import type { AttributionRunner } from './attribution/attributor.js';
import type { RecomputeResult } from './attribution/recompute.js';
import type { AuditService } from './audit.service.js';
import type { EventsService } from './events/events.service.js';
import type { UnmatchedEvents } from './events/unmatched-events.js';
import type { ExperimentsService } from './experiments.service.js';
import type { FatigueGate } from './fatigue/fatigue-gate.js';
import type { FatiguePoliciesService } from './fatigue/fatigue-policies.service.js';
import type { FatigueShare } from './fatigue/fatigue-share.js';
import type { HoldoutReadout } from './holdouts/holdout-readout.js';
import type { HoldoutsService } from './holdouts/holdouts.service.js';
import type { IdentitiesService } from './identities/identities.service.js';
import type { IdentityDirectory } from './identities/identity-directory.js';
import type { CsvImportService } from './import/csv-import.service.js';
import type { JourneysService } from './journeys.service.js';
import type { NudgesService } from './nudges.service.js';
import type { PlanningService } from './planning.service.js';
import type { ReadoutsService } from './readouts.service.js';
import type { RefreshService } from './refresh.service.js';
import type { FatigueState } from './schemas/fatigue-policy.schema.js';
import type { TemplatesService } from './templates/templates.service.js';
import type { TouchpointsService } from './touchpoints.service.js';

/** Assignments, exposure writing and event capture, with the stores the attribution works on. */
export interface Capture {
  assignments: AssignmentService;
  /** Nudged contacts per customer and the fatigue caps. */
  fatigue: FatigueGate;
  /** Every linked id in memory (loaded from the link log, polled). */
  directory: IdentityDirectory;
  exposures: ExposureWriter;
  events: EventsService;
  /** Events no experiment reads: counted, and remembered by name for "did you mean". */
  unmatched: UnmatchedEvents;
  /** Attributes queued exposures and events behind the response; `drain()` before reading outcomes. */
  attribution: AttributionRunner;
  queue: AttributionQueueRepository;
  stats: ReadoutStatsRepository;
  units: UnitRepository;
  leases: LeaseRepository;
  eventRepo: EventRepository;
  exposureRepo: ExposureRepository;
}

/**
 * What the entry points (HTTP, command lines, jobs) may call. Built once, with its repositories,
 * timers and shutdown, by `createComposition` in src/composition.ts.
 */
export interface Services {
  apiKeys: ApiKeysService;
  audit: AuditService;
  journeys: JourneysService;
  touchpoints: TouchpointsService;
  nudges: NudgesService;
  experiments: ExperimentsService;
  holdouts: HoldoutsService;
  /** Nudged against held-out units on the holdout's metrics, from the incremental sums. */
  holdoutReadout(key: string, lang?: Lang): Promise<HoldoutReadout>;
  fatiguePolicies: FatiguePoliciesService;
  /** Nudges that worked elsewhere, with their evidence; loaded from files by sync. */
  templates: TemplatesService;
  /** Links anonymous or device ids to customers (one customer across devices). */
  identities: IdentitiesService;
  /** Share of customers at a fatigue cap per journey and channel, from a bounded read of contacts. */
  fatigueShare(): Promise<FatigueShare>;
  /** A customer's contacts against each active fatigue policy. */
  fatigueState(customerId: string): Promise<FatigueState>;
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
  /** One-time changes to stored data made at start-up, each remembered once done. */
  migrations: {
    isDone(name: string): Promise<boolean>;
    markDone(name: string): Promise<void>;
  };
}

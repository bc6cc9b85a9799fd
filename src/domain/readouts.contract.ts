import type { Lang } from '../i18n/index.js';
import type { Actor } from './roles.js';
import type { Alert, AlertQuery } from './schemas/alert.schema.js';
import type { JourneySummary, Portfolio } from './schemas/insights.schema.js';
import type { HistoryPoint, ReadoutResponse, Snapshot } from './schemas/snapshot.schema.js';

/**
 * What the HTTP routes and the dashboard read about results. Every method returns plain objects
 * that parse with the schemas in `schemas/snapshot.schema.ts` and `schemas/insights.schema.ts`, so
 * the dashboard shows exactly the API's numbers.
 */
export interface ReadoutsService {
  /** The latest ok snapshot of an experiment (null before its first refresh); throws not_found. */
  latest(experimentKey: string): Promise<Snapshot | null>;
  /** Ok snapshots of the experiment's current phase, oldest first, as chart points. */
  history(experimentKey: string, limit?: number): Promise<HistoryPoint[]>;
  /**
   * GET /v1/experiments/:key/readout: latest + history + the last failure since it, with the
   * decision sentences in `lang` (English by default).
   */
  readout(experimentKey: string, lang?: Lang): Promise<ReadoutResponse>;
  /** One CSV row per metric and variant of the latest snapshot (header row only when none yet). */
  csv(experimentKey: string, lang?: Lang): Promise<string>;
  /** Every touchpoint of a journey with its experiments' latest decisions and lifts; throws not_found. */
  journeySummary(journeyKey: string): Promise<JourneySummary>;
  /** Touchpoints, nudge types and channels ranked by measured effect on satisfaction and conversion. */
  portfolio(): Promise<Portfolio>;
}

export interface RefreshService {
  /**
   * Recomputes one experiment's snapshot now. Throws refresh_in_progress when another instance holds
   * its lease. A failure is stored as a failed snapshot and rethrown; the last ok snapshot stays.
   */
  refresh(experimentKey: string, trigger: 'schedule' | 'manual' | 'import', actor?: Actor): Promise<Snapshot>;
}

export interface AlertsService {
  /** Alerts with their message in `lang` where one was written in it (English otherwise). */
  list(query: AlertQuery, lang?: Lang): Promise<Alert[]>;
}

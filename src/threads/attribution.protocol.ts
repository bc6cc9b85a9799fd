import type { ExposureDoc, ExposureLayout } from '../db/exposure.repository.js';
import type { AttributorStats } from '../domain/attribution/attributor.js';

/** What the attribution thread is started with (its `workerData`). */
export interface AttributionThreadData {
  /** The database the service's own connection was opened on; the thread opens one of its own. */
  uri: string;
  attributes: readonly string[];
  gatherMs: number;
  idleMs?: number;
  batchItems?: number;
  leaseMs?: number;
  /** The thread's niceness (Linux: this thread only); 0 or absent: the service's own. */
  nice?: number;
  /** How the thread writes the exposures it stores. */
  exposureLayout: ExposureLayout;
}

/** Messages to the thread; those with an `id` are answered with `done` or `failed`. */
export type ToThread =
  | { type: 'start' }
  | { type: 'wake' }
  | { type: 'stop'; id: number }
  | { type: 'drain'; id: number; timeoutMs: number }
  | { type: 'drain-once'; id: number }
  /** Hold the lease with the queue worked down; the thread answers `exclusive-ready` with a sequence. */
  | { type: 'exclusive'; id: number }
  /** The service's exclusive work is over: the thread lets the lease go back to the queue. */
  | { type: 'exclusive-done'; id: number }
  /** Queue these exposures for attribution and store them (saveExposures); answered with their count. */
  | { type: 'save-exposures'; id: number; docs: readonly ExposureDoc[] };

/** A failure carried across: a domain error keeps its code. */
export interface ThreadError {
  message: string;
  code?: string;
}

export type LogLevel = 'info' | 'warn' | 'error';

/** Messages from the thread. */
export type FromThread =
  | { type: 'stats'; stats: AttributorStats }
  | { type: 'done'; id: number; value: number; stats: AttributorStats }
  | { type: 'failed'; id: number; error: ThreadError; stats: AttributorStats }
  | { type: 'exclusive-ready'; id: number; seq: number }
  | { type: 'log'; level: LogLevel; fields: Record<string, unknown>; msg: string };

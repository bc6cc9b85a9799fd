/**
 * The outcome state of one exposed customer, as a pure function of the exposure and the events
 * of that customer. Recomputing it from the events (instead of patching it event by event) makes
 * the state independent of the order events and exposures arrive in, and makes every replay
 * idempotent: the same exposure and the same events always give the same state. What a metric
 * makes of the events is its kind's business (src/metrics); this file orders and windows them.
 */
import type { OutcomeEntry, OutcomeEvent } from '../../metrics/kind.js';
import { type MetricDefinition, outcomeOf } from '../../metrics/registry.js';

export { npsBucket } from '../../metrics/nps/nps.kind.js';
export type { OutcomeEntry };

/** A metric as attribution reads it: its kind's fields, key and window. */
export type AttributableMetric = MetricDefinition;
export type AttributableEvent = OutcomeEvent;

export interface TallyEntry {
  k: string;
  v: number;
}

export interface OutcomeState {
  outcomes: Record<string, OutcomeEntry>;
  tally: TallyEntry[];
}

const HOUR_MS = 3_600_000;

export function tallyKey(variant: string, metric: string, stat: string): string {
  return `${variant}|${metric}|${stat}`;
}

/** Earliest first; ties broken by event id so the answer does not depend on arrival order. */
function byTime(a: AttributableEvent, b: AttributableEvent): number {
  const d = a.occurredAt.getTime() - b.occurredAt.getTime();
  if (d !== 0) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function inWindow(exposedAt: Date, windowHours: number, occurredAt: Date): boolean {
  const t = occurredAt.getTime();
  const start = exposedAt.getTime();
  return t >= start && t <= start + windowHours * HOUR_MS;
}

/** The widest attribution window among the metrics, for reading a customer's events once. */
export function maxWindowHours(metrics: readonly AttributableMetric[]): number {
  return metrics.reduce((m, x) => Math.max(m, x.windowHours), 0);
}

export interface ExposureOf {
  variant: string;
  exposedAt: Date;
  /** Numeric attributes sent with the assignment (pre-exposure covariates). */
  covariates?: Readonly<Record<string, number>> | undefined;
}

/**
 * Builds `outcomes` and `tally` for one exposure. Events after a metric's window never count, and
 * events before the exposure only as a pre-exposure covariate; zero sums are left out of the tally.
 */
export function computeOutcomeState(
  exposure: ExposureOf,
  metrics: readonly AttributableMetric[],
  events: readonly AttributableEvent[],
): OutcomeState {
  const sorted = [...events].sort(byTime);
  const start = exposure.exposedAt.getTime();
  const before = sorted.filter((e) => e.occurredAt.getTime() < start);
  const outcomes: Record<string, OutcomeEntry> = {};
  const tally: TallyEntry[] = [];
  for (const metric of metrics) {
    const counted = sorted.filter((e) => inWindow(exposure.exposedAt, metric.windowHours, e.occurredAt));
    const out = outcomeOf(metric, {
      exposedAt: exposure.exposedAt,
      counted,
      before,
      covariates: exposure.covariates ?? {},
    });
    if (!out) continue;
    if (out.entry) outcomes[metric.key] = out.entry;
    for (const [stat, v] of out.tally) {
      if (v !== 0) tally.push({ k: tallyKey(exposure.variant, metric.key, stat), v });
    }
  }
  return { outcomes, tally };
}

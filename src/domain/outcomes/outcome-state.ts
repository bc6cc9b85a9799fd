/**
 * The outcome state of one exposed customer, as a pure function of the exposure and the events
 * of that customer. Recomputing it from the events (instead of patching it event by event) makes
 * the state independent of the order events and exposures arrive in, and makes every replay
 * idempotent: the same exposure and the same events always give the same state.
 */

export interface AttributableMetric {
  key: string;
  kind: 'conversion' | 'mean' | 'nps';
  event: string;
  windowHours: number;
  aggregation?: 'first' | 'sum' | undefined;
}

export interface AttributableEvent {
  id: string;
  /** Event name (conversion events) and type (`conversion`, `csat`, `nps`, `ces`, `revenue`, ...). */
  name?: string | undefined;
  type?: string | undefined;
  value?: number | undefined;
  occurredAt: Date;
}

export interface OutcomeEntry {
  /** When the counted answer (first answer) or the first counted event (sums) happened. */
  at: Date;
  value: number;
  /** Events that were counted: one for first answers and conversions, all of them for sums. */
  events: number;
  eventId: string;
}

export interface TallyEntry {
  k: string;
  v: number;
}

export interface OutcomeState {
  outcomes: Record<string, OutcomeEntry>;
  tally: TallyEntry[];
}

const HOUR_MS = 3_600_000;

/** Revenue sums per customer; survey answers count once, the first. */
export function aggregationOf(metric: AttributableMetric): 'first' | 'sum' {
  if (metric.aggregation) return metric.aggregation;
  return metric.event === 'revenue' ? 'sum' : 'first';
}

/** Survey and revenue events match by their type too, so they need no name. */
const typedEvents = new Set(['csat', 'nps', 'ces', 'revenue']);

export function eventMatches(metric: AttributableMetric, event: AttributableEvent): boolean {
  if (event.name === metric.event) return true;
  return event.type !== undefined && typedEvents.has(event.type) && event.type === metric.event;
}

/** Detractor 0-6, passive 7-8, promoter 9-10 (the standard NPS buckets). */
export function npsBucket(score: number): 'detractors' | 'passives' | 'promoters' {
  if (score >= 9) return 'promoters';
  if (score >= 7) return 'passives';
  return 'detractors';
}

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

/**
 * Builds `outcomes` and `tally` for one exposure. Events before the exposure or after a metric's
 * window never count; events without a finite value do not count for mean and NPS metrics.
 */
export function computeOutcomeState(
  exposure: { variant: string; exposedAt: Date },
  metrics: readonly AttributableMetric[],
  events: readonly AttributableEvent[],
): OutcomeState {
  const sorted = [...events].sort(byTime);
  const outcomes: Record<string, OutcomeEntry> = {};
  const tally: TallyEntry[] = [];
  const add = (metric: string, stat: string, v: number) => {
    if (v !== 0) tally.push({ k: tallyKey(exposure.variant, metric, stat), v });
  };
  for (const metric of metrics) {
    const counted = sorted.filter(
      (e) => eventMatches(metric, e) && inWindow(exposure.exposedAt, metric.windowHours, e.occurredAt),
    );
    const valued = counted.filter((e) => typeof e.value === 'number' && Number.isFinite(e.value));
    if (metric.kind === 'conversion') {
      const first = counted[0];
      if (!first) continue;
      outcomes[metric.key] = { at: first.occurredAt, value: 1, events: 1, eventId: first.id };
      add(metric.key, 'conversions', 1);
    } else if (metric.kind === 'nps') {
      const first = valued[0];
      if (!first) continue;
      const score = first.value as number;
      outcomes[metric.key] = { at: first.occurredAt, value: score, events: 1, eventId: first.id };
      add(metric.key, npsBucket(score), 1);
    } else if (aggregationOf(metric) === 'sum') {
      const first = valued[0];
      if (!first) continue;
      const total = valued.reduce((s, e) => s + (e.value as number), 0);
      outcomes[metric.key] = { at: first.occurredAt, value: total, events: valued.length, eventId: first.id };
      add(metric.key, 'sum', total);
      add(metric.key, 'sumSquares', total * total);
    } else {
      const first = valued[0];
      if (!first) continue;
      const x = first.value as number;
      outcomes[metric.key] = { at: first.occurredAt, value: x, events: 1, eventId: first.id };
      // n is written even when the answer is 0, so a zero answer still counts as an answer.
      tally.push({ k: tallyKey(exposure.variant, metric.key, 'n'), v: 1 });
      add(metric.key, 'sum', x);
      add(metric.key, 'sumSquares', x * x);
    }
  }
  return { outcomes, tally };
}

/**
 * Simulates customers through the running experiments of a Nudgelab service, over HTTP only, as
 * real apps would: assignments, then outcome events whose chances depend on the variant, one
 * simulated day at a time, with a readout refresh after each day so the history has one point a day.
 */

import { eventReads, type MetricDefinition, type MetricKindName } from '../../metrics/registry.js';
import {
  ANSWER_RATE,
  baseRate,
  CES_BASE,
  CES_PER_POINT,
  CSAT_BASE,
  hash,
  NPS_SHARE_PER_POINT,
  npsAnswer,
  rng,
  scaleAnswer,
  type TrueEffect,
  trueEffect,
} from './effects.model.js';

/** A metric as the API lists it; the kind's own fields (a ratio's denominator, ...) ride along. */
interface ApiMetric {
  key: string;
  kind: MetricKindName;
  role: string;
  event: string;
  lowerIsBetter?: boolean;
  aggregation?: string;
  [field: string]: unknown;
}

export interface ApiExperiment {
  key: string;
  name: string;
  touchpoint: string;
  control: string;
  unit?: string;
  targeting?: Record<string, unknown>;
  variants: { key: string; weight: number }[];
  metrics: ApiMetric[];
}

interface ApiTouchpoint {
  key: string;
  journey: string;
  channel: string;
}

export interface SimulationOptions {
  baseUrl: string;
  apiKey: string;
  days: number;
  customersPerDay: number;
  seed: number;
  concurrency?: number;
  /** Event batches in flight at once (1 unless the database is known to cope with more). */
  eventConcurrency?: number;
  /** Pause between the last event of a day and its refresh, so buffered exposures are written. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface SimulationReport {
  experiments: ApiExperiment[];
  days: number;
  assignments: number;
  exposures: number;
  events: number;
  refreshes: number;
  failedRefreshes: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class DemoApi {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(
        res.status,
        err?.code ?? 'http_error',
        `${method} ${path}: ${res.status} ${err?.message ?? text}`,
      );
    }
    return json as T;
  }
}

/** Attribute values that satisfy simple targeting conditions ({attr: value}, $eq, $in). */
export function attributesFor(targeting: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [attr, cond] of Object.entries(targeting ?? {})) {
    if (attr.startsWith('$')) continue;
    if (cond === null || typeof cond !== 'object') out[attr] = cond;
    else if (Array.isArray((cond as { $in?: unknown[] }).$in))
      out[attr] = (cond as { $in: unknown[] }).$in[0];
    else if ('$eq' in cond) out[attr] = (cond as { $eq: unknown }).$eq;
  }
  return out;
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface Membership {
  exp: ApiExperiment;
  variant: string;
  effect: TrueEffect | undefined;
}

type DemoEvent = Record<string, unknown>;

/** The outcome events of one customer, given the experiments and variants they are in. */
export function outcomesFor(
  customerId: string,
  memberships: Membership[],
  random: () => number,
  occurredAt: string,
): DemoEvent[] {
  const events: DemoEvent[] = [];
  const satisfaction = memberships.reduce((s, m) => s + (m.effect?.satisfaction ?? 0), 0);
  const conversions = new Map<string, number>();
  const surveys = new Set<string>();
  for (const m of memberships) {
    for (const metric of m.exp.metrics) {
      // The kind says which events it reads and whether their values count; the demo only needs that.
      eventReads(metric as unknown as MetricDefinition).forEach((read, i) => {
        if (read.valued) {
          surveys.add(read.name === 'nps' || metric.kind === 'nps' ? 'nps' : read.name);
          return;
        }
        // A metric's true lift moves the first event it reads (a ratio's numerator), not the others.
        const lift =
          !m.effect || i > 0
            ? 0
            : metric.role === 'primary'
              ? m.effect.primary
              : (m.effect.metrics?.[metric.key] ?? 0);
        const p =
          conversions.get(read.name) ?? baseRate(read.name, metric.role, metric.lowerIsBetter ?? false);
        conversions.set(read.name, Math.min(0.99, p * (1 + lift)));
      });
    }
  }
  const base = { customerId, occurredAt };
  for (const [name, p] of conversions) {
    if (random() < p) events.push({ ...base, eventId: `${customerId}:${name}`, type: 'conversion', name });
  }
  for (const survey of surveys) {
    const eventId = `${customerId}:${survey}`;
    if (survey === 'csat' && random() < ANSWER_RATE.csat) {
      events.push({
        ...base,
        eventId,
        type: 'csat',
        value: scaleAnswer(random, CSAT_BASE + satisfaction, 5),
      });
    } else if (survey === 'nps' && random() < ANSWER_RATE.nps) {
      events.push({
        ...base,
        eventId,
        type: 'nps',
        value: npsAnswer(random, satisfaction * NPS_SHARE_PER_POINT),
      });
    } else if (survey === 'ces' && random() < ANSWER_RATE.ces) {
      events.push({
        ...base,
        eventId,
        type: 'ces',
        value: scaleAnswer(random, CES_BASE - satisfaction * CES_PER_POINT, 7),
      });
    } else if (survey === 'revenue' && random() < 0.3) {
      const lift = memberships.reduce((s, m) => s + (m.effect?.primary ?? 0), 0);
      const amount = Math.round(60 * (1 + lift) * (0.5 + random()) * 100) / 100;
      events.push({ ...base, eventId, type: 'revenue', amount, currency: 'EUR' });
    } else if (!['csat', 'nps', 'ces', 'revenue'].includes(survey) && random() < 0.3) {
      events.push({
        ...base,
        eventId,
        type: 'metric',
        name: survey,
        value: Math.round(10 + 3 * (random() - 0.5)),
      });
    }
  }
  return events;
}

const EVENT_BATCH = 50;
const secs = (ms: number) => (ms / 1000).toFixed(1);
const SEGMENTS = ['new', 'returning'];
const COUNTRIES = ['AU', 'GB', 'DE'];
const DEVICES = ['mobile', 'desktop'];

export async function simulate(opts: SimulationOptions): Promise<SimulationReport> {
  const api = new DemoApi(opts.baseUrl, opts.apiKey);
  const log = opts.log ?? (() => undefined);
  const { items: experiments } = await api.call<{ items: ApiExperiment[] }>(
    'GET',
    '/v1/experiments?status=running',
  );
  const { items: touchpoints } = await api.call<{ items: ApiTouchpoint[] }>('GET', '/v1/touchpoints');
  const tpByKey = new Map(touchpoints.map((t) => [t.key, t]));
  const journeys = new Map<string, ApiExperiment[]>();
  for (const exp of experiments) {
    const journey = tpByKey.get(exp.touchpoint)?.journey ?? exp.touchpoint;
    journeys.set(journey, [...(journeys.get(journey) ?? []), exp]);
  }
  const report: SimulationReport = {
    experiments,
    days: opts.days,
    assignments: 0,
    exposures: 0,
    events: 0,
    refreshes: 0,
    failedRefreshes: [],
  };
  if (experiments.length === 0) return report;
  const run = (opts.seed >>> 0).toString(36);
  for (let day = 1; day <= opts.days; day++) {
    const started = Date.now();
    let dayExposures = 0;
    const dayEvents: DemoEvent[] = [];
    for (const [journey, exps] of journeys) {
      const tps = [...new Set(exps.map((e) => e.touchpoint))];
      const targeting = Object.assign({}, ...exps.map((e) => attributesFor(e.targeting)));
      const customers = Array.from(
        { length: opts.customersPerDay },
        (_, i) => `demo-${run}-${journey}-d${day}-${i}`,
      );
      await pool(customers, opts.concurrency ?? 16, async (customerId) => {
        const random = rng(hash(`${opts.seed}/${customerId}`));
        const attributes: Record<string, unknown> = {
          segment: SEGMENTS[Math.floor(random() * SEGMENTS.length)],
          country: COUNTRIES[Math.floor(random() * COUNTRIES.length)],
          device: DEVICES[Math.floor(random() * DEVICES.length)],
          timezone: 'Europe/London',
          ...targeting,
        };
        for (const e of exps) if (e.unit && e.unit !== 'customerId') attributes[e.unit] = customerId;
        const memberships: Membership[] = [];
        for (const tp of tps) {
          const channel = tpByKey.get(tp)?.channel ?? 'web';
          const res = await api.call<{
            assignments: {
              experiment: string;
              inExperiment: boolean;
              variant: string | null;
              qa?: boolean;
            }[];
          }>('POST', '/v1/assignments', { customerId, touchpoint: tp, channel, attributes });
          report.assignments++;
          for (const a of res.assignments) {
            const exp = exps.find((e) => e.key === a.experiment);
            if (!exp || !a.inExperiment || !a.variant || a.qa) continue;
            memberships.push({
              exp,
              variant: a.variant,
              effect: trueEffect(exp.key, a.variant, exp.control),
            });
            dayExposures++;
          }
        }
        if (memberships.length > 0)
          dayEvents.push(...outcomesFor(customerId, memberships, random, new Date().toISOString()));
      });
    }
    const assigned = Date.now();
    // Small batches, so a slow database answers each one well inside the client's timeout.
    const batches: DemoEvent[][] = [];
    for (let i = 0; i < dayEvents.length; i += EVENT_BATCH) batches.push(dayEvents.slice(i, i + EVENT_BATCH));
    await pool(batches, opts.eventConcurrency ?? 1, async (events) => {
      const res = await api.call<{ accepted: number; rejected: unknown[] }>('POST', '/v1/events', { events });
      if (res.rejected.length > 0)
        throw new Error(`events rejected: ${JSON.stringify(res.rejected.slice(0, 3))}`);
    });
    report.exposures += dayExposures;
    report.events += dayEvents.length;
    const sent = Date.now();
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 1500));
    const refreshing = Date.now();
    for (const exp of experiments) {
      try {
        await api.call('POST', `/v1/experiments/${encodeURIComponent(exp.key)}/refresh`);
        report.refreshes++;
      } catch (err) {
        report.failedRefreshes.push(`day ${day} ${exp.key}: ${(err as Error).message}`);
      }
    }
    log(
      `day ${day}/${opts.days}: ${opts.customersPerDay} customers per journey, ${dayExposures} exposures, ${dayEvents.length} events, ${experiments.length} readouts refreshed; seconds: assign ${secs(assigned - started)}, events ${secs(sent - assigned)}, refresh ${secs(Date.now() - refreshing)}`,
    );
  }
  return report;
}

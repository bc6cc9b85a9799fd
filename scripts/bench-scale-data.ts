/** The scale benchmark's experiment and its customers: definitions, exposures and events loaded in bulk. */
import type { Connection } from 'mongoose';
import { DefinitionRepository, type Stored } from '../src/db/definition.repository.ts';
import type { EventDoc } from '../src/db/event.repository.ts';
import { eventModel } from '../src/db/models/event.model.ts';
import { type ExposureDoc, exposureModel } from '../src/db/models/exposure.model.ts';
import { queuedEvent, queuedExposure } from '../src/domain/attribution/queue-items.ts';
import type { Experiment } from '../src/domain/schemas/experiment.schema.ts';
import type { Services } from '../src/domain/services.ts';
import { exposure, insertExperiment, standardMetrics } from '../test/helpers/readout-fixtures.ts';
import { log } from './bench-scale-probes.ts';

export const TOUCHPOINT = 'apply.payment-plan';
export const ATTRIBUTES = ['segment', 'channel', 'country', 'plan'] as const;
export const VALUES: Record<(typeof ATTRIBUTES)[number], string[]> = {
  segment: ['new', 'regular', 'loyal', 'at-risk'],
  channel: ['web', 'app', 'email'],
  country: ['FR', 'DE', 'NL', 'ES', 'IT', 'BE'],
  plan: ['free', 'basic', 'pro'],
};
export const VARIANTS = ['control', 'loss', 'gain'];

const INSERT_CHUNK = 5000;
const QUEUE_ENTRY = 1000;

/** Conversion, CSAT mean and NPS (the shared fixtures without revenue). */
const metrics: Experiment['metrics'] = standardMetrics.filter((m) => m.key !== 'revenue');

/** The touchpoint, nudge and running experiment; assignments on the touchpoint land in it. */
export async function seed(connection: Connection): Promise<Experiment> {
  const now = new Date().toISOString();
  const stamp = (id: string) => ({ id, version: 1, createdAt: now, updatedAt: now });
  await new DefinitionRepository<Stored>(connection, 'touchpoint').insert({
    ...stamp('tpt_scale'),
    key: TOUCHPOINT,
    journey: 'apply',
    stage: 'apply',
    channel: 'web',
    name: TOUCHPOINT,
  } as Stored);
  await new DefinitionRepository<Stored>(connection, 'nudge').insert({
    ...stamp('ndg_scale'),
    key: 'scale-nudge',
    touchpoint: TOUCHPOINT,
    type: 'framing',
    name: 'scale-nudge',
    principle: 'framing',
    variants: VARIANTS.map((v) => ({ key: v, name: v, payload: { frame: v } })),
  } as Stored);
  return insertExperiment(connection, 'scale', {
    nudge: 'scale-nudge',
    touchpoint: TOUCHPOINT,
    variants: VARIANTS.map((key, i) => ({ key, weight: i === 0 ? 0.34 : 0.33 })),
    metrics,
    startedAt: new Date(Date.now() - 86_400_000).toISOString(),
  });
}

export function attributesOf(i: number): Record<string, string> {
  // Co-prime strides, so the four attributes do not move in lockstep.
  return {
    segment: VALUES.segment[i % 4]!,
    channel: VALUES.channel[Math.floor(i / 7) % 3]!,
    country: VALUES.country[Math.floor(i / 11) % 6]!,
    plan: VALUES.plan[Math.floor(i / 13) % 3]!,
  };
}

/** Customer i's one event: a conversion, a CSAT answer or an NPS answer, an hour after exposure. */
export function eventOf(i: number, exposedAt: number, run: string): EventDoc {
  const kind = i % 3;
  const base = {
    _id: `bench|${run}-${i}`,
    eventId: `${run}-${i}`,
    source: 'bench',
    customerId: `c${i}`,
    occurredAt: new Date(exposedAt + 3_600_000),
    receivedAt: new Date(),
  };
  if (kind === 0) return { ...base, type: 'conversion', name: 'applied' };
  if (kind === 1) return { ...base, type: 'csat', name: 'csat', value: 1 + (i % 5) };
  return { ...base, type: 'nps', name: 'nps', value: i % 11 };
}

/** Exposures and events of customers 0..size-1, stored as capture stores them: queued, then inserted. */
export async function load(services: Services, connection: Connection, exp: Experiment, size: number) {
  const exposures = exposureModel(connection).collection;
  const events = eventModel(connection).collection;
  const queue = services.capture.queue;
  // Exposures over the last 12 hours, so the events below and the captured ones fall in their windows.
  const start = Date.now() - 12 * 3_600_000;
  const step = (11 * 3_600_000) / size;
  const t0 = performance.now();
  let lastLog = t0;
  for (let from = 0; from < size; from += INSERT_CHUNK) {
    const n = Math.min(INSERT_CHUNK, size - from);
    const xs: ExposureDoc[] = [];
    const evs: EventDoc[] = [];
    for (let i = from; i < from + n; i++) {
      const at = start + i * step;
      xs.push(
        exposure(exp, `c${i}`, VARIANTS[i % 3]!, new Date(at), {
          touchpoint: TOUCHPOINT,
          channel: attributesOf(i).channel,
          attributes: attributesOf(i),
        }),
      );
      evs.push(eventOf(i, at, 'load'));
    }
    const xItems = xs.flatMap((d) => queuedExposure(d) ?? []);
    for (let k = 0; k < xItems.length; k += QUEUE_ENTRY)
      await queue.add(xItems.slice(k, k + QUEUE_ENTRY), true);
    await exposures.insertMany(xs as never[], { ordered: false });
    const eItems = evs.map(queuedEvent);
    for (let k = 0; k < eItems.length; k += QUEUE_ENTRY)
      await queue.add(eItems.slice(k, k + QUEUE_ENTRY), true);
    await events.insertMany(evs as never[], { ordered: false });
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`  loaded ${from + n} of ${size} (${((lastLog - t0) / 1000).toFixed(0)} s)`);
    }
  }
  return (performance.now() - t0) / 1000;
}

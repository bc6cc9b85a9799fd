import type { Connection } from 'mongoose';
import { AttributionQueueRepository } from '../../src/db/attribution-queue.repository.js';
import { DefinitionRepository } from '../../src/db/definition.repository.js';
import { type EventDoc, eventModel } from '../../src/db/models/event.model.js';
import { type ExposureDoc, exposureId, exposureModel } from '../../src/db/models/exposure.model.js';
import { queuedEvent, queuedExposure } from '../../src/domain/attribution/queue-items.js';
import type { Experiment } from '../../src/domain/schemas/experiment.schema.js';

export const T0 = new Date('2026-03-02T10:00:00.000Z');
export const hours = (h: number) => new Date(T0.getTime() + h * 3_600_000);

export const standardMetrics: Experiment['metrics'] = [
  {
    key: 'applied',
    kind: 'conversion',
    role: 'primary',
    event: 'applied',
    windowHours: 24,
    lowerIsBetter: false,
    margin: 0,
  },
  {
    key: 'csat',
    kind: 'mean',
    role: 'guardrail',
    event: 'csat',
    windowHours: 48,
    lowerIsBetter: false,
    margin: 0.1,
  },
  {
    key: 'nps',
    kind: 'nps',
    role: 'secondary',
    event: 'nps',
    windowHours: 48,
    lowerIsBetter: false,
    margin: 0,
  },
  {
    key: 'revenue',
    kind: 'mean',
    role: 'secondary',
    event: 'revenue',
    aggregation: 'sum',
    windowHours: 24,
    lowerIsBetter: false,
    margin: 0,
  },
];

/**
 * Stores a running experiment straight through the definitions repository, so readout tests do not
 * depend on the lifecycle routes.
 */
export async function insertExperiment(
  connection: Connection,
  key: string,
  over: Partial<Experiment> = {},
): Promise<Experiment> {
  const now = new Date().toISOString();
  const exp = {
    id: `exp_${key}`,
    key,
    version: 1,
    createdAt: now,
    updatedAt: now,
    name: `Experiment ${key}`,
    nudge: `${key}-nudge`,
    touchpoint: 'apply.payment-plan',
    owner: 'cx-team',
    hypothesis: 'A nudge helps.',
    control: 'control',
    variants: [
      { key: 'control', weight: 0.5 },
      { key: 'treatment', weight: 0.5 },
    ],
    coverage: 1,
    unit: 'customerId',
    overlap: false,
    qaOverrides: [],
    metrics: standardMetrics,
    decision: {},
    status: 'running',
    phase: 1,
    ...over,
  } as Experiment;
  await new DefinitionRepository<Experiment>(connection, 'experiment').insert(exp);
  return exp;
}

export function exposure(
  exp: Pick<Experiment, 'id' | 'key' | 'phase'>,
  customerId: string,
  variant: string,
  exposedAt: Date,
  extra: Partial<ExposureDoc> = {},
): ExposureDoc {
  return {
    _id: exposureId(exp.id, exp.phase, customerId),
    experiment: exp.key,
    experimentId: exp.id,
    phase: exp.phase,
    variant,
    unit: 'customerId',
    unitId: customerId,
    customerId,
    touchpoint: 'apply.payment-plan',
    channel: 'web',
    exposedAt,
    attributes: {},
    qa: false,
    ...extra,
  };
}

let seq = 0;
export function event(customerId: string, name: string, occurredAt: Date, value?: number): EventDoc {
  seq += 1;
  const typed = ['csat', 'nps', 'ces', 'revenue'].includes(name);
  return {
    _id: `test|evt-${seq}-${customerId}-${name}`,
    eventId: `evt-${seq}-${customerId}-${name}`,
    source: 'test',
    customerId,
    type: (typed ? name : 'conversion') as EventDoc['type'],
    name,
    ...(value === undefined ? {} : { value }),
    occurredAt,
    receivedAt: new Date(),
  };
}

/** Stores exposures as the exposure writer does: queued for attribution, then inserted. */
export async function storeExposures(connection: Connection, docs: ExposureDoc[]): Promise<string[]> {
  const items = docs.flatMap((d) => queuedExposure(d) ?? []);
  if (items.length > 0) await new AttributionQueueRepository(connection).add(items, true);
  await exposureModel(connection).collection.insertMany(docs as never[]);
  return docs.map((d) => d._id);
}

/** Stores events as capture does: queued for attribution, then inserted. */
export async function storeEvents(connection: Connection, docs: EventDoc[]): Promise<string[]> {
  await new AttributionQueueRepository(connection).add(docs.map(queuedEvent), true);
  await eventModel(connection).collection.insertMany(docs as never[]);
  return docs.map((d) => d._id);
}

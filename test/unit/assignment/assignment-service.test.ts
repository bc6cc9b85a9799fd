import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ExposureDoc } from '../../../src/db/exposure.repository.js';
import type { MetaRepository } from '../../../src/db/meta.repository.js';
import { AssignmentService } from '../../../src/domain/assignment/assignment.service.js';
import type {
  ExperimentDefinition,
  NudgeDefinition,
  TouchpointDefinition,
} from '../../../src/domain/assignment/compiled.types.js';
import type { ExposureWriter } from '../../../src/domain/assignment/exposure-writer.js';
import type { FatigueGate } from '../../../src/domain/fatigue/fatigue-gate.js';
import { experimentDefinition } from '../../helpers/experiment-definition.js';

const touchpoints: TouchpointDefinition[] = [{ key: 'checkout.banner' }, { key: 'home.hero' }];
const nudges: NudgeDefinition[] = touchpoints.map((tp) => ({
  key: `n-${tp.key}`,
  touchpoint: tp.key,
  type: 'framing',
  variants: ['control', 'gain'].map((v) => ({ key: v, name: v, payload: { frame: v } })),
}));
const experiments: ExperimentDefinition[] = touchpoints.map((tp, i) =>
  experimentDefinition(`exp-${i}`, {
    id: `exp_${i}`,
    name: `exp ${i}`,
    nudge: `n-${tp.key}`,
    variants: [
      { key: 'control', weight: 0.5 },
      { key: 'gain', weight: 0.5 },
    ],
    coverage: 1,
  }),
);

/** A service over these definitions with a global fatigue cap whose check answers `checks` in turn. */
function service(checks: (() => Promise<boolean>)[]) {
  const enqueued: ExposureDoc[][] = [];
  const writer = {
    enqueueAll: async (docs: readonly ExposureDoc[]) => {
      enqueued.push([...docs]);
    },
    enqueue: async (doc: ExposureDoc) => {
      enqueued.push([doc]);
    },
    close: async () => undefined,
  } as unknown as ExposureWriter;
  let call = 0;
  const fatigue = {
    capped: () => (checks[call++] ?? (async () => false))(),
    close: async () => undefined,
  } as unknown as FatigueGate;
  const list =
    <T>(items: T[]) =>
    async () =>
      items;
  const svc = new AssignmentService({
    touchpoints: { list: list(touchpoints) },
    nudges: { list: list(nudges) },
    experiments: { list: list(experiments) },
    fatiguePolicies: { list: list([{ key: 'cap', maxContacts: 3, windowDays: 7 }]) },
    fatigue,
    meta: {} as MetaRepository,
    writer,
    logger: pino({ level: 'silent' }),
    pollMs: 60_000,
    exposureAttributes: ['country'],
  });
  return { svc, enqueued };
}

const body = {
  customerId: 'c-1',
  touchpoints: ['checkout.banner', 'home.hero'],
  channel: 'web',
  attributes: { country: 'FR', plan: 'gold' },
};

describe('assignment service: exposures of one answer', () => {
  it('hands every exposure of an answer to the writer at once, with the kept attributes', async () => {
    const { svc, enqueued } = service([]);
    const answer = await svc.assign(body);
    expect(answer.assignments.map((a) => a.inExperiment)).toEqual([true, true]);
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]?.map((d) => d.touchpoint)).toEqual(['checkout.banner', 'home.hero']);
    for (const d of enqueued[0] ?? []) expect(d.attributes).toEqual({ country: 'FR' });
  });

  it('logs no exposure when a later touchpoint fails, so none is kept for an answer never given', async () => {
    const { svc, enqueued } = service([
      async () => false,
      async () => {
        throw new Error('contacts unreadable');
      },
    ]);
    await expect(svc.assign(body)).rejects.toThrow('contacts unreadable');
    expect(enqueued).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import {
  canTransition,
  checkDelete,
  checkUpdate,
  conclude,
  lifecycleAfterUpdate,
  pause,
  type StartContext,
  sameAllocation,
  start,
  stop,
} from '../../../src/domain/experiments/lifecycle.js';
import type { Experiment, ExperimentInput } from '../../../src/domain/schemas/experiment.schema.js';

const now = '2026-11-23T10:00:00.000Z';
const later = '2026-11-24T10:00:00.000Z';

const input: ExperimentInput = {
  key: 'exp-a',
  name: 'A',
  nudge: 'nudge-a',
  owner: 'cx',
  hypothesis: 'h',
  control: 'control',
  variants: [
    { key: 'control', weight: 0.5 },
    { key: 'treatment', weight: 0.5 },
  ],
  coverage: 0.5,
  unit: 'customerId',
  overlap: false,
  qaOverrides: [],
  metrics: [
    {
      key: 'conv',
      kind: 'conversion',
      role: 'primary',
      event: 'done',
      windowHours: 168,
      lowerIsBetter: false,
      margin: 0,
    },
  ],
  decision: {},
};

const draft: Experiment = {
  ...input,
  id: 'exp_1',
  touchpoint: 'tp-a',
  status: 'draft',
  phase: 0,
  version: 1,
  createdAt: now,
  updatedAt: now,
};

const ctx: StartContext = {
  nudge: { key: 'nudge-a', touchpoint: 'tp-a', variantKeys: ['treatment', 'control'] },
  touchpointExists: true,
  running: [],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return undefined;
}

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    return ((err as DomainError).details as { fields: { path: string }[] }).fields.map((f) => f.path);
  }
  return [];
}

describe('lifecycle transitions', () => {
  it('allows exactly draft -> running -> paused -> running -> stopped -> concluded (and stop from paused)', () => {
    const table = {
      draft: ['start'],
      running: ['pause', 'stop'],
      paused: ['start', 'stop'],
      stopped: ['conclude'],
      concluded: [],
    } as const;
    for (const [status, allowed] of Object.entries(table)) {
      for (const action of ['start', 'pause', 'stop', 'conclude'] as const) {
        expect(canTransition(status as Experiment['status'], action), `${status} ${action}`).toBe(
          (allowed as readonly string[]).includes(action),
        );
      }
    }
  });

  it('refuses a bad transition with invalid_transition', () => {
    expect(codeOf(() => pause(draft, now))).toBe('invalid_transition');
    expect(codeOf(() => stop(draft, now))).toBe('invalid_transition');
    expect(codeOf(() => conclude(draft, {}, now))).toBe('invalid_transition');
    const stopped = stop(start(draft, ctx, now), later);
    expect(codeOf(() => start(stopped, ctx, later))).toBe('invalid_transition');
  });

  it('starts a draft in phase 1, records startedAt and takes the touchpoint from the nudge', () => {
    const running = start({ ...draft, touchpoint: 'old-tp' }, ctx, now);
    expect(running).toMatchObject({ status: 'running', phase: 1, startedAt: now, touchpoint: 'tp-a' });
  });

  it('keeps the first startedAt and phase when resuming an unchanged paused experiment', () => {
    const paused = pause(start(draft, ctx, now), later);
    expect(paused).toMatchObject({ status: 'paused', pausedAt: later });
    const resumed = start(paused, ctx, later);
    expect(resumed).toMatchObject({ status: 'running', phase: 1, startedAt: now });
    expect(resumed.pausedAt).toBeUndefined();
  });

  it('starts a new phase when a paused experiment had its weights changed', () => {
    const paused = pause(start(draft, ctx, now), later);
    const next = {
      ...input,
      variants: [
        { key: 'control', weight: 0.2 },
        { key: 'treatment', weight: 0.8 },
      ],
    };
    expect(() => checkUpdate(paused, next)).not.toThrow();
    const updated = { ...paused, ...next, ...lifecycleAfterUpdate(paused, next) };
    expect(updated.newPhaseOnResume).toBe(true);
    const resumed = start(updated, ctx, later);
    expect(resumed.phase).toBe(2);
    expect(resumed.newPhaseOnResume).toBeUndefined();
  });

  it('does not start a new phase when only the hypothesis of a paused experiment changed', () => {
    const paused = pause(start(draft, ctx, now), later);
    const next = { ...input, hypothesis: 'sharper hypothesis' };
    expect(lifecycleAfterUpdate(paused, next).newPhaseOnResume).toBeUndefined();
  });

  it('records stoppedAt, then concludedAt with the conclusion and shipped variant', () => {
    const stopped = stop(start(draft, ctx, now), later);
    expect(stopped).toMatchObject({ status: 'stopped', stoppedAt: later });
    const concluded = conclude(stopped, { conclusion: 'ship it', shippedVariant: 'treatment' }, later);
    expect(concluded).toMatchObject({ status: 'concluded', concludedAt: later, shippedVariant: 'treatment' });
    expect(fieldsOf(() => conclude(stopped, { shippedVariant: 'other' }, later))).toEqual(['shippedVariant']);
  });
});

describe('start preconditions', () => {
  it('needs the nudge, its touchpoint and a primary metric, and lists every missing one', () => {
    expect(codeOf(() => start(draft, { ...ctx, nudge: null }, now))).toBe('precondition_failed');
    expect(fieldsOf(() => start(draft, { ...ctx, touchpointExists: false }, now))).toEqual(['touchpoint']);
    const noPrimary = { ...draft, metrics: [{ ...input.metrics[0]!, role: 'secondary' as const }] };
    expect(fieldsOf(() => start(noPrimary, { ...ctx, touchpointExists: false }, now))).toEqual([
      'touchpoint',
      'metrics',
    ]);
  });

  it("refuses to start when the nudge's variant keys no longer match the experiment's", () => {
    const changed = { ...ctx, nudge: { ...ctx.nudge!, variantKeys: ['control', 'other'] } };
    expect(fieldsOf(() => start(draft, changed, now))).toEqual(['variants']);
  });

  it('refuses to run beside another running experiment on the touchpoint unless both allow overlap', () => {
    const others = [{ key: 'exp-b', overlap: true }];
    expect(codeOf(() => start(draft, { ...ctx, running: others }, now))).toBe('overlap_conflict');
    expect(
      codeOf(() =>
        start({ ...draft, overlap: true }, { ...ctx, running: [{ key: 'exp-b', overlap: false }] }, now),
      ),
    ).toBe('overlap_conflict');
    expect(start({ ...draft, overlap: true }, { ...ctx, running: others }, now).status).toBe('running');
  });

  it('does not count the experiment itself as a conflicting running experiment', () => {
    const paused = pause(start(draft, ctx, now), later);
    expect(start(paused, { ...ctx, running: [{ key: 'exp-a', overlap: false }] }, later).status).toBe(
      'running',
    );
  });
});

describe('what a replace may change', () => {
  const running = start(draft, ctx, now);

  it('lets a draft change anything', () => {
    expect(() => checkUpdate(draft, { ...input, nudge: 'other', coverage: 0.1 })).not.toThrow();
  });

  it('locks variants, weights, nudge, control and unit of a running experiment', () => {
    const reweighted = {
      ...input,
      variants: [
        { key: 'control', weight: 0.4 },
        { key: 'treatment', weight: 0.6 },
      ],
    };
    expect(codeOf(() => checkUpdate(running, reweighted))).toBe('experiment_locked');
    expect(fieldsOf(() => checkUpdate(running, { ...input, nudge: 'n2', unit: 'accountId' }))).toEqual([
      'nudge',
      'unit',
    ]);
  });

  it('lets coverage of a running experiment grow but not shrink', () => {
    expect(() => checkUpdate(running, { ...input, coverage: 0.9 })).not.toThrow();
    expect(fieldsOf(() => checkUpdate(running, { ...input, coverage: 0.4 }))).toEqual(['coverage']);
  });

  it('treats reordered but equal variants as the same allocation', () => {
    expect(sameAllocation(input.variants, [...input.variants].reverse())).toBe(true);
    expect(() => checkUpdate(running, { ...input, variants: [...input.variants].reverse() })).not.toThrow();
  });

  it('keeps the allocation of a stopped experiment but lets its metrics change', () => {
    const stopped = stop(running, later);
    expect(codeOf(() => checkUpdate(stopped, { ...input, control: 'treatment' }))).toBe('experiment_locked');
    expect(() => checkUpdate(stopped, { ...input, coverage: 0.1, hypothesis: 'x' })).not.toThrow();
  });

  it('refuses to delete a running or paused experiment but not a draft or stopped one', () => {
    expect(codeOf(() => checkDelete(running))).toBe('experiment_locked');
    expect(codeOf(() => checkDelete(pause(running, later)))).toBe('experiment_locked');
    expect(codeOf(() => checkDelete(draft))).toBeUndefined();
    expect(codeOf(() => checkDelete(stop(running, later)))).toBeUndefined();
  });
});

import { GrowthBookClient } from '@growthbook/growthbook';
import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import type { Definitions, ExperimentDefinition } from '../../../src/domain/assignment/compiled.types.js';
import { Evaluator } from '../../../src/domain/assignment/evaluator.js';
import { compilePayload } from '../../../src/domain/assignment/payload-compiler.js';
import { experimentDefinition as experiment } from '../../helpers/experiment-definition.js';

function defs(experiments: ExperimentDefinition[], tp = 'tp'): Definitions {
  return {
    touchpoints: [{ key: tp }],
    nudges: experiments.map((e) => ({
      key: e.nudge,
      touchpoint: tp,
      type: 'framing',
      variants: e.variants.map((v) => ({
        key: v.key,
        name: v.key,
        payload: { message: `${e.key}:${v.key}` },
      })),
    })),
    experiments,
  };
}

function evaluator(experiments: ExperimentDefinition[]): Evaluator {
  return new Evaluator(compilePayload(defs(experiments)));
}

function assignAll(ev: Evaluator, n: number, attrs: Record<string, unknown> = {}) {
  const tp = ev.touchpoint('tp');
  if (!tp) throw new Error('no touchpoint');
  return Array.from({ length: n }, (_, i) => ev.evaluate(tp, { customerId: `cust-${i}`, ...attrs }));
}

describe('split', () => {
  it('splits 100,000 customers in the proportions of the weights (chi-square p > 0.001)', () => {
    const weights = [0.2, 0.3, 0.5];
    const ev = evaluator([
      experiment('split', { variants: weights.map((weight, i) => ({ key: `v${i}`, weight })) }),
    ]);
    const n = 100_000;
    const counts = [0, 0, 0];
    for (const [result] of assignAll(ev, n)) {
      const i = Number(result?.variant?.slice(1));
      counts[i] = (counts[i] ?? 0) + 1;
    }
    const chi2 = counts.reduce(
      (s, c, i) => s + (c - n * (weights[i] ?? 0)) ** 2 / (n * (weights[i] ?? 0)),
      0,
    );
    const p = 1 - jStat.chisquare.cdf(chi2, weights.length - 1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    expect(p).toBeGreaterThan(0.001);
  });

  it('answers the same variant for the same customer whatever the other attributes', () => {
    const ev = evaluator([experiment('same')]);
    const tp = ev.touchpoint('tp')!;
    for (let i = 0; i < 500; i++) {
      const a = ev.evaluate(tp, { customerId: `c${i}`, channel: 'web' })[0]?.variant;
      const b = ev.evaluate(tp, { customerId: `c${i}`, channel: 'call-centre', country: 'DE' })[0]?.variant;
      expect(b).toBe(a);
    }
  });

  it('randomises by the unit attribute, so every customer of one account gets the same variant', () => {
    const ev = evaluator([experiment('b2b', { unit: 'accountId' })]);
    const tp = ev.touchpoint('tp')!;
    for (let acc = 0; acc < 100; acc++) {
      const variants = new Set(
        [0, 1, 2, 3].map(
          (c) => ev.evaluate(tp, { customerId: `p${acc}-${c}`, accountId: `acc-${acc}` })[0]?.variant,
        ),
      );
      expect(variants.size).toBe(1);
    }
    expect(ev.evaluate(tp, { customerId: 'lonely' })[0]).toMatchObject({
      inExperiment: false,
      reason: 'missing-unit',
    });
  });
});

describe('namespaces', () => {
  const three = () => [
    experiment('a', { startedAt: '2026-01-01T00:00:00.000Z' }),
    experiment('b', { startedAt: '2026-01-02T00:00:00.000Z' }),
    experiment('c', { startedAt: '2026-01-03T00:00:00.000Z' }),
  ];

  it('puts no customer in two exclusive experiments and says namespace for the others', () => {
    const ev = evaluator(three());
    const perExperiment = new Map<string, number>();
    for (const results of assignAll(ev, 30_000)) {
      const inside = results.filter((r) => r.inExperiment);
      expect(inside).toHaveLength(1);
      const key = inside[0]!.experiment.key;
      perExperiment.set(key, (perExperiment.get(key) ?? 0) + 1);
      for (const r of results.filter((x) => !x.inExperiment)) expect(r.reason).toBe('namespace');
    }
    // Equal thirds: each within 5 standard deviations of 10,000.
    for (const count of perExperiment.values())
      expect(Math.abs(count - 10_000)).toBeLessThan(5 * Math.sqrt(30_000 * (1 / 3) * (2 / 3)));
  });

  it('lets experiments declared compatible overlap the exclusive ones', () => {
    const ev = evaluator([...three(), experiment('free', { overlap: true })]);
    let both = 0;
    for (const results of assignAll(ev, 2000)) {
      const inside = results.filter((r) => r.inExperiment).map((r) => r.experiment.key);
      expect(inside.filter((k) => k !== 'free')).toHaveLength(1);
      if (inside.includes('free')) both++;
    }
    expect(both).toBe(2000);
  });

  it('keeps every earlier assignment when coverage grows, and says coverage for those left out', () => {
    const before = assignAll(evaluator([experiment('grow', { coverage: 0.3 })]), 20_000);
    const after = assignAll(evaluator([experiment('grow', { coverage: 0.8 })]), 20_000);
    let inBefore = 0;
    before.forEach(([b], i) => {
      const a = after[i]?.[0];
      if (b?.inExperiment) {
        inBefore++;
        expect(a?.variant).toBe(b.variant);
      } else {
        expect(b?.reason).toBe('coverage');
      }
    });
    expect(inBefore).toBeGreaterThan(5000);
    expect(after.filter(([a]) => a?.inExperiment).length).toBeGreaterThan(15_000);
  });

  it('keeps a paused exclusive experiment’s slice so the others keep their customers', () => {
    const running = assignAll(evaluator(three()), 5000);
    const paused = three();
    paused[1]!.status = 'paused';
    const after = assignAll(evaluator(paused), 5000);
    running.forEach((results, i) => {
      const was = results.find((r) => r.inExperiment)!;
      const now = after[i]!.find((r) => r.experiment.key === was.experiment.key)!;
      if (was.experiment.key === 'b') expect(now.reason).toBe('not-running');
      else expect(now.variant).toBe(was.variant);
    });
  });

  it('explains a targeting miss before any other reason and leaves drafts out', () => {
    const ev = evaluator([
      experiment('gold', { targeting: { segment: 'gold' } }),
      experiment('draft', { status: 'draft' }),
    ]);
    const tp = ev.touchpoint('tp')!;
    const results = ev.evaluate(tp, { customerId: 'x', segment: 'basic' });
    expect(results.map((r) => [r.experiment.key, r.reason])).toEqual([['gold', 'targeting']]);
  });
});

describe('payload', () => {
  it('puts QA force rules first and gives the same ETag for the same definitions', () => {
    const exps = [experiment('qa', { qaOverrides: [{ customerId: 'tester', variant: 'treatment' }] })];
    const one = compilePayload(defs(exps), new Date('2026-01-01'));
    const two = compilePayload(defs(exps), new Date('2026-02-01'));
    expect(one.etag).toBe(two.etag);
    const rules = one.payload.features?.tp?.rules ?? [];
    expect(rules[0]).toMatchObject({
      condition: { customerId: { $in: ['tester'] } },
      force: { variant: 'treatment', qa: true },
    });
    expect(rules[1]).toMatchObject({
      key: 'qa',
      seed: 'exp_qa',
      hashVersion: 2,
      hashAttribute: 'customerId',
    });
    const ev = new Evaluator(one);
    expect(ev.evaluate(ev.touchpoint('tp')!, { customerId: 'tester' })[0]).toMatchObject({
      variant: 'treatment',
      qa: true,
    });
  });
});

describe('agreement with the served payload', () => {
  function agree(experiments: ExperimentDefinition[]) {
    const compiled = compilePayload(defs(experiments));
    const ev = new Evaluator(compiled);
    const sdk = new GrowthBookClient({}).initSync({ payload: compiled.payload });
    const tp = ev.touchpoint('tp')!;
    let inside = 0;
    for (let i = 0; i < 5000; i++) {
      const attributes = { customerId: `c${i}`, accountId: `a${i % 300}`, segment: i % 3 ? 'gold' : 'basic' };
      const mine = ev.evaluate(tp, attributes).find((r) => r.inExperiment && r.experiment.exclusive);
      const theirs = sdk.evalFeature<{ experiment: string; variant: string } | null>('tp', {
        attributes,
      }).value;
      expect(mine ? `${mine.experiment.key}:${mine.variant}` : null).toBe(
        theirs ? `${theirs.experiment}:${theirs.variant}` : null,
      );
      if (mine) inside++;
    }
    return inside;
  }

  it('finds the same exclusive experiment as the SDK on the touchpoint feature (namespace probe)', () => {
    const inside = agree([
      experiment('p', { coverage: 0.7, startedAt: '2026-01-01T00:00:00.000Z' }),
      experiment('q', { targeting: { segment: 'gold' }, startedAt: '2026-01-02T00:00:00.000Z' }),
      experiment('r', { status: 'paused', startedAt: '2026-01-03T00:00:00.000Z' }),
      experiment('s', {
        qaOverrides: [{ customerId: 'c5', variant: 'treatment' }],
        startedAt: '2026-01-04T00:00:00.000Z',
      }),
    ]);
    expect(inside).toBeGreaterThan(2000);
  });

  it('falls back to the whole touchpoint feature when exclusive experiments randomise on different units', () => {
    const inside = agree([
      experiment('per-customer', { startedAt: '2026-01-01T00:00:00.000Z' }),
      experiment('per-account', { unit: 'accountId', startedAt: '2026-01-02T00:00:00.000Z' }),
    ]);
    expect(inside).toBeGreaterThan(3000);
  });
});

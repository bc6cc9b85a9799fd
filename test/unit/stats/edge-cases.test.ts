import { describe, expect, it } from 'vitest';
import { type AnalyzeInputRaw, analyze, isVariantResult } from '../../../src/stats/index.ts';
import { createRng } from '../../../src/stats/rng.ts';
import { expectAllFinite, twoArm } from './helpers.ts';

function manyArms(arms: number, n: number, conversions: (i: number) => number): AnalyzeInputRaw {
  const keys = Array.from({ length: arms }, (_, i) => (i === 0 ? 'control' : `v${i}`));
  return {
    control: 'control',
    variants: keys.map((key) => ({ key, weight: 1, exposures: n })),
    metrics: [
      {
        key: 'm',
        kind: 'conversion',
        role: 'primary',
        data: Object.fromEntries(keys.map((k, i) => [k, { n, conversions: conversions(i) }])),
      },
    ],
  };
}

describe('edge cases', () => {
  it('gives every one of 25 identical arms a 1/25 chance to be best', () => {
    const readout = analyze(manyArms(25, 10_000, () => 800));
    for (const [key, r] of Object.entries(readout.metrics.m?.variants ?? {})) {
      if (key === 'control') continue;
      if (!isVariantResult(r)) throw new Error('no comparison');
      expect(r.chanceToBeBest).toBeCloseTo(1 / 25, 9);
      expect(r.chanceToBeatControl).toBeCloseTo(0.5, 10);
    }
  });

  it('matches a seeded Monte Carlo for chance to be best across 25 different arms, control included', () => {
    const rates = (i: number): number => 300 + 4 * i;
    const n = 5000;
    const readout = analyze(manyArms(25, n, rates));
    const rng = createRng(11);
    const draws = 40_000;
    const wins = new Array<number>(25).fill(0);
    for (let d = 0; d < draws; d++) {
      let best = -1;
      let bestValue = -1;
      for (let i = 0; i < 25; i++) {
        const a = rng.gamma(1 + rates(i));
        const b = rng.gamma(1 + n - rates(i));
        const p = a / (a + b);
        if (p > bestValue) {
          bestValue = p;
          best = i;
        }
      }
      wins[best] = (wins[best] ?? 0) + 1;
    }
    for (let i = 1; i < 25; i++) {
      const r = readout.metrics.m?.variants[`v${i}`];
      if (!isVariantResult(r)) throw new Error('no comparison');
      const mc = (wins[i] ?? 0) / draws;
      // 4 Monte Carlo standard errors.
      expect(Math.abs(r.chanceToBeBest - mc)).toBeLessThan(4 * Math.sqrt((mc * (1 - mc)) / draws) + 1e-4);
    }
    const last = readout.metrics.m?.variants.v24;
    const first = readout.metrics.m?.variants.v1;
    if (!isVariantResult(last) || !isVariantResult(first)) throw new Error('no comparison');
    expect(last.chanceToBeBest).toBeGreaterThan(first.chanceToBeBest);
  });

  it('matches a seeded Monte Carlo for chance to be best across 25 arms of 10^8 users each', () => {
    const n = 1e8;
    const conversions = (i: number): number => 10_000_000 + 500 * i;
    const readout = analyze(manyArms(25, n, conversions));
    expectAllFinite(readout);
    // At 10^8 users a Beta posterior's skewness is below 1e-3, so normal draws with its exact mean
    // and sd are an independent check of the 25-arm integral.
    const moments = Array.from({ length: 25 }, (_, i) => {
      const a = 1 + conversions(i);
      const b = 1 + n - conversions(i);
      return { mean: a / (a + b), sd: Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1))) };
    });
    const rng = createRng(12);
    const draws = 40_000;
    const wins = new Array<number>(25).fill(0);
    for (let d = 0; d < draws; d++) {
      let best = 0;
      let bestValue = -Infinity;
      moments.forEach((m, i) => {
        const p = m.mean + m.sd * rng.normal();
        if (p > bestValue) {
          bestValue = p;
          best = i;
        }
      });
      wins[best] = (wins[best] ?? 0) + 1;
    }
    for (let i = 1; i < 25; i++) {
      const r = readout.metrics.m?.variants[`v${i}`];
      if (!isVariantResult(r)) throw new Error('no comparison');
      const mc = (wins[i] ?? 0) / draws;
      expect(Math.abs(r.chanceToBeBest - mc)).toBeLessThan(4 * Math.sqrt((mc * (1 - mc)) / draws) + 1e-3);
    }
  });

  for (const [kind, control] of [
    ['conversion', { n: 1e8, conversions: 5_000_000 }],
    ['conversion', { n: 1, conversions: 1 }],
    ['mean', { n: 1e8, mean: 3.9, variance: 1.1 }],
    ['mean', { n: 3, mean: 4, variance: 2 }],
    ['nps', { detractors: 15_000_000, passives: 37_000_000, promoters: 48_000_000 }],
    ['nps', { detractors: 0, passives: 0, promoters: 1 }],
  ] as const) {
    it(`reports 0.5 and equal losses for identical ${kind} arms (${JSON.stringify(control)})`, () => {
      const readout = analyze(twoArm(kind, control, control));
      const r = readout.metrics.m?.variants.variant;
      if (!isVariantResult(r)) throw new Error('no comparison');
      expect(Math.abs(r.chanceToBeatControl - 0.5)).toBeLessThan(1e-6);
      expect(Math.abs(r.chanceToBeBest - 0.5)).toBeLessThan(1e-6);
      expect(Math.abs(r.absoluteLift.mean)).toBeLessThan(1e-9 * (1 + Math.abs(r.estimate)));
      expect(r.expectedLoss.ship).toBeGreaterThan(0);
      expect(Math.abs(r.expectedLoss.ship - r.expectedLoss.keep)).toBeLessThan(1e-6 * r.expectedLoss.ship);
      // Symmetric about 0 up to quadrature error, which is largest (1e-4 of the width) at one user.
      const [lo, hi] = r.absoluteLift.ci95;
      expect(Math.abs(lo + hi)).toBeLessThan(1e-3 * (hi - lo));
      expect(readout.decision.action).not.toBe('ship');
      expectAllFinite(readout);
    });
  }

  it('marks a variant with zero users as insufficient-data and keeps the rest of the readout', () => {
    const readout = analyze(twoArm('conversion', { n: 1000, conversions: 50 }, { n: 0, conversions: 0 }));
    expect(readout.metrics.m?.variants.variant).toEqual({
      status: 'insufficient-data',
      n: 0,
      reason: 'no users',
    });
    expect(readout.metrics.m?.status).toBe('insufficient-data');
    expect(readout.decision.action).toBe('keep-running');
    expectAllFinite(readout);
    expect(JSON.stringify(readout)).not.toContain('null');
  });

  it('marks every variant insufficient when the control has no users', () => {
    const readout = analyze(twoArm('mean', { n: 0, mean: 0, variance: 0 }, { n: 100, mean: 3, variance: 1 }));
    expect(readout.metrics.m?.variants.control?.status).toBe('insufficient-data');
    expect(readout.metrics.m?.variants.variant?.status).toBe('insufficient-data');
    expect(readout.decision.summary).toMatch(/not enough data/);
    expectAllFinite(readout);
  });

  it('marks zero variance and fewer than 3 observations as insufficient-data for mean metrics', () => {
    const zero = analyze(
      twoArm('mean', { n: 100, mean: 5, variance: 0 }, { n: 100, mean: 4.9, variance: 0.2 }),
    );
    expect(zero.metrics.m?.variants.control).toMatchObject({
      status: 'insufficient-data',
      reason: /zero variance/,
    });
    const tiny = analyze(
      twoArm('mean', { n: 2, mean: 5, variance: 1 }, { n: 100, mean: 4.9, variance: 0.2 }),
    );
    expect(tiny.metrics.m?.variants.control?.status).toBe('insufficient-data');
    expectAllFinite(zero);
    expectAllFinite(tiny);
  });

  it('marks an NPS arm with no responses as insufficient-data', () => {
    const readout = analyze(
      twoArm(
        'nps',
        { detractors: 10, passives: 10, promoters: 10 },
        { detractors: 0, passives: 0, promoters: 0 },
      ),
    );
    expect(readout.metrics.m?.variants.variant).toMatchObject({
      status: 'insufficient-data',
      reason: 'no responses',
    });
    expectAllFinite(readout);
  });

  it('is deterministic: the same input gives the same readout, with or without a seed', () => {
    const input = twoArm(
      'nps',
      { detractors: 12, passives: 30, promoters: 38 },
      { detractors: 10, passives: 29, promoters: 42 },
    );
    expect(analyze({ ...input, seed: 1 })).toEqual(analyze({ ...input, seed: 2 }));
  });
});

describe('robustness over a seeded spread of extreme inputs', () => {
  it('never emits NaN, Infinity or null, keeps intervals ordered and probabilities in [0, 1]', () => {
    const rng = createRng(2024);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
    const sizes = [1, 2, 3, 10, 100, 1e4, 1e6, 1e8, 1e9];
    for (let iter = 0; iter < 150; iter++) {
      const kind = pick(['conversion', 'mean', 'nps'] as const);
      const keys = Array.from({ length: pick([2, 3, 5]) }, (_, i) => `k${i}`);
      const data: Record<string, Record<string, number>> = {};
      for (const k of keys) {
        const n = pick(sizes);
        if (kind === 'conversion') data[k] = { n, conversions: pick([0, n, Math.floor(n * rng.next())]) };
        else if (kind === 'mean')
          data[k] = { n, mean: pick([0, -5, 3.9, 1e6, 1e-9]), variance: pick([0, 1e-20, 1, 1e12]) };
        else
          data[k] = {
            detractors: pick([0, n]),
            passives: Math.floor(n * rng.next()),
            promoters: pick([0, n, 7]),
          };
      }
      const readout = analyze({
        control: 'k0',
        variants: keys.map((key) => ({ key, weight: 1, exposures: 100 })),
        metrics: [
          { key: 'm', kind, role: 'primary', lowerIsBetter: rng.next() < 0.3, margin: pick([0, 1]), data },
        ],
      });
      expectAllFinite(readout);
      for (const r of Object.values(readout.metrics.m?.variants ?? {})) {
        if (!isVariantResult(r)) continue;
        expect(r.ci95[0]).toBeLessThanOrEqual(r.ci95[1]);
        expect(r.absoluteLift.ci95[0]).toBeLessThanOrEqual(r.absoluteLift.ci95[1]);
        expect(r.relativeLift.ci95[0]).toBeLessThanOrEqual(r.relativeLift.ci95[1]);
        for (const p of [r.chanceToBeatControl, r.chanceToBeBest, r.chanceOfHarm]) {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

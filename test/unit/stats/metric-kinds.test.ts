import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chanceGreater, differenceQuantile } from '../../../src/stats/compare.ts';
import { type CupedSums, cupedAdjust } from '../../../src/stats/cuped.ts';
import { meanPosterior } from '../../../src/stats/normal-mean.ts';
import { ordinalPosterior, ordinalShares } from '../../../src/stats/ordinal.ts';
import { type RatioSums, ratioEstimate, ratioPosterior } from '../../../src/stats/ratio.ts';
import { responseBias } from '../../../src/stats/response-bias.ts';

/** Reference values from scripts/reference/metric_kinds.py (numpy, scipy; not the engine). */
const ref = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/metric-kinds.json', import.meta.url), 'utf8'),
) as {
  responseBias: {
    arms: { exposed: number; responded: number }[];
    chiSquare: number;
    pValue: number;
    df: number;
  }[];
  ratio: { sums: RatioSums; ratio: number; variance: number }[];
  cupedHillstrom: {
    sums: Record<string, CupedSums>;
    theta: number;
    varianceReduction: number;
    adjustedMeans: Record<string, number>;
  };
  ordinal: { counts: number[]; top2: Quantiles; mean: Quantiles }[];
  ordinalPair: { control: number[]; variant: number[]; chanceToBeatMean: number };
};
type Quantiles = { mean: number; q025: number; q975: number };

const close = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));

/** A seeded generator of the test's own (mulberry32), so the simulations share nothing with the engine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (u: () => number) => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
function poisson(u: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = u();
  while (p > limit) {
    k++;
    p *= u();
  }
  return k;
}

describe('survey response bias', () => {
  it('matches scipy chi2_contingency on every reference table', () => {
    for (const c of ref.responseBias) {
      const r = responseBias(c.arms);
      close(r.chiSquare, c.chiSquare, 1e-10);
      close(r.pValue, c.pValue, 1e-9);
      expect(r.df).toBe(c.df);
      expect(r.biased).toBe(c.pValue < 0.001);
    }
  });

  it('says nothing is biased when no arm, or every unit, answered', () => {
    expect(
      responseBias([
        { exposed: 100, responded: 0 },
        { exposed: 90, responded: 0 },
      ]).biased,
    ).toBe(false);
    expect(
      responseBias([
        { exposed: 100, responded: 100 },
        { exposed: 90, responded: 90 },
      ]).pValue,
    ).toBe(1);
    expect(responseBias([{ exposed: 100, responded: 30 }]).df).toBe(0);
  });
});

describe('ratio metrics (delta method)', () => {
  it('matches the matrix-form delta-method variance computed with numpy', () => {
    for (const c of ref.ratio) {
      const e = ratioEstimate(c.sums);
      close(e.ratio, c.ratio, 1e-12);
      close(e.variance, c.variance, 1e-9);
    }
  });

  it('when 2,000 seeded experiments of 400 units are simulated, then 95% intervals cover the true ratio 93.5-96.5% of the time', () => {
    const u = random(7);
    const perTicket = 0.3;
    let covered = 0;
    const runs = 2000;
    for (let r = 0; r < runs; r++) {
      const s = { n: 400, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 };
      for (let i = 0; i < s.n; i++) {
        const y = 1 + poisson(u, 2);
        let x = 0;
        for (let t = 0; t < y; t++) if (u() < perTicket) x++;
        s.sumX += x;
        s.sumY += y;
        s.sumX2 += x * x;
        s.sumY2 += y * y;
        s.sumXY += x * y;
      }
      const p = ratioPosterior(s);
      if (p.ci95[0] <= perTicket && perTicket <= p.ci95[1]) covered++;
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.935);
    expect(covered / runs).toBeLessThanOrEqual(0.965);
  });
});

describe('CUPED', () => {
  it('on Hillstrom spend with pre-period history, matches the least-squares slope and variance reduction', () => {
    const c = cupedAdjust(ref.cupedHillstrom.sums);
    close(c.theta, ref.cupedHillstrom.theta, 1e-8);
    close(c.varianceReduction, ref.cupedHillstrom.varianceReduction, 1e-6);
    for (const [k, m] of Object.entries(ref.cupedHillstrom.adjustedMeans)) close(c.arms[k]!.mean, m, 1e-9);
  });

  it('when the covariate correlates 0.7 with the outcome, then variance falls by about 0.49 and 95% intervals of the difference keep their coverage', () => {
    const u = random(11);
    const rho = 0.7;
    const effect = 0.3;
    const runs = 600;
    let covered = 0;
    let reduction = 0;
    for (let r = 0; r < runs; r++) {
      const arms: Record<string, CupedSums> = {};
      for (const [key, shift] of [
        ['control', 0],
        ['variant', effect],
      ] as const) {
        const s = { n: 300, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
        for (let i = 0; i < s.n; i++) {
          const x = normal(u);
          const y = 4 + shift + rho * x + Math.sqrt(1 - rho * rho) * normal(u);
          s.sumY += y;
          s.sumY2 += y * y;
          s.sumX += x;
          s.sumX2 += x * x;
          s.sumXY += x * y;
        }
        arms[key] = s;
      }
      const c = cupedAdjust(arms);
      reduction += c.varianceReduction / runs;
      const v = c.arms.variant!;
      const k = c.arms.control!;
      const tv = meanPosterior(v.n, v.mean, v.variance).table;
      const tc = meanPosterior(k.n, k.mean, k.variance).table;
      const lo = differenceQuantile(tv, tc, 0.025);
      const hi = differenceQuantile(tv, tc, 0.975);
      if (lo <= effect && effect <= hi) covered++;
    }
    expect(Math.abs(reduction - rho * rho)).toBeLessThan(0.03);
    expect(covered / runs).toBeGreaterThanOrEqual(0.93);
    expect(covered / runs).toBeLessThanOrEqual(0.97);
  });
});

describe('ordinal metrics', () => {
  it('gives the exact top-2-box posterior (scipy Beta quantiles)', () => {
    for (const c of ref.ordinal) {
      const p = ordinalPosterior(c.counts, 'top2');
      close(p.estimate, c.top2.mean, 1e-12);
      close(p.ci95[0], c.top2.q025, 1e-8);
      close(p.ci95[1], c.top2.q975, 1e-8);
    }
  });

  it('gives the mean score exactly and its interval within 0.01 points of 4,000,000 Dirichlet draws', () => {
    for (const c of ref.ordinal) {
      const p = ordinalPosterior(c.counts, 'mean');
      close(p.estimate, c.mean.mean, 1e-12);
      expect(Math.abs(p.ci95[0] - c.mean.q025)).toBeLessThan(0.01);
      expect(Math.abs(p.ci95[1] - c.mean.q975)).toBeLessThan(0.01);
    }
  });

  it('gives the chance that a variant has the higher mean score within 0.003 of the Monte Carlo reference', () => {
    const { control, variant, chanceToBeatMean } = ref.ordinalPair;
    const chance = chanceGreater(
      ordinalPosterior(variant, 'mean').table,
      ordinalPosterior(control, 'mean').table,
    );
    expect(Math.abs(chance - chanceToBeatMean)).toBeLessThan(0.003);
  });

  it('reports every point of the scale with its share, interval and count, and refuses a scale under 3 points', () => {
    const shares = ordinalShares([2, 3, 10, 40, 45]);
    expect(shares.map((s) => s.count)).toEqual([2, 3, 10, 40, 45]);
    close(
      shares.reduce((s, x) => s + x.share, 0),
      1,
      1e-12,
    );
    close(shares[4]!.share, 46 / 105, 1e-12);
    for (const s of shares) expect(s.ci95[0] < s.share && s.share < s.ci95[1]).toBe(true);
    expect(() => ordinalPosterior([1, 2], 'mean')).toThrow(RangeError);
  });
});

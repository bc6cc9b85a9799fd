import { readFileSync } from 'node:fs';
import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../src/stats/index.js';
import { cdf } from '../../../src/stats/posterior-table.js';
import { twoPartPosterior } from '../../../src/stats/two-part.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const ref = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/metric-kinds.json', import.meta.url), 'utf8'),
) as {
  ratio: { sums: { n: number }; ratio: number; variance: number }[];
  ordinalPair: { control: number[]; variant: number[]; chanceToBeatMean: number };
};

/**
 * P(P x M <= z) by composite Simpson over p on [0, 1] with jStat's Beta density and Student-t CDF:
 * an integral computed independently of the engine's tabulated product density.
 */
function productCdf(d: { n: number; nonZero: number; mean: number; variance: number }, z: number): number {
  const a = 1 + d.nonZero;
  const b = 1 + d.n - d.nonZero;
  const df = d.nonZero - 1;
  const scale = Math.sqrt(d.variance / d.nonZero);
  const f = (p: number) =>
    p <= 0 ? 0 : jStat.beta.pdf(p, a, b) * jStat.studentt.cdf((z / p - d.mean) / scale, df);
  // Simpson on the part of [0, 1] where the Beta has its mass.
  const lo = Math.max(0, jStat.beta.inv(1e-12, a, b));
  const hi = Math.min(1, jStat.beta.inv(1 - 1e-12, a, b));
  const steps = 20_000;
  const h = (hi - lo) / steps;
  let s = f(lo) + f(hi);
  for (let i = 1; i < steps; i++) s += (i % 2 === 0 ? 2 : 4) * f(lo + i * h);
  return (s * h) / 3;
}

const base = (metric: Record<string, unknown>) => ({
  control: 'a',
  variants: [
    { key: 'a', weight: 0.5, exposures: 1000 },
    { key: 'b', weight: 0.5, exposures: 1000 },
  ],
  metrics: [{ key: 'm', role: 'primary', ...metric }],
});

describe('the two-part revenue statistic', () => {
  const cases = [
    { n: 1000, nonZero: 30, mean: 100, variance: 3000 },
    { n: 64000, nonZero: 578, mean: 116, variance: 20000 },
    { n: 100, nonZero: 95, mean: 10, variance: 4 },
    { n: 50, nonZero: 5, mean: 2, variance: 100 },
  ];

  it('when the share and the mean of non-zero amounts are posterior, then the product interval ends have the CDF of an independent integral', () => {
    for (const d of cases) {
      const { product } = twoPartPosterior(d);
      expect(product.estimate).toBeCloseTo(((1 + d.nonZero) / (2 + d.n)) * d.mean, 12);
      expect(Math.abs(productCdf(d, product.ci95[0]) - 0.025)).toBeLessThan(1e-6);
      expect(Math.abs(productCdf(d, product.ci95[1]) - 0.975)).toBeLessThan(1e-6);
      const mid = product.estimate;
      expect(Math.abs(cdf(product.table, mid) - productCdf(d, mid))).toBeLessThan(1e-6);
    }
  });

  it('when a revenue metric is analysed with the two-part model, then an arm with fewer than 3 non-zero units has no posterior', () => {
    const r = analyze(
      base({
        kind: 'revenue',
        model: 'two-part',
        data: {
          a: { n: 1000, nonZero: 40, sum: 4100, sumSquares: 560000 },
          b: { n: 1000, nonZero: 2, sum: 50, sumSquares: 1300 },
        },
      }),
    );
    expect(r.metrics.m?.variants.b).toMatchObject({ status: 'insufficient-data' });
    expect(r.metrics.m?.variants.a).toMatchObject({ status: 'ok' });
  });

  it('refuses CUPED with the two-part model and a non-zero count above n, naming the fields', () => {
    expect(() =>
      analyze(
        base({
          kind: 'revenue',
          model: 'two-part',
          data: {
            a: { n: 10, nonZero: 11, sum: 5, sumSquares: 5 },
            b: { n: 10, nonZero: 1, sum: 5, sumSquares: 25 },
          },
          cuped: { data: { a: { sumX: 1, sumX2: 1, sumXY: 1 }, b: { sumX: 1, sumX2: 1, sumXY: 1 } } },
        }),
      ),
    ).toThrow(
      /metrics\[0\]\.data\.a\.nonZero: must be <= n \(10\).*metrics\[0\]\.cuped: applies to the mean model only|metrics\[0\]\.cuped: applies to the mean model only.*metrics\[0\]\.data\.a\.nonZero/,
    );
  });
});

describe('ratio and ordinal metrics through analyze()', () => {
  it('when ratio sums are analysed, then the estimate and interval are the numpy delta-method figures', () => {
    const c = ref.ratio[1]!;
    const r = analyze(base({ kind: 'ratio', data: { a: c.sums, b: c.sums } }));
    const a = r.metrics.m?.variants.a;
    if (a?.status !== 'ok') throw new Error('no estimate');
    expect(a.estimate).toBeCloseTo(c.ratio, 12);
    expect(a.ci95[1] - a.ci95[0]).toBeCloseTo(2 * 1.959963984540054 * Math.sqrt(c.variance), 7);
    expect(r.metrics.m?.unit).toBe('ratio');
  });

  it('when an ordinal metric is compared on the mean score, then the chance to beat is the Monte Carlo reference within 0.003', () => {
    const { control, variant, chanceToBeatMean } = ref.ordinalPair;
    const r = analyze(
      base({ kind: 'ordinal', summary: 'mean', data: { a: { counts: control }, b: { counts: variant } } }),
    );
    const b = r.metrics.m?.variants.b;
    if (!b || !('chanceToBeatControl' in b)) throw new Error('no comparison');
    expect(Math.abs(b.chanceToBeatControl - chanceToBeatMean)).toBeLessThan(0.003);
    expect(r.metrics.m?.ordinal?.arms.a?.shares.map((s) => s.count)).toEqual(control);
  });

  it('refuses an ordinal metric whose arms have scales of different lengths', () => {
    expect(() =>
      analyze(base({ kind: 'ordinal', data: { a: { counts: [1, 2, 3, 4, 5] }, b: { counts: [1, 2, 3] } } })),
    ).toThrow(/metrics\[0\]\.data\.b\.counts: must have 5 points like the others/);
  });
});

describe('CUPED through analyze()', () => {
  it('when 1,000 seeded experiments have a covariate correlated 0.6 with the outcome, then the adjusted 95% intervals of the lift cover the true lift 93.5-96.5% of the time and the variance falls by about 0.36', () => {
    const u = seededRandom(31);
    const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    const rho = 0.6;
    const effect = 0.25;
    const runs = 1000;
    let covered = 0;
    let reduction = 0;
    for (let r = 0; r < runs; r++) {
      const data: Record<string, { n: number; mean: number; variance: number }> = {};
      const cov: Record<string, { sumX: number; sumX2: number; sumXY: number }> = {};
      for (const [key, shift] of [
        ['a', 0],
        ['b', effect],
      ] as const) {
        const ys: number[] = [];
        const c = { sumX: 0, sumX2: 0, sumXY: 0 };
        for (let i = 0; i < 200; i++) {
          const x = 10 + normal();
          const y = 5 + shift + rho * (x - 10) + Math.sqrt(1 - rho * rho) * normal();
          ys.push(y);
          c.sumX += x;
          c.sumX2 += x * x;
          c.sumXY += x * y;
        }
        const m = ys.reduce((s, y) => s + y, 0) / ys.length;
        data[key] = {
          n: ys.length,
          mean: m,
          variance: ys.reduce((s, y) => s + (y - m) ** 2, 0) / (ys.length - 1),
        };
        cov[key] = c;
      }
      const out = analyze({
        ...base({ kind: 'mean', data, cuped: { data: cov } }),
        decision: { sequential: false },
      });
      const m = out.metrics.m;
      const b = m?.variants.b;
      if (!m?.cuped || !b || !('absoluteLift' in b)) throw new Error('no comparison');
      reduction += m.cuped.varianceReduction / runs;
      if (b.absoluteLift.ci95[0] <= effect && effect <= b.absoluteLift.ci95[1]) covered++;
    }
    expect(Math.abs(reduction - rho * rho)).toBeLessThan(0.03);
    expect(covered / runs).toBeGreaterThanOrEqual(0.935);
    expect(covered / runs).toBeLessThanOrEqual(0.965);
  });
});

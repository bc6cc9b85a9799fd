import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { analyze, isVariantResult, type VariantResult } from '../../../src/stats/index.ts';
import { createRng } from '../../../src/stats/rng.ts';
import { normalCdf, normalExpectedPositive } from './exact.ts';
import { expectAllFinite, expectRelative, twoArm } from './helpers.ts';

type Data = Record<string, number>;

function compare(kind: 'mean' | 'nps', control: Data, variant: Data, extra = {}): VariantResult {
  const r = analyze(twoArm(kind, control, variant, extra)).metrics.m?.variants.variant;
  if (!isVariantResult(r)) throw new Error('no comparison');
  return r;
}

describe('mean metrics (Student-t posterior)', () => {
  it('matches the normal closed forms at large n (t with 10^6 degrees of freedom is normal)', () => {
    const c = { n: 1_000_000, mean: 3.9, variance: 1.1 };
    const v = { n: 1_000_000, mean: 3.9025, variance: 1.05 };
    const r = compare('mean', c, v);
    const sd = Math.sqrt(1.1 / 1e6 + 1.05 / 1e6);
    expect(r.chanceToBeatControl).toBeCloseTo(normalCdf(0.0025 / sd), 5);
    expectRelative(r.expectedLoss.ship, normalExpectedPositive(-0.0025, sd), 0.001);
    expectRelative(r.expectedLoss.keep, normalExpectedPositive(0.0025, sd), 0.001);
    expectRelative(r.absoluteLift.ci95[1] - 0.0025, 1.959964 * sd, 0.001);
  });

  it('uses the t distribution at small n: the single-arm interval is the t interval', () => {
    const readout = analyze(
      twoArm('mean', { n: 5, mean: 4, variance: 0.5 }, { n: 5, mean: 4.2, variance: 0.7 }),
    );
    const control = readout.metrics.m?.variants.control;
    if (control?.status !== 'ok') throw new Error('no control');
    const half = jStat.studentt.inv(0.975, 4) * Math.sqrt(0.5 / 5);
    expect(control.ci95[0]).toBeCloseTo(4 - half, 6);
    expect(control.ci95[1]).toBeCloseTo(4 + half, 6);
    expectAllFinite(readout);
  });

  it('flips chance, losses and harm for a lower-is-better metric (customer effort)', () => {
    const c = { n: 700, mean: 3.1, variance: 1.6 };
    const v = { n: 690, mean: 3.0, variance: 1.5 };
    const higher = compare('mean', c, v, { margin: 0.05 });
    const lower = compare('mean', c, v, { margin: 0.05, lowerIsBetter: true });
    expect(lower.chanceToBeatControl).toBeCloseTo(1 - higher.chanceToBeatControl, 12);
    expect(lower.expectedLoss.ship).toBeCloseTo(higher.expectedLoss.keep, 12);
    expect(lower.expectedLoss.keep).toBeCloseTo(higher.expectedLoss.ship, 12);
    expect(lower.chanceToBeatControl).toBeGreaterThan(0.9);
    // Harm for lower-is-better is a rise above the margin: P(V - C > 0.05).
    expect(lower.chanceOfHarm).toBeLessThan(higher.chanceOfHarm);
    expect(lower.absoluteLift.mean).toBeCloseTo(-0.1, 12);
  });

  it('reports exactly 0.5 for identical arms', () => {
    const r = compare('mean', { n: 50, mean: 2, variance: 3 }, { n: 50, mean: 2, variance: 3 });
    expect(r.chanceToBeatControl).toBeCloseTo(0.5, 12);
  });

  it('finds the relative-lift quantiles when the control mean is 0, checked by a seeded Monte Carlo', () => {
    const readout = analyze(
      twoArm('mean', { n: 100, mean: 0, variance: 1 }, { n: 100, mean: 0.3, variance: 1 }),
    );
    const r = readout.metrics.m?.variants.variant;
    if (!isVariantResult(r)) throw new Error('no comparison');
    // (V - C) / |C| with C ~ t(99) scaled 0.1 around 0 and V around 0.3: heavy-tailed, so the check
    // is that the empirical CDF at each reported quantile is its probability.
    const rng = createRng(5);
    const t99 = (): number => rng.normal() / Math.sqrt((2 * rng.gamma(99 / 2)) / 99);
    const draws = 200_000;
    const ratios = new Float64Array(draws);
    for (let i = 0; i < draws; i++) {
      const c = 0.1 * t99();
      ratios[i] = (0.3 + 0.1 * t99() - c) / Math.abs(c);
    }
    const below = (q: number): number => ratios.filter((x) => x <= q).length / draws;
    const points: [number, number][] = [
      [r.relativeLift.ci95[0], 0.025],
      [r.relativeLift.mean, 0.5],
      [r.relativeLift.ci95[1], 0.975],
    ];
    for (const [q, p] of points) {
      expect(Math.abs(below(q) - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws));
    }
    expect(r.notes).toContain(
      "relativeLift is not meaningful: the control's 95% interval includes 0; read absoluteLift",
    );
    // The summary then states the lift in the metric's own units.
    expect(readout.decision.summary).toMatch(
      /^variant: 98% chance it raises m, \+0\.30 points \(95% credible interval \+0\.02 to \+0\.58\)\./,
    );
  });

  it('writes small lifts at 10^8 users with enough decimals to be read', () => {
    const readout = analyze(
      twoArm('mean', { n: 1e8, mean: 3.9, variance: 1.1 }, { n: 1e8, mean: 3.9002, variance: 1.1 }),
    );
    // Relative lift 0.0002 / 3.9 = +0.0051%, sd sqrt(2.2e-8) / 3.9 = 0.0038%.
    expect(readout.decision.summary).toMatch(
      /chance it raises m, \+0\.005% \(95% credible interval -0\.002% to \+0\.013%\)/,
    );
  });
});

describe('NPS metrics (Dirichlet posterior, exact quadrature)', () => {
  it('reports exactly 0.5 for identical arms', () => {
    const counts = { detractors: 30, passives: 50, promoters: 70 };
    expect(compare('nps', counts, counts).chanceToBeatControl).toBeCloseTo(0.5, 10);
  });

  it('agrees with a seeded Monte Carlo of the Dirichlet (Gamma draws) at small counts', () => {
    const c = { detractors: 6, passives: 4, promoters: 9 };
    const v = { detractors: 3, passives: 5, promoters: 12 };
    const r = compare('nps', c, v);
    const rng = createRng(7);
    const draws = 400_000;
    const nps = (d: Data): number => {
      const a = rng.gamma(1 + (d.detractors ?? 0));
      const p = rng.gamma(1 + (d.passives ?? 0));
      const b = rng.gamma(1 + (d.promoters ?? 0));
      return (100 * (b - a)) / (a + p + b);
    };
    let wins = 0;
    const diffs = new Float64Array(draws);
    for (let i = 0; i < draws; i++) {
      const d = nps(v) - nps(c);
      diffs[i] = d;
      if (d > 0) wins++;
    }
    diffs.sort();
    // Monte Carlo standard error of the chance is below 0.0008; of the quantiles about 0.2 points.
    expect(Math.abs(r.chanceToBeatControl - wins / draws)).toBeLessThan(0.003);
    expect(Math.abs(r.absoluteLift.ci95[0] - (diffs[Math.floor(0.025 * draws)] ?? 0))).toBeLessThan(1);
    expect(Math.abs(r.absoluteLift.ci95[1] - (diffs[Math.floor(0.975 * draws)] ?? 0))).toBeLessThan(1);
  });

  it('estimates NPS as 100 x (promoter share - detractor share) of the posterior mean', () => {
    const readout = analyze(
      twoArm(
        'nps',
        { detractors: 0, passives: 0, promoters: 10 },
        { detractors: 10, passives: 0, promoters: 0 },
      ),
    );
    const control = readout.metrics.m?.variants.control;
    if (control?.status !== 'ok') throw new Error('no control');
    expect(control.estimate).toBeCloseTo((100 * (11 - 1)) / 13, 10);
    expectAllFinite(readout);
  });
});

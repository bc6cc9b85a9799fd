import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { analyze, isVariantResult, type Readout, type VariantResult } from '../../../src/stats/index.ts';
import { simpson } from '../../helpers/simpson.ts';
import { betaChanceGreater, betaExpectedExcess, normalCdf, normalExpectedPositive } from './exact.ts';
import { expectAllFinite, expectRelative, twoArm } from './helpers.ts';

function compare(
  control: [number, number],
  variant: [number, number],
  extra = {},
): { r: VariantResult; readout: Readout } {
  const readout = analyze(
    twoArm(
      'conversion',
      { n: control[0], conversions: control[1] },
      { n: variant[0], conversions: variant[1] },
      extra,
    ),
  );
  const r = readout.metrics.m?.variants.variant;
  if (!isVariantResult(r)) throw new Error('no comparison');
  return { r, readout };
}

describe('conversion metrics (Beta-Binomial, exact)', () => {
  const smallCases: [number, number, number, number][] = [
    [20, 3, 25, 7],
    [50, 0, 50, 2],
    [10, 10, 10, 9],
    [200, 30, 180, 35],
    [1, 1, 1, 0],
  ];
  for (const [n1, c1, n2, c2] of smallCases) {
    it(`matches the closed-form sum for chance and losses (control ${c1}/${n1}, variant ${c2}/${n2})`, () => {
      const { r } = compare([n1, c1], [n2, c2]);
      const [aC, bC, aV, bV] = [1 + c1, 1 + n1 - c1, 1 + c2, 1 + n2 - c2];
      expect(r.chanceToBeatControl).toBeCloseTo(betaChanceGreater(aV, bV, aC, bC), 9);
      expect(r.expectedLoss.ship).toBeCloseTo(betaExpectedExcess(aC, bC, aV, bV), 9);
      expect(r.expectedLoss.keep).toBeCloseTo(betaExpectedExcess(aV, bV, aC, bC), 9);
    });
  }

  it('gives 5/6 for one converted user against one who did not (Beta(2,1) vs Beta(1,2))', () => {
    const { r } = compare([1, 0], [1, 1]);
    expect(r.chanceToBeatControl).toBeCloseTo(5 / 6, 10);
  });

  it('puts the lift interval ends where the independently integrated CDF of the ratio is 2.5% and 97.5%', () => {
    const { r } = compare([300, 24], [310, 35]);
    const [aC, bC, aV, bV] = [25, 277, 36, 276];
    // P(V / C - 1 <= q) = integral of f_C(c) I_{(1+q)c}(aV, bV) dc, by Simpson's rule with jStat.
    const ratioCdf = (q: number): number =>
      simpson((c) => jStat.beta.pdf(c, aC, bC) * jStat.ibeta(Math.min(1, (1 + q) * c), aV, bV));
    expect(ratioCdf(r.relativeLift.ci95[0])).toBeCloseTo(0.025, 5);
    expect(ratioCdf(r.relativeLift.ci95[1])).toBeCloseTo(0.975, 5);
    // The interval is skewed: the upper end is further from the mean than the lower end.
    expect(r.relativeLift.ci95[1] - r.relativeLift.mean).toBeGreaterThan(
      r.relativeLift.mean - r.relativeLift.ci95[0],
    );
  });

  it('reports exactly 0.5 for identical arms, equal losses and an interval symmetric about 0', () => {
    const { r } = compare([5000, 400], [5000, 400]);
    expect(r.chanceToBeatControl).toBeCloseTo(0.5, 12);
    expect(r.expectedLoss.ship).toBeCloseTo(r.expectedLoss.keep, 14);
    expect(r.absoluteLift.ci95[0]).toBeCloseTo(-r.absoluteLift.ci95[1], 12);
  });

  it('handles zero conversions in both arms: 0.5, finite everything, median relative lift with a note', () => {
    const { r, readout } = compare([1000, 0], [1000, 0]);
    expect(r.chanceToBeatControl).toBeCloseTo(0.5, 12);
    expect(r.estimate).toBeCloseTo(1 / 1002, 15);
    expect(r.notes?.[0]).toMatch(/median/);
    expectAllFinite(readout);
  });

  it('handles zero conversions in the control against some in the variant', () => {
    const { r } = compare([400, 0], [400, 4]);
    expect(r.chanceToBeatControl).toBeCloseTo(betaChanceGreater(5, 397, 1, 401), 9);
    expect(r.relativeLift.ci95[1]).toBeGreaterThan(1);
  });

  it('handles all users converting', () => {
    const { r, readout } = compare([50, 50], [50, 49]);
    expect(r.estimate).toBeCloseTo(50 / 52, 14);
    expect(r.chanceToBeatControl).toBeCloseTo(betaChanceGreater(50, 2, 51, 1), 9);
    expectAllFinite(readout);
  });

  it('uses an informative prior when given: Beta(alpha + conversions, beta + failures)', () => {
    const prior = { alpha: 10, beta: 90 };
    const { r } = compare([100, 10], [100, 15], { prior });
    expect(r.estimate).toBeCloseTo(25 / 200, 14);
    expect(r.chanceToBeatControl).toBeCloseTo(betaChanceGreater(25, 175, 20, 180), 9);
  });

  it('stays exact at 10^8 users per arm, where the normal approximation is also accurate', () => {
    const n = 1e8;
    const { r, readout } = compare([n, 10_000_000], [n, 10_004_000]);
    const [aC, bC, aV, bV] = [1 + 1e7, 1 + n - 1e7, 1 + 10_004_000, 1 + n - 10_004_000];
    const mean = aV / (aV + bV) - aC / (aC + bC);
    const sd = Math.sqrt(
      (aV * bV) / ((aV + bV) ** 2 * (aV + bV + 1)) + (aC * bC) / ((aC + bC) ** 2 * (aC + bC + 1)),
    );
    // Skewness of these posteriors is below 1e-3, so the normal answer is right to ~1e-4.
    expect(Math.abs(r.chanceToBeatControl - normalCdf(mean / sd))).toBeLessThan(2e-4);
    expectRelative(r.expectedLoss.ship, normalExpectedPositive(-mean, sd), 0.005);
    expectRelative(r.absoluteLift.ci95[1] - r.absoluteLift.ci95[0], 2 * 1.959964 * sd, 0.001);
    expectAllFinite(readout);
  });

  it('stays exact at 10^8 users with very few conversions, where the posterior is far from normal', () => {
    const { r } = compare([1e8, 3], [1e8, 12]);
    // The sum's log-beta terms are differences of log-gammas near 4e9, good to ~1e-7 only.
    expect(r.chanceToBeatControl).toBeCloseTo(betaChanceGreater(13, 1e8 - 11, 4, 1e8 - 2), 6);
    expectRelative(r.expectedLoss.keep, betaExpectedExcess(13, 1e8 - 11, 4, 1e8 - 2), 1e-4);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, isVariantResult, npsPosterior } from '../../../src/stats/index.ts';
import { repoRoot, twoArm } from './helpers.ts';

interface Counts {
  detractors: number;
  passives: number;
  promoters: number;
}

/** Computed by scripts/reference/nps_exact.py (scipy, conditioned on the detractor share). */
const exact = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/stats/nps-exact.json'), 'utf8')) as {
  arms: { counts: Counts; estimate: number; ci95: [number, number] }[];
  pairs: { control: Counts; variant: Counts; chanceToBeatControl: number }[];
};

const label = (c: Counts): string => `${c.detractors}/${c.passives}/${c.promoters}`;

describe('NPS posteriors with an empty category match exact values computed outside the engine', () => {
  it('has cases with no detractors, no passives and no promoters', () => {
    const empty = (k: keyof Counts) => exact.arms.some((a) => a.counts[k] === 0);
    expect(empty('detractors') && empty('passives') && empty('promoters')).toBe(true);
    expect(exact.pairs.length).toBeGreaterThanOrEqual(5);
  });

  for (const arm of exact.arms) {
    it(`when an arm has ${label(arm.counts)} answers, then its 95% interval is exact to 0.001 points`, () => {
      const p = npsPosterior(arm.counts);
      expect(Math.abs(p.estimate - arm.estimate)).toBeLessThan(1e-9);
      expect(Math.abs(p.ci95[0] - arm.ci95[0])).toBeLessThan(0.001);
      expect(Math.abs(p.ci95[1] - arm.ci95[1])).toBeLessThan(0.001);
    });
  }

  for (const pair of exact.pairs) {
    it(`when ${label(pair.variant)} is compared with ${label(pair.control)}, then the chance to beat is exact to 1e-6`, () => {
      const r = analyze(twoArm('nps', { ...pair.control }, { ...pair.variant })).metrics.m?.variants.variant;
      if (!isVariantResult(r)) throw new Error('no comparison');
      expect(Math.abs(r.chanceToBeatControl - pair.chanceToBeatControl)).toBeLessThan(1e-6);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { analyze, sampleRatioMismatch } from '../../../src/stats/index.ts';
import { fixture } from './helpers.ts';

describe('sample-ratio mismatch (chi-square goodness of fit)', () => {
  it('matches the df = 1 closed form p = erfc(sqrt(chi2 / 2)) for a 50/50 split', () => {
    // 5000 vs 5200: chi2 = 2 * 100^2 / 5100 = 3.92157, p = erfc(1.40028) = 0.04767 (tables: 0.0477).
    const r = sampleRatioMismatch([
      { exposures: 5000, weight: 1 },
      { exposures: 5200, weight: 1 },
    ]);
    expect(r.chiSquare).toBeCloseTo(3.921569, 5);
    expect(r.pValue).toBeCloseTo(0.04767, 5);
    expect(r.mismatch).toBe(false);
  });

  it('matches the df = 2 closed form p = exp(-chi2 / 2) for three arms with unequal weights', () => {
    const arms = [
      { exposures: 2000, weight: 0.2 },
      { exposures: 4100, weight: 0.4 },
      { exposures: 3900, weight: 0.4 },
    ];
    const r = sampleRatioMismatch(arms);
    const chi2 = 0 + 100 ** 2 / 4000 + 100 ** 2 / 4000;
    expect(r.chiSquare).toBeCloseTo(chi2, 10);
    expect(r.pValue).toBeCloseTo(Math.exp(-chi2 / 2), 6);
  });

  it('flags a mismatch when p < 0.001 and stops the experiment', () => {
    const input = fixture('landing-page.json');
    input.variants[1] = { ...input.variants[1], key: 'treatment', weight: 0.5, exposures: 150000 };
    const readout = analyze(input);
    expect(readout.srm.mismatch).toBe(true);
    expect(readout.srm.pValue).toBeLessThan(0.001);
    expect(readout.decision.action).toBe('stop-srm');
    expect(readout.decision.summary).toMatch(/sample-ratio mismatch/);
  });

  it('treats exposures on a zero-weight arm as a mismatch, and no exposures as no evidence', () => {
    expect(
      sampleRatioMismatch([
        { exposures: 10, weight: 0 },
        { exposures: 100, weight: 1 },
      ]).mismatch,
    ).toBe(true);
    expect(
      sampleRatioMismatch([
        { exposures: 0, weight: 1 },
        { exposures: 0, weight: 1 },
      ]),
    ).toMatchObject({ pValue: 1, mismatch: false });
  });
});

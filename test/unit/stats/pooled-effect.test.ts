import { describe, expect, it } from 'vitest';
import { poolEffects } from '../../../src/stats/pooled-effect.ts';
import { referencePooled } from '../../helpers/random-effects-reference.js';

const keyed = (effects: { estimate: number; variance: number }[]) =>
  effects.map((e, i) => ({ key: `e${i}`, ...e }));

describe('pooled effect of several experiments', () => {
  it('when experiments of different precision and agreement are pooled, then the estimate, interval and chance above 0 equal the random-effects integral computed apart from the engine', () => {
    const sets = [
      [{ estimate: 0.05, variance: 0.0004 }],
      [
        { estimate: 0.05, variance: 0.0004 },
        { estimate: 0.12, variance: 0.001 },
      ],
      [0.02, 0.05, 0.04, 0.08, 0.06, -0.01].map((e, i) => ({ estimate: e, variance: 0.0004 * (1 + i) })),
      [
        { estimate: -0.3, variance: 0.01 },
        { estimate: 0.2, variance: 0.02 },
        { estimate: 0.1, variance: 0.0009 },
      ],
    ];
    for (const set of sets) {
      const pooled = poolEffects(keyed(set))!;
      const ref = referencePooled(set);
      expect(pooled.experiments).toBe(set.length);
      expect(pooled.estimate).toBeCloseTo(ref.estimate, 5);
      expect(pooled.ci95[0]).toBeCloseTo(ref.ci95[0], 5);
      expect(pooled.ci95[1]).toBeCloseTo(ref.ci95[1], 5);
      expect(pooled.chanceAboveZero).toBeCloseTo(ref.chanceAboveZero, 5);
    }
  });

  it('when a tight experiment and a noisy one disagree, then the tight one weighs more than in a plain mean', () => {
    const pooled = poolEffects(
      keyed([
        { estimate: 0.02, variance: 0.01 ** 2 },
        { estimate: 0.3, variance: 0.2 ** 2 },
      ]),
    )!;
    expect(pooled.estimate).toBeLessThan((0.02 + 0.3) / 2);
    expect(Math.abs(pooled.estimate - 0.02)).toBeLessThan(Math.abs(pooled.estimate - 0.3));
  });

  it('when one experiment is pooled, then its interval is wider than its own: one experiment does not tell the spread between experiments', () => {
    const pooled = poolEffects(keyed([{ estimate: 0.05, variance: 0.02 ** 2 }]))!;
    expect(pooled.estimate).toBeCloseTo(0.05, 12);
    expect(pooled.ci95[1] - pooled.ci95[0]).toBeGreaterThan(2 * 1.96 * 0.02);
  });

  it('when no effect has a usable variance, then nothing is pooled', () => {
    expect(poolEffects([])).toBeNull();
    expect(poolEffects(keyed([{ estimate: 0.1, variance: 0 }]))).toBeNull();
    expect(poolEffects(keyed([{ estimate: Number.NaN, variance: 0.01 }]))).toBeNull();
  });
});

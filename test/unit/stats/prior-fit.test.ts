import { describe, expect, it } from 'vitest';
import { combineWithPrior, type PastEffect, priorFromPast } from '../../../src/stats/prior-fit.ts';

/** The test's own seeded generator (mulberry32) and normal draws: nothing shared with the engine. */
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

describe('priors from past nudges', () => {
  it('when effects are drawn from N(5%, 3%^2) and 12 past studies are known, then 95% intervals cover the true effect 94-96% of the time and are narrower than the experiment alone', () => {
    const u = random(2026);
    const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    const draw = (key: string): PastEffect & { truth: number } => {
      const s = 0.02 + 0.04 * u();
      const truth = 0.05 + 0.03 * normal();
      return { key, truth, estimate: truth + s * normal(), variance: s * s };
    };
    const runs = 2000;
    let covered = 0;
    let width = 0;
    let alone = 0;
    for (let r = 0; r < runs; r++) {
      const prior = priorFromPast(Array.from({ length: 12 }, (_, j) => draw(`exp-${j}`)))!;
      const next = draw('next');
      const post = combineWithPrior(next.estimate, next.variance, prior);
      if (post.ci95[0] <= next.truth && next.truth <= post.ci95[1]) covered++;
      width += post.ci95[1] - post.ci95[0];
      alone += 2 * 1.96 * Math.sqrt(next.variance);
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.94);
    expect(covered / runs).toBeLessThanOrEqual(0.96);
    expect(width / alone).toBeLessThan(0.85);
  }, 120_000);

  it('fits no prior from fewer past experiments than the floor, and names the experiments it used', () => {
    const past = [0.02, 0.05, 0.04, 0.08].map((e, i) => ({ key: `e${i}`, estimate: e, variance: 0.0004 }));
    expect(priorFromPast(past)).toBeNull();
    const prior = priorFromPast([...past, { key: 'e4', estimate: 0.06, variance: 0.0004 }])!;
    expect(prior.from).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(prior.mean).toBeGreaterThan(0.03);
    expect(prior.mean).toBeLessThan(0.07);
  });

  it('moves an outlying estimate toward the past, and says by how much', () => {
    const past = Array.from({ length: 10 }, (_, i) => ({
      key: `e${i}`,
      estimate: 0.04 + 0.002 * i,
      variance: 0.0001,
    }));
    const post = combineWithPrior(0.3, 0.01, priorFromPast(past)!);
    expect(post.estimate).toBeLessThan(0.3);
    expect(post.moved).toBeCloseTo(post.estimate - 0.3, 12);
    expect(post.ci95[0]).toBeLessThan(post.estimate);
    expect(post.ci95[1]).toBeGreaterThan(post.estimate);
  });
});

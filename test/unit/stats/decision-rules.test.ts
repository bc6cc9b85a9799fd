import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AnalyzeInputRaw,
  analyze,
  conversionPosterior,
  fitHierarchy,
  normalChanceBest,
} from '../../../src/stats/index.ts';
import { createRng } from '../../../src/stats/rng.ts';
import { repoRoot } from './helpers.ts';

type Metric = AnalyzeInputRaw['metrics'][number];

function conversionExperiment(
  arms: { key: string; weight: number; n: number; conversions: number }[],
  extra: Partial<AnalyzeInputRaw> = {},
  lowerIsBetter = false,
): AnalyzeInputRaw {
  return {
    control: arms[0]?.key ?? 'a',
    variants: arms.map((a) => ({ key: a.key, weight: a.weight, exposures: a.n })),
    metrics: [
      {
        key: 'm',
        kind: 'conversion',
        role: 'primary',
        lowerIsBetter,
        data: Object.fromEntries(arms.map((a) => [a.key, { n: a.n, conversions: a.conversions }])),
      } as Metric,
    ],
    ...extra,
  };
}

describe('log-odds moments of a Beta posterior (the gate effect)', () => {
  const ref = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/stats/log-odds.json'), 'utf8')) as {
    cases: { alpha: number; beta: number; mean: number; variance: number }[];
  };
  for (const c of ref.cases) {
    it(`when p ~ Beta(${c.alpha}, ${c.beta}), then mean and variance of logit p match scipy quadrature`, () => {
      const p = conversionPosterior(c.alpha + c.beta - 2, c.alpha - 1, { alpha: 1, beta: 1 });
      expect(Math.abs((p.logOdds?.mean ?? Number.NaN) - c.mean)).toBeLessThan(1e-9);
      expect(Math.abs((p.logOdds?.variance ?? Number.NaN) - c.variance) / c.variance).toBeLessThan(1e-8);
    });
  }
});

describe('the decision does not depend on how a conversion metric is encoded', () => {
  it('when a metric is complemented and lowerIsBetter flipped, then every case of a grid decides the same', () => {
    const rng = createRng(4242);
    let ships = 0;
    let cases = 0;
    for (const n of [500, 5000, 50000]) {
      for (const rate of [0.01, 0.1, 0.5, 0.9, 0.99]) {
        for (const lift of [-0.3, -0.05, 0, 0.02, 0.05, 0.3]) {
          const pv = Math.min(0.999, Math.max(0.001, rate * (1 + lift)));
          const c = rng.binomial(n, rate);
          const v = rng.binomial(n, pv);
          const arms = [
            { key: 'a', weight: 1, n, conversions: c },
            { key: 'b', weight: 1, n, conversions: v },
          ];
          const flipped = arms.map((x) => ({ ...x, conversions: x.n - x.conversions }));
          const one = analyze(conversionExperiment(arms)).decision;
          const other = analyze(conversionExperiment(flipped, {}, true)).decision;
          expect(
            { action: other.action, variant: other.variant },
            `n ${n} rate ${rate} lift ${lift}`,
          ).toEqual({
            action: one.action,
            variant: one.variant,
          });
          cases++;
          if (one.action === 'ship') ships++;
        }
      }
    }
    // The grid must exercise both outcomes, or it proves nothing.
    expect(ships).toBeGreaterThan(5);
    expect(ships).toBeLessThan(cases - 5);
  });

  it('when the 99% on-time metric of the audit is coded either way, then both keep the same decision', () => {
    const onTime = [
      { key: 'a', weight: 1, n: 50000, conversions: 49500 },
      { key: 'b', weight: 1, n: 50000, conversions: 49600 },
    ];
    const late = onTime.map((x) => ({ ...x, conversions: x.n - x.conversions }));
    const a = analyze(conversionExperiment(onTime)).decision.action;
    expect(analyze(conversionExperiment(late, {}, true)).decision.action).toBe(a);
  });
});

describe('arms with weight 0', () => {
  const clear = [
    { key: 'a', weight: 0.5, n: 20000, conversions: 2000 },
    { key: 'b', weight: 0.5, n: 20000, conversions: 2500 },
  ];
  it('when a dead arm has no users, then it neither holds up the minimum sample nor the decision', () => {
    const readout = analyze(
      conversionExperiment([...clear, { key: 'dead', weight: 0, n: 0, conversions: 0 }]),
    );
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'b' });
  });

  it('when a dead arm would be the winner, then it is never shipped', () => {
    const readout = analyze(
      conversionExperiment([...clear, { key: 'retired', weight: 0, n: 10000, conversions: 1500 }], {
        phases: [
          {
            weights: { a: 1 / 3, b: 1 / 3, retired: 1 / 3 },
            exposures: { a: 10000, b: 10000, retired: 10000 },
          },
          { weights: { a: 0.5, b: 0.5, retired: 0 }, exposures: { a: 10000, b: 10000 } },
        ],
      }),
    );
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'b' });
  });

  it('when exposures match the weights of the phase they came in, then the sample-ratio check passes', () => {
    const phases = [
      { weights: { a: 1 / 3, b: 1 / 3, c: 1 / 3 }, exposures: { a: 3010, b: 2990, c: 3000 } },
      { weights: { a: 0.5, b: 0.5, c: 0 }, exposures: { a: 5020, b: 4980, c: 0 } },
    ];
    const arms = [
      { key: 'a', weight: 0.5, n: 8030, conversions: 800 },
      { key: 'b', weight: 0.5, n: 7970, conversions: 800 },
      { key: 'c', weight: 0, n: 3000, conversions: 300 },
    ];
    const readout = analyze(conversionExperiment(arms, { phases }));
    expect(readout.srm.mismatch).toBe(false);
    expect(readout.srm.df).toBe(3);
    // The same exposures against today's weights alone would fail (arm c has weight 0 now).
    expect(analyze(conversionExperiment(arms)).srm.mismatch).toBe(true);
  });

  it('when an arm gets traffic in a phase where its weight is 0, then the check still fails', () => {
    const phases = [{ weights: { a: 0.5, b: 0.5, c: 0 }, exposures: { a: 5000, b: 5000, c: 20 } }];
    const arms = [
      { key: 'a', weight: 0.5, n: 5000, conversions: 500 },
      { key: 'b', weight: 0.5, n: 5000, conversions: 500 },
      { key: 'c', weight: 0, n: 20, conversions: 2 },
    ];
    expect(analyze(conversionExperiment(arms, { phases })).decision.action).toBe('stop-srm');
  });
});

describe('the empirical-Bayes hierarchy of many-arm studies', () => {
  it('when fitted, then mu and tau maximise the marginal likelihood found by a grid search', () => {
    const rng = createRng(99);
    const arms = Array.from({ length: 12 }, (_, i) => {
      const variance = 0.0004 * (1 + (i % 3));
      return { key: `v${i}`, mean: 0.05 * rng.normal() + Math.sqrt(variance) * rng.normal(), variance };
    });
    const fit = fitHierarchy(arms);
    const logLik = (mu: number, tau: number): number =>
      arms.reduce((s, a) => {
        const v = a.variance + tau * tau;
        return s - 0.5 * Math.log(v) - (a.mean - mu) ** 2 / (2 * v);
      }, 0);
    let best = { mu: 0, tau: 0, ll: -Infinity };
    for (let mu = -0.1; mu <= 0.1; mu += 0.0005) {
      for (let tau = 0; tau <= 0.15; tau += 0.0005) {
        const ll = logLik(mu, tau);
        if (ll > best.ll) best = { mu, tau, ll };
      }
    }
    expect(Math.abs(fit.mu - best.mu)).toBeLessThan(0.001);
    expect(Math.abs(fit.tau - best.tau)).toBeLessThan(0.001);
    for (const a of fit.arms) {
      const b = a.shrinkage;
      expect(a.shrunk).toBeCloseTo(fit.mu + (1 - b) * (a.raw - fit.mu), 12);
    }
  });

  it('when arms are independent normals, then the chance to be best matches a seeded simulation', () => {
    const arms = [
      { mean: 0, sd: 1 },
      { mean: 0.5, sd: 0.8 },
      { mean: 0.3, sd: 1.5 },
      { mean: -0.2, sd: 0.3 },
    ];
    const exact = normalChanceBest(arms, true);
    const rng = createRng(7);
    const wins = arms.map(() => 0);
    const draws = 400_000;
    for (let i = 0; i < draws; i++) {
      let top = 0;
      let topValue = -Infinity;
      arms.forEach((a, j) => {
        const x = a.mean + a.sd * rng.normal();
        if (x > topValue) {
          topValue = x;
          top = j;
        }
      });
      wins[top] = (wins[top] ?? 0) + 1;
    }
    exact.forEach((p, j) => {
      expect(Math.abs(p - (wins[j] ?? 0) / draws)).toBeLessThan(0.004);
    });
    expect(exact.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
  });

  it('when 24 variants run and one is much better, then the readout shows raw and shrunk lift of the leader', () => {
    const rng = createRng(5);
    const arms = [{ key: 'control', weight: 1, n: 20000, conversions: rng.binomial(20000, 0.1) }];
    for (let i = 1; i <= 24; i++) {
      arms.push({
        key: `v${i}`,
        weight: 1,
        n: 20000,
        conversions: rng.binomial(20000, i === 7 ? 0.115 : 0.1),
      });
    }
    const readout = analyze(
      conversionExperiment(arms, { decision: { sequential: { plannedSample: 20000 } } }),
    );
    const h = readout.hierarchical;
    expect(h?.leader).toBe('v7');
    const lead = h?.arms.v7;
    expect(lead && lead.shrunkLift < lead.rawLift).toBe(true);
    expect(lead && lead.shrunkLift > 0).toBe(true);
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'v7' });
  });
});

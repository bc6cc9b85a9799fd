import { describe, expect, it } from 'vitest';
import {
  baseRate,
  CSAT_BASE,
  npsAnswer,
  rng,
  SAMPLE_EFFECTS,
  trueEffect,
  trueNps,
} from '../../../src/cli/demo/effects.model.js';
import { type ApiExperiment, attributesFor, outcomesFor } from '../../../src/cli/demo/simulate.runner.js';

const exp: ApiExperiment = {
  key: 'autopay-default-on',
  name: 'Autopay on by default',
  touchpoint: 'mobile-onboarding.onboard.autopay',
  control: 'control',
  variants: [
    { key: 'control', weight: 0.5 },
    { key: 'autopay-on', weight: 0.5 },
  ],
  metrics: [
    { key: 'payment-set-up', kind: 'conversion', role: 'primary', event: 'payment_method_added' },
    { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat' },
  ],
};

/** Simulated rate of the primary conversion and mean CSAT answer for one variant over n customers. */
function simulateArm(variant: string, n: number) {
  const random = rng(12345);
  let converted = 0;
  let csatSum = 0;
  let csatN = 0;
  const effect = trueEffect(exp.key, variant, exp.control);
  for (let i = 0; i < n; i++) {
    const events = outcomesFor(`c${i}`, [{ exp, variant, effect }], random, '2026-11-23T06:00:00Z');
    if (events.some((e) => e.type === 'conversion')) converted++;
    for (const e of events.filter((x) => x.type === 'csat')) {
      csatSum += e.value as number;
      csatN++;
    }
  }
  return { rate: converted / n, csat: csatSum / csatN };
}

describe('demo simulation', () => {
  it('converts the treated arm at the base rate times the true lift, within sampling error', () => {
    const n = 40_000;
    const p0 = baseRate('payment_method_added', 'primary', false);
    const control = simulateArm('control', n);
    const treated = simulateArm('autopay-on', n);
    const lift = SAMPLE_EFFECTS['autopay-default-on']!['autopay-on']!.primary;
    // 4 standard errors of a proportion at n = 40,000.
    expect(Math.abs(control.rate - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / n));
    const p1 = p0 * (1 + lift);
    expect(Math.abs(treated.rate - p1)).toBeLessThan(4 * Math.sqrt((p1 * (1 - p1)) / n));
    // Satisfaction drops by about the true shift (clipping to 1..5 shrinks it a little).
    expect(control.csat).toBeGreaterThan(CSAT_BASE - 0.2);
    expect(treated.csat - control.csat).toBeLessThan(-0.15);
    expect(treated.csat - control.csat).toBeGreaterThan(-0.3);
  });

  it('draws NPS buckets in the shares that give the printed true NPS', () => {
    const random = rng(99);
    const counts = [0, 0, 0];
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const v = npsAnswer(random, 0);
      counts[v <= 6 ? 0 : v <= 8 ? 1 : 2]!++;
    }
    const nps = (100 * (counts[2]! - counts[0]!)) / n;
    expect(Math.abs(nps - trueNps(0))).toBeLessThan(1.5);
  });

  it('gives control no effect and every listed sample variant its listed effect', () => {
    expect(trueEffect('autopay-default-on', 'control', 'control')).toBeUndefined();
    expect(trueEffect('rate-lock-loss-frame', 'loss', 'control')).toEqual({
      primary: 0.1,
      satisfaction: -0.3,
    });
    const unknown = trueEffect('not-a-sample', 'b', 'a');
    expect(unknown).toEqual(trueEffect('not-a-sample', 'b', 'a'));
  });

  it('derives attributes that pass simple targeting conditions', () => {
    expect(
      attributesFor({
        loanPurpose: { $in: ['owner-occupier', 'investment'] },
        tier: { $eq: 'gold' },
        country: 'AU',
      }),
    ).toEqual({ loanPurpose: 'owner-occupier', tier: 'gold', country: 'AU' });
    expect(attributesFor(undefined)).toEqual({});
  });
});

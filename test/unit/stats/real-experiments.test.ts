import { describe, expect, it } from 'vitest';
import { analyze, isVariantResult, type Readout, type VariantResult } from '../../../src/stats/index.ts';
import { normalCdf } from './exact.ts';
import { expectRelative, fixture } from './helpers.ts';

// Per-arm counts recomputed from the CSVs in ../shared/data (they match its README); the published
// conclusions are the oracle.
function variant(readout: Readout, metric: string, key: string): VariantResult {
  const r = readout.metrics[metric]?.variants[key];
  if (!isVariantResult(r)) throw new Error(`${metric}/${key} has no comparison`);
  return r;
}

describe('real experiments with published conclusions', () => {
  it('landing page (Udacity, cleaned): no evidence the new page helps, so it is not shipped', () => {
    const readout = analyze(fixture('landing-page.json'));
    const r = variant(readout, 'converted', 'treatment');
    // Published one-sided p = 0.905: the chance that the new page is better is about 1 - 0.905.
    expect(r.chanceToBeatControl).toBeGreaterThan(0.08);
    expect(r.chanceToBeatControl).toBeLessThan(0.11);
    expect(r.estimate).toBeCloseTo(17264 / 145310, 4);
    expect(readout.decision.action).not.toBe('ship');
    expect(readout.decision.action).toBe('keep-control');
    expect(readout.srm.mismatch).toBe(false);
  });

  it('cookie cats: moving the gate to level 40 lowers 7-day retention, so keep the gate at 30', () => {
    const readout = analyze(fixture('cookie-cats.json'));
    const r = variant(readout, 'retention_7', 'gate_40');
    expect(r.chanceToBeatControl).toBeLessThan(0.01);
    expect(r.absoluteLift.ci95[1]).toBeLessThan(0);
    // 19.0% to 18.2% in the published analysis.
    expect(readout.metrics.retention_7?.variants.gate_30?.status).toBe('ok');
    expect(r.estimate).toBeCloseTo(0.182, 3);
    expect(readout.decision.action).toBe('keep-control');
    expect(readout.decision.summary).toContain('Gate at level 40');
  });

  it('Hillstrom e-mail test: the Mens e-mail is best, and both e-mails beat no e-mail', () => {
    const readout = analyze(fixture('hillstrom.json'));
    const mens = variant(readout, 'conversion', 'mens');
    const womens = variant(readout, 'conversion', 'womens');
    expect(mens.chanceToBeatControl).toBeGreaterThan(0.999);
    expect(womens.chanceToBeatControl).toBeGreaterThan(0.99);
    expect(mens.chanceToBeBest).toBeGreaterThan(womens.chanceToBeBest);
    expect(mens.chanceToBeBest).toBeGreaterThan(0.99);
    const visitsMens = variant(readout, 'visit', 'mens');
    const visitsWomens = variant(readout, 'visit', 'womens');
    expect(visitsMens.chanceToBeBest).toBeGreaterThan(visitsWomens.chanceToBeBest);
    // Spend is ~99% zeros; at 21,000 per arm the t posterior is normal to 1e-4, so the chance to
    // beat no e-mail is Phi(difference / sd) from the per-arm mean and sample variance.
    const spend = readout.metrics.spend?.variants;
    const base = { n: 21306, mean: 0.65278936, variance: 134.28637 };
    const womensArm = { n: 21387, mean: 1.0772016, variance: 228.49667 };
    const z =
      (womensArm.mean - base.mean) / Math.sqrt(womensArm.variance / womensArm.n + base.variance / base.n);
    const spendMens = variant(readout, 'spend', 'mens');
    const spendWomens = variant(readout, 'spend', 'womens');
    // z = 3.26: compare the small tail, 1 - chance, within 5% of the normal one.
    expectRelative(1 - spendWomens.chanceToBeatControl, 1 - normalCdf(z), 0.05);
    expect(spendMens.chanceToBeatControl).toBeGreaterThan(0.999);
    expect(spendWomens.chanceToBeatControl).toBeGreaterThan(0.99);
    expect(spendMens.chanceToBeBest).toBeGreaterThan(spendWomens.chanceToBeBest);
    expect(spend?.['no-email']).toMatchObject({ status: 'ok', estimate: base.mean });
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'mens' });
    expect(readout.decision.summary).toMatch(/^Mens e-mail: .* Ship it\.$/);
  });
});

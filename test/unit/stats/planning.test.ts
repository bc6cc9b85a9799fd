import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/stats/index.ts';

describe('planning', () => {
  it('when a conversion test is planned, then the fixed-horizon sample agrees with the two-proportion formula', () => {
    const p = plan({ kind: 'conversion', baseline: 0.1, dailyExposures: 2000, lift: 0.1 });
    const z = jStat.normal.inv(0.95, 0, 1) + jStat.normal.inv(0.8, 0, 1);
    const [p1, p2] = [0.1, 0.11];
    const classic = (z * z * (p1 * (1 - p1) + p2 * (1 - p2))) / (p2 - p1) ** 2;
    expect(Math.abs(p.fixedHorizonSample - classic) / classic).toBeLessThan(0.03);
  });

  it('when the planned lift is the sequential MDE, then about 80% of runs ship within the horizon', () => {
    const first = plan({ kind: 'mean', baseline: 4.1, sd: 1.1, dailyExposures: 400, lift: 0.02 });
    const atMde = plan({
      kind: 'mean',
      baseline: 4.1,
      sd: 1.1,
      dailyExposures: 400,
      lift: first.minimumDetectableEffect.sequential,
    });
    expect(Math.abs(atMde.chosenLift.chanceOfShipByHorizon - 0.8)).toBeLessThan(0.02);
    // Peeking protection costs sample: the sequential MDE is larger than a single look's.
    expect(first.minimumDetectableEffect.sequential).toBeGreaterThan(
      first.minimumDetectableEffect.fixedHorizon,
    );
  });

  it('when traffic quadruples, then the MDE about halves', () => {
    const a = plan({ kind: 'conversion', baseline: 0.05, dailyExposures: 1000 });
    const b = plan({ kind: 'conversion', baseline: 0.05, dailyExposures: 4000 });
    const ratio = b.minimumDetectableEffect.sequential / a.minimumDetectableEffect.sequential;
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(0.6);
  });
});

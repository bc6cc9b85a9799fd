import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRepository } from '../../src/db/alert.repository.js';
import { AlertsService, conditionsOf, MIN_ALERT_SAMPLE } from '../../src/domain/alerts.service.js';
import { WebhookNotifier } from '../../src/domain/webhooks.js';
import { type AnalyzeInputRaw, analyze } from '../../src/stats/index.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const exp = { key: 'activation', name: 'Card activation', phase: 1 };

/** 2,000 customers per arm, equal conversion; CSAT answered by `answers` per arm. */
function readout(answers: number, lossMean: number) {
  const input: AnalyzeInputRaw = {
    control: 'gain',
    variants: [
      { key: 'gain', name: 'Gain frame', weight: 1, exposures: 2000 },
      { key: 'loss', name: 'Loss frame', weight: 1, exposures: 2000 },
    ],
    metrics: [
      {
        key: 'activated',
        name: 'Card activated',
        kind: 'conversion',
        role: 'primary',
        data: { gain: { n: 2000, conversions: 400 }, loss: { n: 2000, conversions: 410 } },
      },
      {
        key: 'csat',
        name: 'Activation CSAT',
        kind: 'mean',
        role: 'guardrail',
        margin: 0.1,
        data: {
          gain: { n: answers, mean: 4.2, variance: 0.8 },
          loss: { n: answers, mean: lossMean, variance: 0.8 },
        },
      },
    ],
    decision: {},
  };
  return analyze(input);
}

const guardrailAlerts = (r: ReturnType<typeof readout>) =>
  conditionsOf(exp, r).filter((c) => c.kind === 'guardrail-harm');

describe('guardrail alerts', () => {
  it('when a guardrail has fewer answers per arm than its minimum, then no alert opens however bad it looks', () => {
    const r = readout(5, 2.6);
    const arm = r.metrics.csat?.variants.loss;
    expect(arm && 'chanceOfHarm' in arm ? arm.chanceOfHarm : 0).toBeGreaterThan(0.5);
    expect(guardrailAlerts(r)).toEqual([]);
    expect(MIN_ALERT_SAMPLE.mean).toBeGreaterThan(5);
  });

  it('when a small dip is not evidence of harm, then no alert opens', () => {
    expect(guardrailAlerts(readout(400, 4.12))).toEqual([]);
  });

  it('keeps one alert whose text tells the current figures, and resolves it when the harm clears', async () => {
    const repo = new AlertRepository(h.connection);
    const alerts = new AlertsService(repo, new WebhookNotifier({ urls: [], log: async () => undefined }));
    const opened = await alerts.afterRefresh(exp, readout(400, 3.7), new Date('2026-03-01T10:00:00Z'));
    const first = opened.filter((a) => a.kind === 'guardrail-harm');
    expect(first).toHaveLength(1);
    expect(first[0]?.message).toMatch(/^Card activation: Loss frame may be harming Activation CSAT: /);
    expect(first[0]?.message).toContain('-0.50 points against the control, on 400 and 400 observations');

    await alerts.afterRefresh(exp, readout(800, 3.8), new Date('2026-03-02T10:00:00Z'));
    const [open] = (await alerts.list({ status: 'open', experiment: 'activation', limit: 10 })).filter(
      (a) => a.kind === 'guardrail-harm',
    );
    expect(open?.message).toContain('-0.40 points against the control, on 800 and 800 observations');
    expect(open?.details).toMatchObject({ n: 800, absoluteLift: expect.closeTo(-0.4, 6) });

    await alerts.afterRefresh(exp, readout(1600, 4.2), new Date('2026-03-03T10:00:00Z'));
    const stillOpen = await alerts.list({ status: 'open', experiment: 'activation', limit: 10 });
    expect(stillOpen.filter((a) => a.kind === 'guardrail-harm')).toEqual([]);
    const cleared = await alerts.list({ status: 'cleared', experiment: 'activation', limit: 10 });
    expect(cleared.map((a) => a.kind)).toContain('guardrail-harm');
  });
});

import { describe, expect, it } from 'vitest';
import {
  type AnalyzeInputRaw,
  analyze,
  isVariantResult,
  oneSidedBayesFactor,
} from '../../../src/stats/index.ts';
import { normalCdf } from './exact.ts';
import { fixture } from './helpers.ts';

type Metric = AnalyzeInputRaw['metrics'][number];

function experiment(
  primary: [number, number, number, number],
  guardrail?: Metric,
  decision = {},
): AnalyzeInputRaw {
  const [nC, cC, nV, cV] = primary;
  return {
    control: 'control',
    variants: [
      { key: 'control', name: 'Plain reminder', weight: 1, exposures: nC },
      { key: 'loss-frame', name: 'Loss-framed reminder', weight: 1, exposures: nV },
    ],
    metrics: [
      {
        key: 'paid',
        name: 'on-time payment',
        kind: 'conversion',
        role: 'primary',
        data: { control: { n: nC, conversions: cC }, 'loss-frame': { n: nV, conversions: cV } },
      },
      ...(guardrail ? [guardrail] : []),
    ],
    decision,
  };
}

const csat = (variantMean: number, n = 2000): Metric => ({
  key: 'csat',
  name: 'CSAT',
  kind: 'mean',
  role: 'guardrail',
  margin: 0.1,
  data: { control: { n, mean: 3.9, variance: 1.1 }, 'loss-frame': { n, mean: variantMean, variance: 1.1 } },
});

describe('decision rule', () => {
  it('ships a clear winner whose guardrail shows no harm, and says so in one sentence', () => {
    const readout = analyze(experiment([12000, 6000, 12000, 6400], csat(3.92)));
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'loss-frame' });
    expect(readout.decision.summary).toMatch(
      /^Loss-framed reminder: over 99\.9% chance it raises on-time payment, \+6\.7% \(95% credible interval \+[\d.]+% to \+[\d.]+%\), that is \+3\.33 percentage points; no sign of harm to CSAT \((under )?[\d.]+% chance of a drop over 0\.1 points\)\. Ship it\.$/,
    );
  });

  it('does not ship a winner with some evidence of harm to a guardrail, and keeps running to learn more', () => {
    // A drop of 0.28 on 400 answers (0.18 beyond the margin, 2.4 standard errors): Bayes factor
    // for harm about 6, over the blocking 3 but short of the 20 that stops the experiment.
    const readout = analyze(experiment([12000, 6000, 12000, 6400], csat(3.62, 400)));
    const g = readout.metrics.csat?.variants['loss-frame'];
    const bf = isVariantResult(g) ? (g.harmEvidence ?? 0) : 0;
    expect(bf).toBeGreaterThan(3);
    expect(bf).toBeLessThan(20);
    expect(readout.decision.action).toBe('keep-running');
    expect(readout.decision.summary).toMatch(/possible harm to CSAT/);
  });

  it('ships a winner whose guardrail dips by less than its margin: a small dip is not evidence of harm', () => {
    // The old rule held this back: a 0.08 drop on 400 answers has a 39% chance of exceeding 0.1.
    const readout = analyze(experiment([12000, 6000, 12000, 6400], csat(3.82, 400)));
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'loss-frame' });
  });

  it('stops for a guardrail when a variant is all but certain to harm it', () => {
    const readout = analyze(experiment([12000, 6000, 12000, 6050], csat(3.6)));
    expect(readout.decision).toMatchObject({ action: 'stop-guardrail', variant: 'loss-frame' });
    expect(readout.decision.summary).toMatch(/Stop: it harms CSAT\.$/);
  });

  it('keeps running below the minimum sample per arm, however strong the data look', () => {
    const readout = analyze(experiment([80, 10, 80, 40]));
    expect(readout.decision.action).toBe('keep-running');
    expect(readout.decision.summary).toMatch(/fewer than 100 per arm/);
  });

  it('needs the Bayes-factor evidence by default: a 97% chance alone does not ship', () => {
    const readout = analyze(experiment([10000, 1000, 10000, 1080]));
    const r = readout.metrics.paid?.variants['loss-frame'];
    expect(r && 'chanceToBeatControl' in r ? r.chanceToBeatControl : 0).toBeGreaterThan(0.96);
    expect(readout.decision.action).toBe('keep-running');
    const naive = analyze(experiment([10000, 1000, 10000, 1080], undefined, { sequential: false }));
    expect(naive.decision).toMatchObject({ action: 'ship', variant: 'loss-frame' });
  });

  it('asks for a Bayes factor of 20 per variant: evidence enough against one control is not against two', () => {
    // 1,125 against 1,000 conversions of 10,000: one-sided Bayes factor 25 (tau = 0.1 x 10%).
    const two = experiment([10000, 1000, 10000, 1125]);
    const r = analyze(two).metrics.paid?.variants['loss-frame'];
    expect(r && 'chanceToBeatControl' in r ? r.chanceToBeatControl : 0).toBeGreaterThan(0.99);
    expect(analyze(two).decision).toMatchObject({ action: 'ship', variant: 'loss-frame' });
    const three = structuredClone(two);
    three.variants.push({ key: 'gain-frame', weight: 1, exposures: 10000 });
    const primary = three.metrics[0];
    if (primary) primary.data = { ...primary.data, 'gain-frame': { n: 10000, conversions: 1000 } };
    const readout = analyze(three);
    expect(readout.decision.action).toBe('keep-running');
    expect(readout.decision.summary).toMatch(/^Loss-framed reminder: .* Keep it running/);
  });

  it('can ship an NPS or a mean whose control sits at 0, where a relative tolerance would be 0', () => {
    const primary = (kind: 'nps' | 'mean', control: object, variant: object): AnalyzeInputRaw => ({
      control: 'control',
      variants: [
        { key: 'control', weight: 1, exposures: 1100 },
        { key: 'variant', weight: 1, exposures: 1100 },
      ],
      metrics: [{ key: 'm', kind, role: 'primary', data: { control, variant } } as Metric],
    });
    // NPS 0 against +18 points on 1,100 answers each: z above 5.
    const nps = analyze(
      primary(
        'nps',
        { detractors: 400, passives: 300, promoters: 400 },
        { detractors: 300, passives: 300, promoters: 500 },
      ),
    );
    expect(nps.decision).toMatchObject({ action: 'ship', variant: 'variant' });
    // A net change centred on 0.02 against 0.4, sd 2, 2,000 each: z about 6.
    const mean = analyze(
      primary('mean', { n: 2000, mean: 0.02, variance: 4 }, { n: 2000, mean: 0.4, variance: 4 }),
    );
    expect(mean.decision).toMatchObject({ action: 'ship', variant: 'variant' });
    // And identical arms at 0 still do not ship.
    const same = { n: 2000, mean: 0, variance: 4 };
    expect(analyze(primary('mean', same, same)).decision.action).not.toBe('ship');
  });

  it('keeps the control when no variant can gain more than the loss tolerance', () => {
    const readout = analyze(fixture('landing-page.json'));
    expect(readout.decision.action).toBe('keep-control');
    expect(readout.decision.summary).toMatch(/Keep the control\.$/);
  });

  it('ships the lower value of a lower-is-better primary metric', () => {
    const input = experiment([12000, 6000, 12000, 5600]);
    const metric = input.metrics[0];
    if (metric) input.metrics[0] = { ...metric, lowerIsBetter: true };
    const readout = analyze(input);
    expect(readout.decision).toMatchObject({ action: 'ship', variant: 'loss-frame' });
    expect(readout.decision.summary).toMatch(/chance it lowers on-time payment/);
  });

  it('uses keys when variants and metrics have no names', () => {
    const readout = analyze({
      control: 'a',
      variants: [
        { key: 'a', weight: 1, exposures: 5000 },
        { key: 'b', weight: 1, exposures: 5000 },
      ],
      metrics: [
        {
          key: 'signup',
          kind: 'conversion',
          role: 'primary',
          data: { a: { n: 5000, conversions: 500 }, b: { n: 5000, conversions: 700 } },
        },
      ],
    });
    expect(readout.decision.summary).toMatch(/^b: over 99\.9% chance it raises signup/);
  });
});

describe('one-sided Bayes factor', () => {
  it('equals the closed form 2 sqrt(V / (V + t2)) exp(z2 t2 / (2 (V + t2))) Phi(m / s)', () => {
    const [d, v, tau] = [0.01, 2e-5, 0.01];
    const t2 = tau * tau;
    const expected =
      2 *
      Math.sqrt(v / (v + t2)) *
      Math.exp((d * d * t2) / (2 * v * (v + t2))) *
      normalCdf((d * t2) / (v + t2) / Math.sqrt((v * t2) / (v + t2)));
    expect(oneSidedBayesFactor(d, v, tau)).toBeCloseTo(expected, 4);
  });

  it('grows with the evidence and gives no evidence without a usable variance or scale', () => {
    expect(oneSidedBayesFactor(0.02, 2e-5, 0.01)).toBeGreaterThan(oneSidedBayesFactor(0.01, 2e-5, 0.01));
    expect(oneSidedBayesFactor(0.01, Number.POSITIVE_INFINITY, 0.01)).toBe(1);
    expect(oneSidedBayesFactor(0.01, 2e-5, 0)).toBe(1);
  });
});

describe('the decision in words', () => {
  const cardActivation = (
    perArm: number,
    control: number,
    loss: number,
    csatMean?: number,
  ): AnalyzeInputRaw => ({
    control: 'gain',
    variants: [
      { key: 'gain', name: 'Gain frame', weight: 1, exposures: perArm },
      { key: 'loss', name: 'Loss frame', weight: 1, exposures: perArm },
    ],
    metrics: [
      {
        key: 'activated',
        name: 'card activation',
        kind: 'conversion',
        role: 'primary',
        data: { gain: { n: perArm, conversions: control }, loss: { n: perArm, conversions: loss } },
      },
      ...(csatMean === undefined
        ? []
        : [
            {
              key: 'csat',
              name: 'activation CSAT',
              kind: 'mean' as const,
              role: 'guardrail' as const,
              margin: 0.1,
              data: {
                gain: { n: 300, mean: 4.1, variance: 0.8 },
                loss: { n: 300, mean: csatMean, variance: 0.8 },
              },
            },
          ]),
    ],
    decision: {},
  });

  it('when the peeking gate and a guardrail both hold a ship back, then the sentence names both, by name', () => {
    const readout = analyze(cardActivation(405, 120, 150, 3.8));
    expect(readout.decision.action).toBe('keep-running');
    expect(readout.decision.reasons?.map((r) => r.code)).toEqual(['sequential', 'guardrail-harm']);
    expect(readout.decision.summary).toMatch(/^Loss frame: 99% chance it raises card activation/);
    expect(readout.decision.summary).toMatch(
      /Keep it running: we check daily, so a stronger result is needed: about [\d,]+ more customers per arm at today's effect; the possible harm to activation CSAT has to clear first\.$/,
    );
    expect(readout.variantNames).toEqual({ gain: 'Gain frame', loss: 'Loss frame' });
  });

  it('when the gate alone holds it back, then the customers per arm it names are enough at the same rates', () => {
    const readout = analyze(cardActivation(405, 120, 150));
    const gate = readout.decision.reasons?.find((r) => r.code === 'sequential');
    const more = gate && 'morePerArm' in gate ? (gate.morePerArm ?? 0) : 0;
    expect(more).toBeGreaterThan(0);
    const at = (extra: number) => {
      const n = 405 + extra;
      return analyze(cardActivation(n, Math.round((120 * n) / 405), Math.round((150 * n) / 405))).decision;
    };
    expect(at(Math.ceil(more * 1.02)).action).toBe('ship');
    expect(at(Math.floor(more * 0.5)).action).toBe('keep-running');
  });

  it('when the sample is short and the chance low, then every reason is listed', () => {
    const readout = analyze(cardActivation(60, 20, 22));
    expect(readout.decision.reasons?.map((r) => r.code)).toEqual(
      expect.arrayContaining(['min-sample', 'chance', 'sequential']),
    );
    expect(readout.decision.summary).toContain('fewer than 100 per arm on card activation so far');
    expect(readout.decision.summary).toContain('below the 95.0% we ask for');
  });
});

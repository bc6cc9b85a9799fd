import { describe, expect, it } from 'vitest';
import { MAX_PAST_SOURCES, type PriorDeps, priorEvidence } from '../../../src/domain/evidence/priors.js';
import type { Experiment } from '../../../src/domain/schemas/experiment.schema.js';
import type { Nudge } from '../../../src/domain/schemas/nudge.schema.js';
import type { Snapshot } from '../../../src/domain/schemas/snapshot.schema.js';
import { analyze, type Readout } from '../../../src/stats/index.js';

/** A two-arm conversion readout from the engine: `c` and `t` conversions of 1,000 each. */
function readoutOf(c: number, t: number, lowerIsBetter = false, key = 'applied'): Readout {
  return analyze({
    control: 'control',
    variants: [
      { key: 'control', weight: 0.5, exposures: 1000 },
      { key: 'treatment', weight: 0.5, exposures: 1000 },
    ],
    metrics: [
      {
        key,
        name: key,
        role: 'primary',
        kind: 'conversion',
        lowerIsBetter,
        data: { control: { n: 1000, conversions: c }, treatment: { n: 1000, conversions: t } },
      },
    ],
    decision: {},
  });
}

const metric = {
  key: 'applied',
  kind: 'conversion',
  role: 'primary',
  event: 'applied',
  windowHours: 24,
  lowerIsBetter: false,
} as const;

function experiment(key: string, over: Partial<Experiment> = {}): Experiment {
  return {
    id: `exp_${key}`,
    key,
    nudge: 'past-frame',
    control: 'control',
    variants: [
      { key: 'control', weight: 0.5 },
      { key: 'treatment', weight: 0.5 },
    ],
    metrics: [metric],
    status: 'concluded',
    phase: 1,
    ...over,
  } as Experiment;
}

/** Fake repositories: `past` concluded framing experiments, each with a readout; counts the snapshot reads. */
function deps(
  past: { exp: Experiment; readout: Readout | null }[],
  pastNudgeTypes: PriorDeps['pastNudgeTypes'] = [],
) {
  const nudges = [
    { key: 'past-frame', type: 'framing' },
    { key: 'now-frame', type: 'framing' },
    { key: 'now-default', type: 'default' },
  ] as Nudge[];
  const reads: string[] = [];
  const d: PriorDeps = {
    experiments: {
      list: async (f?: Record<string, unknown>) =>
        past.map((p) => p.exp).filter((e) => !f?.status || e.status === f.status),
    },
    nudges: {
      list: async (f?: Record<string, unknown>) => nudges.filter((n) => !f?.type || n.type === f.type),
      getByKey: async (key: string) => nudges.find((n) => n.key === key) ?? null,
    },
    snapshots: {
      latestOk: async (key: string) => {
        reads.push(key);
        const readout = past.find((p) => p.exp.key === key)?.readout ?? null;
        return readout ? ({ readout } as Snapshot) : null;
      },
    },
    pastNudgeTypes,
  };
  return { d, reads };
}

const five = [110, 120, 100, 130, 115].map((t, i) => ({
  exp: experiment(`past-${i}`, { concludedAt: `2026-01-0${i + 1}T00:00:00.000Z` }),
  readout: readoutOf(100, t),
}));

describe('which experiments ask for a prior', () => {
  it('when a nudge type is listed in PAST_NUDGE_PRIORS, then its experiments take the prior unless they say none, and other types do not', async () => {
    const { d } = deps(five, ['framing']);
    const now = readoutOf(100, 150);
    const listed = await priorEvidence(d, experiment('now', { nudge: 'now-frame', status: 'running' }), now);
    expect(listed).toMatchObject({ from: 'past-nudges', used: true });
    expect(listed!.sources).toHaveLength(5);
    const optedOut = experiment('now', { nudge: 'now-frame', status: 'running', prior: { from: 'none' } });
    expect(await priorEvidence(d, optedOut, now)).toBeUndefined();
    const other = experiment('now', { nudge: 'now-default', status: 'running' });
    expect(await priorEvidence(d, other, now)).toBeUndefined();
    expect(await priorEvidence(deps(five).d, experiment('now', { nudge: 'now-frame' }), now)).toBeUndefined();
  });
});

describe('what a prior from past nudges reads', () => {
  it('when more concluded experiments exist than the bound, then only the most recently concluded are read', async () => {
    const many = Array.from({ length: MAX_PAST_SOURCES + 10 }, (_, i) => ({
      exp: experiment(`past-${String(i).padStart(3, '0')}`, {
        concludedAt: new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString(),
      }),
      readout: readoutOf(100, 100 + (i % 7) * 5),
    }));
    const { d, reads } = deps(many);
    const prior = await priorEvidence(
      d,
      experiment('now', { nudge: 'now-frame', status: 'running', prior: { from: 'past-nudges' } }),
      readoutOf(100, 150),
    );
    expect(reads).toHaveLength(MAX_PAST_SOURCES);
    expect(reads).not.toContain('past-000');
    expect(reads).toContain(`past-0${MAX_PAST_SOURCES + 9}`);
    expect(prior!.sources).toHaveLength(MAX_PAST_SOURCES);
  });

  it('when a past experiment measured another kind, or a mean of another event, then it is not evidence for this metric', async () => {
    const csat = { ...metric, key: 'csat', kind: 'mean', event: 'csat', role: 'primary' } as const;
    const past = [
      ...five.slice(0, 4),
      // Conversion under another key still counts; a CSAT-only experiment does not.
      {
        exp: experiment('other-key', { metrics: [{ ...metric, key: 'signed', event: 'signed' }] }),
        readout: readoutOf(100, 105, false, 'signed'),
      },
      { exp: experiment('csat-only', { metrics: [csat] }), readout: readoutOf(100, 300) },
    ];
    const { d } = deps(past);
    const prior = await priorEvidence(
      d,
      experiment('now', { nudge: 'now-frame', status: 'running', prior: { from: 'past-nudges' } }),
      readoutOf(100, 150),
    );
    expect(prior!.sources.map((s) => s.experiment).sort()).toEqual([
      'other-key',
      'past-0',
      'past-1',
      'past-2',
      'past-3',
    ]);
    expect(prior!.sources.find((s) => s.experiment === 'other-key')!.metric).toBe('signed');
    expect(prior!.used).toBe(true);
  });

  it('when the metric is lower-is-better, then past effects and the lift with the prior are in its own direction', async () => {
    const { d } = deps(five);
    const now = readoutOf(100, 60, true);
    const lower = [{ ...metric, lowerIsBetter: true }];
    const prior = await priorEvidence(
      d,
      experiment('now', {
        nudge: 'now-frame',
        status: 'running',
        metrics: lower,
        prior: { from: 'past-nudges' },
      }),
      now,
    );
    // The past raised a higher-is-better rate; here the same good news is a lower rate.
    expect(prior!.sources.every((s) => s.estimate <= 0)).toBe(true);
    expect(prior!.prior!.estimate).toBeLessThan(0);
    const arm = prior!.variants.treatment!;
    expect(arm.without.estimate).toBeLessThan(prior!.prior!.estimate);
    expect(arm.moved).toBeGreaterThan(0);
    expect(arm.with.ci95[0]).toBeLessThan(arm.with.estimate);
    expect(arm.with.ci95[1]).toBeGreaterThan(arm.with.estimate);
  });

  it('when a template prior is set on an NPS primary metric, then it is not used: a relative lift does not apply to points', async () => {
    const nps = [{ ...metric, key: 'nps', kind: 'nps', event: 'nps' }] as Experiment['metrics'];
    const prior = await priorEvidence(
      deps([]).d,
      experiment('now', {
        status: 'running',
        metrics: nps,
        prior: { from: 'template', template: 'tpl', relativeLift: 0.05, sd: 0.08 },
      }),
      readoutOf(100, 150),
    );
    expect(prior).toMatchObject({ from: 'template', used: false, scale: 'points', prior: null });
    expect(prior!.note).toContain('read in points');
  });
});

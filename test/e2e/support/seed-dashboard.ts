/**
 * Definitions for the browser tests, created through the HTTP API as a strategist would, then
 * customers simulated with the demo's own runner (assignments, events, a refresh per day).
 */
import { simulate } from '../../../src/cli/demo/simulate.runner.js';

export const journey = {
  key: 'e2e-loans',
  name: 'Loans <e2e>',
  stages: [
    { key: 'consider', name: 'Consider' },
    { key: 'apply', name: 'Apply' },
    { key: 'onboard', name: 'Onboard' },
  ],
};

const touchpoints = [
  {
    key: 'e2e-loans.consider.rate',
    journey: 'e2e-loans',
    stage: 'consider',
    channel: 'app',
    name: 'Rate-lock offer',
  },
  {
    key: 'e2e-loans.apply.plan',
    journey: 'e2e-loans',
    stage: 'apply',
    channel: 'web',
    name: 'Repayment plan',
  },
];

const nudges = [
  {
    key: 'e2e-rate-frame',
    touchpoint: 'e2e-loans.consider.rate',
    type: 'framing',
    name: 'Loss-framed rate lock',
    principle: 'Loss aversion',
    variants: [
      { key: 'control', name: 'Neutral', payload: { frame: 'neutral', message: 'Lock your rate.' } },
      { key: 'loss', name: 'Loss', payload: { frame: 'loss', message: "Don't lose your rate." } },
    ],
  },
  {
    key: 'e2e-plan-default',
    touchpoint: 'e2e-loans.apply.plan',
    type: 'default',
    name: 'Fortnightly pre-selected',
    principle: 'Default effect',
    variants: [
      { key: 'control', name: 'Monthly', payload: { option: 'monthly', mode: 'opt-in' } },
      { key: 'fortnightly', name: 'Fortnightly', payload: { option: 'fortnightly', mode: 'opt-out' } },
    ],
  },
];

const half = [
  { key: 'control', weight: 0.5 },
  { key: '', weight: 0.5 },
];

export const experiments = [
  {
    key: 'e2e-rate-loss',
    name: 'Loss-framed <rate> lock',
    nudge: 'e2e-rate-frame',
    owner: 'e2e',
    hypothesis: 'Loss framing raises rate locks without hurting NPS.',
    control: 'control',
    variants: half.map((v) => ({ ...v, key: v.key || 'loss' })),
    metrics: [
      { key: 'locked', kind: 'conversion', role: 'primary', event: 'rate_locked' },
      { key: 'nps', kind: 'nps', role: 'guardrail', event: 'nps', margin: 3 },
    ],
  },
  {
    key: 'e2e-plan-fortnightly',
    name: 'Fortnightly default',
    nudge: 'e2e-plan-default',
    owner: 'e2e',
    hypothesis: 'Fortnightly default raises plan completion without hurting CSAT.',
    control: 'control',
    variants: half.map((v) => ({ ...v, key: v.key || 'fortnightly' })),
    metrics: [
      { key: 'completed', kind: 'conversion', role: 'primary', event: 'plan_completed' },
      { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', margin: 0.1 },
    ],
  },
];

async function post(baseUrl: string, key: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function seedDashboard(opts: {
  baseUrl: string;
  strategistKey: string;
  adminKey: string;
  refreshPayload: () => Promise<void>;
}): Promise<void> {
  const { baseUrl, strategistKey } = opts;
  await post(baseUrl, strategistKey, '/v1/journeys', journey);
  for (const t of touchpoints) await post(baseUrl, strategistKey, '/v1/touchpoints', t);
  for (const n of nudges) await post(baseUrl, strategistKey, '/v1/nudges', n);
  for (const e of experiments) {
    await post(baseUrl, strategistKey, '/v1/experiments', e);
    await post(baseUrl, strategistKey, `/v1/experiments/${e.key}/start`);
  }
  await opts.refreshPayload();
  const report = await simulate({
    baseUrl,
    apiKey: opts.adminKey,
    days: 2,
    customersPerDay: 80,
    seed: 7,
    settleMs: 500,
  });
  if (report.failedRefreshes.length > 0) throw new Error(report.failedRefreshes.join('; '));
}

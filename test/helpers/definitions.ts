import { auth, type Harness } from './harness.js';

/** Small valid definitions that reference each other: journey -> touchpoint -> nudge -> experiment. */
export const journeyBody = {
  key: 'home-loan',
  name: 'Home-loan application',
  industry: 'banking',
  stages: [
    { key: 'consider', name: 'Consider' },
    { key: 'apply', name: 'Apply' },
  ],
};

export const touchpointBody = {
  key: 'home-loan.apply.payment-plan',
  journey: 'home-loan',
  stage: 'apply',
  channel: 'web',
  name: 'Repayment plan step',
};

export const nudgeBody = {
  key: 'payment-plan-default',
  touchpoint: 'home-loan.apply.payment-plan',
  type: 'default',
  name: 'Fortnightly repayments pre-selected',
  principle: 'Default effect: people tend to keep the pre-selected option.',
  variants: [
    { key: 'control', name: 'Monthly', payload: { option: 'monthly', mode: 'opt-in' } },
    { key: 'fortnightly', name: 'Fortnightly', payload: { option: 'fortnightly', mode: 'opt-out' } },
  ],
};

export const experimentBody = {
  key: 'payment-plan-default-test',
  name: 'Fortnightly default',
  nudge: 'payment-plan-default',
  owner: 'lending-cx',
  hypothesis: 'Pre-selecting fortnightly repayments raises plan completion without hurting CSAT.',
  control: 'control',
  variants: [
    { key: 'control', weight: 0.5 },
    { key: 'fortnightly', weight: 0.5 },
  ],
  coverage: 0.5,
  metrics: [
    { key: 'completed', kind: 'conversion', role: 'primary', event: 'application_completed' },
    { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', margin: 0.1 },
  ],
};

/** Creates the journey, touchpoint and nudge (and optionally the experiment) through the API. */
export async function seedDefinitions(h: Harness, withExperiment = true): Promise<void> {
  const steps: [string, object][] = [
    ['/v1/journeys', journeyBody],
    ['/v1/touchpoints', touchpointBody],
    ['/v1/nudges', nudgeBody],
    ...(withExperiment ? ([['/v1/experiments', experimentBody]] as [string, object][]) : []),
  ];
  for (const [path, body] of steps) {
    const res = await h.request().post(path).set(auth(h.keys.strategist)).send(body);
    if (res.status !== 201) throw new Error(`seeding ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

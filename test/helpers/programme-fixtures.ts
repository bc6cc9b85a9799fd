/** Request bodies for the programme resources (holdouts, fatigue policies), one factory each. */
export function buildHoldout(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'programme-holdout',
    name: 'Programme holdout',
    share: 0.1,
    owner: 'cx-programme',
    metrics: [
      { key: 'conv', kind: 'conversion', role: 'primary', event: 'applied' },
      { key: 'csat', kind: 'mean', role: 'guardrail', event: 'csat', margin: 0.1 },
    ],
    ...overrides,
  };
}

export function buildFatiguePolicy(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'weekly-cap',
    name: 'At most 3 nudged contacts a week',
    maxContacts: 3,
    windowDays: 7,
    ...overrides,
  };
}

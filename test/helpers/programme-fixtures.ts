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

/** A template with a published effect (two arms with rates), so its view has a grade and a prior. */
export function buildTemplate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'plan-reminder',
    name: 'Reminder of a repayment plan',
    type: 'reminder',
    principle: 'Limited attention: a timely reminder brings a plan back to mind.',
    description: 'A short reminder of the plan the customer chose, when a repayment is due.',
    fit: { stages: ['apply'], channels: ['web', 'sms'], where: 'A plan with regular repayments.' },
    evidence: {
      study: 'test_study',
      citation: 'A test citation (2020).',
      outcome: 'Plan completed',
      randomized: true,
      armSizesKnown: true,
      totalN: 2000,
      arms: [
        { name: 'No reminder', n: 1000, successes: 100, rate: 0.1 },
        { name: 'Reminder', n: 1000, successes: 120, rate: 0.12 },
      ],
      control: 0,
      treatment: 1,
      lowerIsBetter: false,
      sources: ['https://example.org/study'],
      replicatedBy: [],
    },
    nudge: {
      variants: [
        {
          key: 'control',
          name: 'No reminder',
          payload: { message: 'No reminder', afterHours: 0, maxReminders: 0 },
        },
        {
          key: 'reminder',
          name: 'Reminder',
          payload: { message: 'Your repayment is due this week.', afterHours: 24, maxReminders: 1 },
        },
      ],
    },
    metric: { key: 'completed', event: 'application_completed' },
    hypothesis: 'A reminder raises plan completion.',
    ...overrides,
  };
}

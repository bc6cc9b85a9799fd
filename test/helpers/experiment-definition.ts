import type { ExperimentDefinition } from '../../src/domain/assignment/compiled.types.js';

/** A running two-arm experiment definition (control and treatment, half each), with `fields` over it. */
export function experimentDefinition(
  key: string,
  fields: Partial<ExperimentDefinition> = {},
): ExperimentDefinition {
  return {
    id: `exp_${key}`,
    key,
    name: key,
    nudge: `n-${key}`,
    status: 'running',
    phase: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    variants: [
      { key: 'control', weight: 0.5 },
      { key: 'treatment', weight: 0.5 },
    ],
    ...fields,
  };
}

/**
 * A pre-exposure covariate for CUPED variance reduction (stats/cuped.ts), shared by the kinds whose
 * outcome is a number per unit (mean, revenue). Its value per unit is either
 * - a numeric attribute sent with the assignment that exposed the unit (`attribute`, e.g.
 *   prior_spend), kept with the exposure; a unit exposed without it counts 0;
 * - or the metric's own outcome over a window before the exposure (`preWindowHours`), from the
 *   unit's events already held for attribution, so no further read is needed.
 * Either way the value is fixed before the unit saw a variant, so the nudge cannot move it and the
 * adjustment cannot manufacture a difference. Each unit counted by the metric adds x, x^2 and x*y.
 */
import { z } from 'zod';
import type { OutcomeEvent, UnitContext } from './kind.js';

export const covariateField = () =>
  z
    .union([
      z.strictObject({
        attribute: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
          .max(100)
          .describe('numeric attribute sent with the assignment, e.g. prior_spend'),
      }),
      z.strictObject({
        preWindowHours: z
          .number()
          .positive()
          .max(24 * 365)
          .describe('the same outcome over this many hours before the exposure'),
      }),
    ])
    .optional()
    .describe('pre-exposure covariate for CUPED variance reduction');

export type Covariate = NonNullable<z.output<ReturnType<typeof covariateField>>>;

const HOUR_MS = 3_600_000;

/** The unit's events inside the pre-exposure window, earliest first. */
export function preWindow(cov: Covariate, unit: UnitContext): readonly OutcomeEvent[] {
  if (!('preWindowHours' in cov)) return [];
  const from = unit.exposedAt.getTime() - cov.preWindowHours * HOUR_MS;
  return unit.before.filter((e) => e.occurredAt.getTime() >= from);
}

/**
 * The covariate's value for a unit: its attribute, or `outcome` applied to the pre-window events
 * (0 when it gives none).
 */
export function covariateValue(
  cov: Covariate,
  unit: UnitContext,
  outcome: (events: readonly OutcomeEvent[]) => number | null,
): number {
  if ('attribute' in cov) return unit.covariates[cov.attribute] ?? 0;
  return outcome(preWindow(cov, unit)) ?? 0;
}

/** The tally a counted unit adds for the covariate. */
export function covariateTally(x: number, y: number): [string, number][] {
  return [
    ['cx', x],
    ['cxx', x * x],
    ['cxy', x * y],
  ];
}

export const covariateCountFields = {
  covariateSum: z.number().optional(),
  covariateSumSquares: z.number().optional(),
  covariateCrossSum: z.number().optional().describe('sum of covariate x outcome'),
};

export interface CovariateCounts {
  covariateSum?: number;
  covariateSumSquares?: number;
  covariateCrossSum?: number;
}

export const covariateCounts = (stat: (name: string) => number): Required<CovariateCounts> => ({
  covariateSum: stat('cx'),
  covariateSumSquares: stat('cxx'),
  covariateCrossSum: stat('cxy'),
});

export function covariateLabel(cov: Covariate): string {
  return 'attribute' in cov ? cov.attribute : `the same outcome over ${cov.preWindowHours} h before exposure`;
}

/** The engine's CUPED input from the variants' counts. */
export function cupedInput(cov: Covariate, variants: Readonly<Record<string, CovariateCounts>>) {
  return {
    label: covariateLabel(cov),
    data: Object.fromEntries(
      Object.entries(variants).map(([k, c]) => [
        k,
        { sumX: c.covariateSum ?? 0, sumX2: c.covariateSumSquares ?? 0, sumXY: c.covariateCrossSum ?? 0 },
      ]),
    ),
  };
}

/** Attributes the assignment must keep with the exposure for these metrics' covariates. */
export function covariateAttributes(metrics: readonly object[]): string[] {
  const names = new Set<string>();
  for (const m of metrics) {
    const c = (m as { covariate?: Covariate }).covariate;
    if (c && 'attribute' in c) names.add(c.attribute);
  }
  return [...names];
}

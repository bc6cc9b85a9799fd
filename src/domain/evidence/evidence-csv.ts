import type { Evidence } from '../schemas/evidence.schema.js';

/** The evidence's columns of the readout CSV, after the engine's. */
export const evidenceCsvColumns = [
  'answered_share',
  'response_bias_p',
  'response_bias_flagged',
  'prior_from',
  'prior_used',
  'prior_scale',
  'prior_estimate',
  'prior_sd',
  'lift_with_prior',
  'lift_with_prior_ci95_low',
  'lift_with_prior_ci95_high',
  'prior_moved',
  'prior_sources',
  'prior_note',
] as const;

type Column = (typeof evidenceCsvColumns)[number];

/**
 * One row's evidence cells: the response check on a survey metric's rows, the prior on the primary
 * metric's rows (the lift with it on each non-control variant's row); empty elsewhere.
 */
export function evidenceCsvCells(
  evidence: Evidence | undefined,
  metric: string,
  variant: string,
): Record<Column, unknown> {
  const cells = Object.fromEntries(evidenceCsvColumns.map((c) => [c, undefined])) as Record<Column, unknown>;
  const bias = evidence?.responseBias?.[metric];
  if (bias) {
    cells.answered_share = bias.arms[variant]?.share;
    cells.response_bias_p = bias.pValue;
    cells.response_bias_flagged = bias.flagged;
  }
  const prior = evidence?.prior;
  if (prior && prior.metric === metric) {
    const arm = prior.variants[variant];
    Object.assign(cells, {
      prior_from: prior.from,
      prior_used: prior.used,
      prior_scale: prior.scale,
      prior_estimate: prior.prior?.estimate,
      prior_sd: prior.prior?.sd,
      lift_with_prior: arm?.with.estimate,
      lift_with_prior_ci95_low: arm?.with.ci95[0],
      lift_with_prior_ci95_high: arm?.with.ci95[1],
      prior_moved: arm?.moved,
      prior_sources:
        prior.from === 'template' ? prior.template : prior.sources.map((s) => s.experiment).join(' '),
      prior_note: prior.note,
    });
  }
  return cells;
}

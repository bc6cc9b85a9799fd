/**
 * Nudgelab's Bayesian analysis engine: pure functions over sufficient statistics.
 *
 * Entry points: `analyze(input)` (throws InvalidInputError) and `tryAnalyze(input)` (returns the
 * readout or a list of {path, message} issues). Methods:
 * - conversion: Beta(alpha, beta) prior (default 1, 1), exact Beta posteriors;
 * - mean: flat prior, Student-t posterior of each mean (n - 1 df, scale sqrt(variance / n));
 * - nps: Dirichlet(1, 1, 1) prior, exact density of 100 x (promoters - detractors) share.
 * All comparisons (chance to beat and to be best, expected losses, difference and ratio lift
 * intervals, chance of harm) are computed by adaptive Gauss-Legendre quadrature on the exact
 * posteriors, including the ratio for mean and NPS metrics; nothing is sampled and no normal
 * approximation is used, at any n. The decision rule is described in DECISION_RULE.md.
 */
export { type BetaPrior, betaTable, conversionPosterior, FLAT_BETA_PRIOR } from './beta-binomial.ts';
export {
  chanceBest,
  chanceGreater,
  differenceCdf,
  differenceQuantile,
  expectedExcess,
  relativeCdf,
  relativeQuantile,
} from './compare.ts';
export { type Decision, decide, manyArmFactor } from './decision.ts';
export {
  DEFAULT_MARGIN,
  decisionScale,
  effectOf,
  evidenceFor,
  MANY_ARM_PRIOR_RATIO,
  oneSidedBayesFactor,
  priorSd,
  TUNED_PRIOR_RATIO,
} from './evidence.ts';
export {
  absoluteLift,
  basisText,
  countText,
  differenceUnit,
  estimateText,
  lossText,
  percent,
  relativeLift,
  rounded,
} from './format.ts';
export { fitHierarchy, normalChanceBest } from './hierarchical.ts';
export {
  type AnalyzeInput,
  type AnalyzeInputRaw,
  analyzeInputSchema,
  type ConversionData,
  type DecisionConfig,
  decisionConfigSchema,
  formatPath,
  type InputIssue,
  type MeanData,
  type MetricInput,
  type MetricInputRaw,
  type NpsData,
  type ParseResult,
  parseAnalyzeInput,
  type VariantInput,
} from './input.schema.ts';
export { MIN_MEAN_N, meanPosterior, studentTable } from './normal-mean.ts';
export { type NpsCounts, npsMoments, npsPosterior } from './nps-dirichlet.ts';
export {
  type Plan,
  type PlanInput,
  type PlanInputRaw,
  plan,
  planInputSchema,
  planSchema,
} from './planning.ts';
export type { ArmPosterior } from './posterior.ts';
export { cdf, lowerLoss, type PosteriorTable, quantile, upperLoss } from './posterior-table.ts';
export {
  type Action,
  type ArmResult,
  type ControlResult,
  type HoldReason,
  holdReasonSchema,
  type InsufficientResult,
  isVariantResult,
  type MetricResult,
  type Readout,
  readoutSchema,
  type VariantResult,
} from './readout.schema.ts';
export { type AnalyzeResult, analyze, InvalidInputError, tryAnalyze } from './readout.ts';
export { digamma, trigamma } from './special.ts';
export { phasedSampleRatioMismatch, type SrmArm, type SrmResult, sampleRatioMismatch } from './srm.ts';
export { formatChance, reasonText, summarize } from './summary.ts';

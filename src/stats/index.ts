/**
 * Nudgelab's Bayesian analysis engine: pure functions over sufficient statistics.
 *
 * Entry points: `analyze(input)` (throws InvalidInputError) and `tryAnalyze(input)` (returns the
 * readout or a list of {path, message} issues). Statistics (statistics.ts):
 * - conversion: Beta(alpha, beta) prior (default 1, 1), exact Beta posteriors;
 * - mean: flat prior, Student-t posterior of each mean (n - 1 df, scale sqrt(variance / n)),
 *   optionally CUPED-adjusted with a pre-exposure covariate (cuped.ts);
 * - nps: Dirichlet(1, 1, 1) prior, exact density of 100 x (promoters - detractors) share;
 * - ratio: ratio of per-unit means, normal posterior with the delta-method variance (ratio.ts);
 * - ordinal: flat Dirichlet over the points; exact top-2-box Beta, moment-matched mean score;
 * - revenue: the mean per unit, or the two-part model P x M with its exact product density.
 * All comparisons (chance to beat and to be best, expected losses, difference and ratio lift
 * intervals, chance of harm) are computed by adaptive Gauss-Legendre quadrature on the
 * posteriors, including the ratio for mean and NPS metrics; nothing is sampled. Only the ratio
 * (delta method) and the ordinal mean score (moment matching) approximate their posteriors, and
 * say so. The decision rule is described in DECISION_RULE.md.
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
export { type CupedResult, type CupedSums, cupedAdjust } from './cuped.ts';
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
  signed,
  signedPercent,
  unitOf,
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
export { type DisplayUnit, displayUnits, type StatisticKind, statisticKinds } from './metric-input.schema.ts';
export { MIN_MEAN_N, meanPosterior, studentTable } from './normal-mean.ts';
export { type NpsCounts, npsMoments, npsPosterior } from './nps-dirichlet.ts';
export { type OrdinalShare, ordinalPosterior, ordinalShares } from './ordinal.ts';
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
export { MIN_RATIO_N, type RatioSums, ratioEstimate, ratioPosterior } from './ratio.ts';
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
export { formatChance, reasonText, summarize, summarizeReadout } from './summary.ts';
export { type TwoPartData, twoPartPosterior } from './two-part.ts';
export {
  type Catalogue,
  catalogueTranslator,
  ENGINE_CATALOGUES,
  ENGLISH,
  type EngineMessageKey,
  type MessageParams,
  type Translate,
  type Wording,
  wordingFor,
} from './wording.ts';

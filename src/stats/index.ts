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
export { type Decision, decide, oneSidedBayesFactor } from './decision.ts';
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
  type NpsData,
  type ParseResult,
  parseAnalyzeInput,
  type VariantInput,
} from './input.schema.ts';
export { MIN_MEAN_N, meanPosterior, studentTable } from './normal-mean.ts';
export { type NpsCounts, npsMoments, npsPosterior } from './nps-dirichlet.ts';
export type { ArmPosterior } from './posterior.ts';
export { cdf, lowerLoss, type PosteriorTable, quantile, upperLoss } from './posterior-table.ts';
export {
  type Action,
  type ArmResult,
  type ControlResult,
  type InsufficientResult,
  isVariantResult,
  type MetricResult,
  type Readout,
  readoutSchema,
  type VariantResult,
} from './readout.schema.ts';
export { type AnalyzeResult, analyze, InvalidInputError, tryAnalyze } from './readout.ts';
export { type SrmArm, type SrmResult, sampleRatioMismatch } from './srm.ts';
export { formatChance, summarize } from './summary.ts';

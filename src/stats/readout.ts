/**
 * The entry point: `analyze(input)` turns per-arm sufficient statistics into a readout (every
 * metric's posterior comparisons, the sample-ratio check, a decision and a one-line summary).
 * Pure and deterministic: the same input always gives the same output, no sampling is involved.
 */
import { decide } from './decision.ts';
import { type AnalyzeInput, type InputIssue, parseAnalyzeInput } from './input.schema.ts';
import { analyzeMetric, type MetricAnalysis } from './metric.ts';
import type { Readout } from './readout.schema.ts';
import { sampleRatioMismatch } from './srm.ts';
import { summarize } from './summary.ts';

export class InvalidInputError extends Error {
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'InvalidInputError';
    this.issues = issues;
  }
}

export type AnalyzeResult = { ok: true; readout: Readout } | { ok: false; issues: InputIssue[] };

function run(input: AnalyzeInput): Readout {
  const keys = input.variants.map((v) => v.key);
  const srm = sampleRatioMismatch(input.variants, input.decision.srmPValue);
  const analyses = new Map<string, MetricAnalysis>();
  for (const metric of input.metrics) analyses.set(metric.key, analyzeMetric(metric, keys, input.control));
  const primaryInput = input.metrics.find((m) => m.role === 'primary');
  const primary = primaryInput ? analyses.get(primaryInput.key) : undefined;
  if (!primary)
    throw new InvalidInputError([{ path: 'metrics', message: 'needs exactly one primary metric' }]);
  const guardrails = input.metrics
    .filter((m) => m.role === 'guardrail')
    .flatMap((m) => {
      const a = analyses.get(m.key);
      return a ? [a.result] : [];
    });
  const decision = decide({
    control: input.control,
    primary: primary.result,
    primaryArms: primary.arms,
    guardrails,
    srmMismatch: srm.mismatch,
    config: input.decision,
  });
  const summary = summarize({
    decision,
    control: input.control,
    primary: primary.result,
    guardrails,
    names: new Map(input.variants.map((v) => [v.key, v.name ?? v.key])),
    srmPValue: srm.pValue,
    maxChanceOfHarm: input.decision.maxChanceOfHarm,
  });
  const metrics: Readout['metrics'] = {};
  for (const [key, a] of analyses) metrics[key] = a.result;
  return {
    srm,
    metrics,
    decision: {
      action: decision.action,
      ...(decision.variant !== undefined ? { variant: decision.variant } : {}),
      summary,
    },
  };
}

/** Validates and analyses; never throws on bad input, for callers that report issues themselves. */
export function tryAnalyze(raw: unknown): AnalyzeResult {
  const parsed = parseAnalyzeInput(raw);
  if (!parsed.ok) return parsed;
  return { ok: true, readout: run(parsed.input) };
}

/** Validates and analyses; throws InvalidInputError, listing every issue, on bad input. */
export function analyze(raw: unknown): Readout {
  const result = tryAnalyze(raw);
  if (!result.ok) throw new InvalidInputError(result.issues);
  return result.readout;
}

/**
 * The entry point: `analyze(input)` turns per-arm sufficient statistics into a readout (every
 * metric's posterior comparisons, the sample-ratio check, a decision and a one-line summary).
 * Pure and deterministic: the same input always gives the same output, no sampling is involved.
 */
import { decide } from './decision.ts';
import { type AnalyzeInput, type InputIssue, parseAnalyzeInput } from './input.schema.ts';
import { hierarchicalReadout } from './many-arms.ts';
import { analyzeMetric, type MetricAnalysis } from './metric.ts';
import type { Readout } from './readout.schema.ts';
import { isVariantResult } from './readout.schema.ts';
import { phasedSampleRatioMismatch, sampleRatioMismatch } from './srm.ts';
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
  const srm = input.phases
    ? phasedSampleRatioMismatch(input.phases, input.decision.srmPValue)
    : sampleRatioMismatch(input.variants, input.decision.srmPValue);
  const active = new Set(
    input.variants.filter((v) => v.weight > 0 && v.key !== input.control).map((v) => v.key),
  );
  const analyses = new Map<string, MetricAnalysis>();
  for (const metric of input.metrics) analyses.set(metric.key, analyzeMetric(metric, keys, input.control));
  const primaryInput = input.metrics.find((m) => m.role === 'primary');
  const primary = primaryInput ? analyses.get(primaryInput.key) : undefined;
  if (!primary)
    throw new InvalidInputError([{ path: 'metrics', message: 'needs exactly one primary metric' }]);
  const guardrailArms = input.metrics
    .filter((m) => m.role === 'guardrail')
    .flatMap((m) => {
      const a = analyses.get(m.key);
      return a ? [a] : [];
    });
  const guardrails = guardrailArms.map((g) => g.result);
  const hierarchical =
    active.size >= input.decision.hierarchicalFrom && primaryInput
      ? hierarchicalReadout(primaryInput.key, primary, input.control, active)
      : undefined;
  const decision = decide({
    control: input.control,
    primary: primary.result,
    primaryArms: primary.arms,
    guardrails: guardrailArms,
    active,
    srmMismatch: srm.mismatch,
    config: input.decision,
    ...(hierarchical
      ? {
          hierarchicalBest: new Map(Object.entries(hierarchical.arms).map(([k, a]) => [k, a.chanceToBeBest])),
        }
      : {}),
  });
  for (const g of guardrails) {
    const byVariant = decision.harmEvidence.get(g.name);
    for (const [k, r] of Object.entries(g.variants)) {
      const bf = byVariant?.get(k);
      if (bf !== undefined && isVariantResult(r) && Number.isFinite(bf)) r.harmEvidence = bf;
    }
  }
  const summary = summarize({
    decision,
    control: input.control,
    primary: primary.result,
    guardrails,
    names: new Map(input.variants.map((v) => [v.key, v.name ?? v.key])),
    srmPValue: srm.pValue,
  });
  const metrics: Readout['metrics'] = {};
  for (const [key, a] of analyses) metrics[key] = a.result;
  return {
    srm,
    metrics,
    ...(hierarchical ? { hierarchical } : {}),
    variantNames: Object.fromEntries(input.variants.map((v) => [v.key, v.name ?? v.key])),
    decision: {
      action: decision.action,
      ...(decision.variant !== undefined ? { variant: decision.variant } : {}),
      summary,
      ...(decision.reasons ? { reasons: decision.reasons } : {}),
      basis: {
        ...(decision.focus !== undefined ? { focus: decision.focus } : {}),
        ...(decision.harmedGuardrail !== undefined ? { harmedGuardrail: decision.harmedGuardrail } : {}),
        blockedBy: guardrails
          .filter((g) => decision.focus !== undefined && decision.blocks.get(g.name)?.get(decision.focus))
          .map((g) => g.name),
      },
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

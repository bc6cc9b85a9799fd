/**
 * The analysis input: sufficient statistics per variant and metric, plus decision thresholds.
 * Cross-field rules (control exists, every metric has every variant, conversions <= n, exactly one
 * primary) live here too, so every caller gets the same messages with the same field paths.
 */
import { z } from 'zod';
import {
  type conversionDataSchema,
  count,
  finite,
  type meanDataSchema,
  metricSchema,
  type npsDataSchema,
  probability,
  required,
  text,
} from './metric-input.schema.ts';

export {
  betaPriorSchema,
  conversionDataSchema,
  meanDataSchema,
  metricSchema,
  npsDataSchema,
} from './metric-input.schema.ts';

/**
 * One phase of the experiment: the weights in force and the exposures it collected, for the
 * sample-ratio check. Without phases the variants' own weight and exposures are the one phase.
 */
export const phaseSchema = z.strictObject({
  weights: z.record(z.string(), finite().min(0, 'must be >= 0')),
  exposures: z.record(z.string(), count()),
});

export const variantSchema = z.strictObject({
  key: text(),
  name: z.string({ error: 'must be a string' }).optional(),
  weight: finite().min(0, 'must be >= 0'),
  exposures: count(),
});

export const sequentialSchema = z.strictObject({
  /**
   * Ship only when the Bayes factor for "better" against "no difference" reaches this, times the
   * number of variants compared with the control (so the bound 1 / bayesFactor covers them all).
   */
  bayesFactor: finite().gt(1, 'must be > 1').default(20),
  /**
   * Prior sd of the true effect under "better": on the log-odds for conversion metrics (so a rate
   * and its complement get the same evidence), else as a fraction of the same scale as
   * lossTolerance. Ignored when `plannedSample` tunes the prior to the plan.
   */
  effectScale: finite().gt(0, 'must be > 0').default(0.1),
  /**
   * Users per arm the experiment is planned to reach. When set, the prior sd is tuned so the gate
   * needs the least evidence at that sample (see DECISION_RULE.md, "Tuned to the plan").
   */
  plannedSample: finite().int('must be a whole number').min(1, 'must be >= 1').optional(),
  /** Stop for harm when the Bayes factor for harm reaches this, times guardrails x variants. */
  harmBayesFactor: finite().gt(1, 'must be > 1').default(20),
  /** A variant is not shipped while some guardrail's Bayes factor for harm is at least this. */
  blockBayesFactor: finite().gt(1, 'must be > 1').default(3),
});

export const decisionConfigSchema = z.strictObject({
  chanceToBeatControl: probability().default(0.95),
  /**
   * Largest acceptable expected loss of shipping, as a fraction of the control's estimate (for
   * mean and NPS metrics, of the larger of that and one observation's standard deviation).
   */
  lossTolerance: finite().min(0, 'must be >= 0').default(0.001),
  maxChanceOfHarm: probability().default(0.1),
  /** A variant this sure to harm a guardrail stops the experiment even if nothing ships. */
  stopChanceOfHarm: probability().default(0.95),
  minSample: count().default(100),
  sequential: z.union([sequentialSchema, z.literal(false)]).default(() => sequentialSchema.parse({})),
  /**
   * With this many variants (not counting the control or weight-0 arms) or more, the many-arm
   * rule applies: an empirical-Bayes hierarchical model ranks the arms (see hierarchical.ts).
   */
  hierarchicalFrom: count().min(2, 'must be >= 2').default(5),
  srmPValue: probability().default(0.001),
});

export const analyzeInputSchema = z
  .object(
    {
      control: text(),
      variants: z
        .array(variantSchema, { error: required('a list') })
        .min(2, 'needs the control and at least one variant'),
      metrics: z.array(metricSchema, { error: required('a list') }).min(1, 'needs at least one metric'),
      phases: z
        .array(phaseSchema, { error: required('a list') })
        .min(1, 'needs at least one phase')
        .optional(),
      decision: decisionConfigSchema.default(decisionConfigSchema.parse({})),
      /** Accepted for callers that always send one; the engine is exact and never samples. */
      seed: finite().int('must be a whole number').optional(),
    },
    { error: 'must be a JSON object' },
  )
  .superRefine((input, ctx) => {
    for (const issue of crossFieldIssues(input)) ctx.addIssue({ code: 'custom', ...issue });
  });

interface CrossFieldIssue {
  path: (string | number)[];
  message: string;
}

interface CrossFieldShape {
  control: string;
  variants: { key: string; weight: number }[];
  phases?: { weights: Record<string, unknown>; exposures: Record<string, unknown> }[] | undefined;
  metrics: { key: string; role: string; data: Record<string, unknown> }[];
}

/**
 * The rules that relate fields to each other. They also run on input that fails elsewhere, so a
 * caller sees a missing variant and a negative count in one answer rather than one per attempt.
 */
function crossFieldIssues(input: CrossFieldShape): CrossFieldIssue[] {
  const out: CrossFieldIssue[] = [];
  const add = (path: (string | number)[], message: string): void => {
    out.push({ path, message });
  };
  const keys = input.variants.map((v) => v.key);
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i) add(['variants', i, 'key'], `duplicate variant "${k}"`);
  });
  if (!keys.includes(input.control))
    add(['control'], `unknown control "${input.control}": not among variants`);
  if (input.variants.length > 0 && input.variants.reduce((s, v) => s + v.weight, 0) <= 0)
    add(['variants'], 'weights must not all be 0');
  (input.phases ?? []).forEach((phase, i) => {
    for (const field of ['weights', 'exposures'] as const) {
      for (const k of Object.keys(phase[field])) {
        if (!keys.includes(k)) add(['phases', i, field, k], `unknown variant "${k}"`);
      }
    }
  });
  const primaries = input.metrics.filter((m) => m.role === 'primary').length;
  if (primaries !== 1) add(['metrics'], `needs exactly one primary metric, found ${primaries}`);
  const metricKeys = input.metrics.map((m) => m.key);
  input.metrics.forEach((m, i) => {
    if (metricKeys.indexOf(m.key) !== i) add(['metrics', i, 'key'], `duplicate metric "${m.key}"`);
    for (const k of keys) {
      if (!Object.hasOwn(m.data, k)) add(['metrics', i, 'data', k], 'missing: every variant needs data');
    }
    for (const k of Object.keys(m.data)) {
      if (!keys.includes(k)) add(['metrics', i, 'data', k], `unknown variant "${k}"`);
    }
  });
  return out;
}

const crossFieldShape = z.looseObject({
  control: z.string(),
  variants: z.array(z.looseObject({ key: z.string(), weight: z.number() })),
  phases: z
    .array(
      z.looseObject({
        weights: z.record(z.string(), z.unknown()),
        exposures: z.record(z.string(), z.unknown()),
      }),
    )
    .optional()
    .catch(undefined),
  metrics: z.array(
    z.looseObject({ key: z.string(), role: z.string(), data: z.record(z.string(), z.unknown()) }),
  ),
});

export type AnalyzeInput = z.infer<typeof analyzeInputSchema>;
/** What callers may send: defaults not yet applied. */
export type AnalyzeInputRaw = z.input<typeof analyzeInputSchema>;
export type MetricInput = AnalyzeInput['metrics'][number];
/** One metric as callers may send it (defaults not yet applied). */
export type MetricInputRaw = z.input<typeof metricSchema>;
export type VariantInput = z.infer<typeof variantSchema>;
export type DecisionConfig = z.infer<typeof decisionConfigSchema>;
export type SequentialConfig = z.infer<typeof sequentialSchema>;
export type PhaseInput = z.infer<typeof phaseSchema>;
export type ConversionData = z.infer<typeof conversionDataSchema>;
export type MeanData = z.infer<typeof meanDataSchema>;
export type NpsData = z.infer<typeof npsDataSchema>;

export interface InputIssue {
  path: string;
  message: string;
}

/** ['metrics', 0, 'data', 'loss-frame', 'n'] -> "metrics[0].data.loss-frame.n" */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const name = String(part);
    return acc === '' ? name : `${acc}.${name}`;
  }, '');
}

export type ParseResult = { ok: true; input: AnalyzeInput } | { ok: false; issues: InputIssue[] };

export function parseAnalyzeInput(raw: unknown): ParseResult {
  const parsed = analyzeInputSchema.safeParse(raw);
  if (parsed.success) return { ok: true, input: parsed.data };
  const issues = parsed.error.issues.map((i) => ({
    path: formatPath(i.path) || '(input)',
    message: i.message,
  }));
  const loose = crossFieldShape.safeParse(raw);
  if (loose.success) {
    for (const i of crossFieldIssues(loose.data)) {
      const path = formatPath(i.path);
      if (!issues.some((x) => x.path === path && x.message === i.message))
        issues.push({ path, message: i.message });
    }
  }
  return { ok: false, issues };
}

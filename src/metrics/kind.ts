/**
 * What a metric kind is. A kind is one module (src/metrics/<kind>/) that owns everything a metric
 * of that kind does between a definition and a readout: the fields of its definition, how a unit's
 * events become its outcome and the sums it adds to the readout counters, how those sums become
 * the per-variant counts of a snapshot and the stats engine's input, and where it sits among the
 * portfolio's families. The posterior and comparison maths stays in src/stats (pure); a kind only
 * chooses which of the engine's statistics describes it and feeds it.
 *
 * Kinds never see storage or HTTP: the attribution pipeline hands them events and hands their
 * tallies to the sharded counters, so a new kind is incremental, sharded and exactly-once for free.
 */
import type { z } from 'zod';
import type { MetricInputRaw, MetricResult } from '../stats/index.js';

/** The groups the portfolio compares experiments by. */
export const metricFamilies = ['conversion', 'satisfaction', 'revenue', 'other'] as const;
export type MetricFamily = (typeof metricFamilies)[number];

/**
 * What the portfolio pools across experiments, each measure on one scale so that experiments of
 * different kinds can enter it together: conversion and ratios as relative lifts (their levels
 * differ by orders of magnitude between touchpoints), CSAT as the difference in mean score in
 * points of the 1-5 scale, NPS in NPS points, customer effort in points of its scale. Ratios are a
 * measure of their own: fewer contacts per customer is not more conversion.
 */
export const portfolioMeasures = ['conversion', 'csat', 'nps', 'effort', 'ratio'] as const;
export type PortfolioMeasure = (typeof portfolioMeasures)[number];
export type PortfolioScale = 'relative' | 'points';
export const portfolioScales: Readonly<Record<PortfolioMeasure, PortfolioScale>> = {
  conversion: 'relative',
  csat: 'points',
  nps: 'points',
  effort: 'points',
  ratio: 'relative',
};
/** The measures that rank a row on satisfaction (their chances of improving are averaged). */
export const satisfactionMeasures: readonly PortfolioMeasure[] = ['csat', 'nps', 'effort'];

/** A variant's lift over control on its portfolio measure's scale, in the metric's own direction. */
export interface PortfolioLift {
  mean: number;
  ci95: [number, number];
}

/** An event of the unit, as attribution keeps it. */
export interface OutcomeEvent {
  id: string;
  /** Event name (conversion and custom events) and type (`conversion`, `csat`, `nps`, `ces`, `revenue`, ...). */
  name?: string | undefined;
  type?: string | undefined;
  value?: number | undefined;
  occurredAt: Date;
}

export interface OutcomeEntry {
  /** When the counted answer (first answer) or the first counted event (sums) happened. */
  at: Date;
  value: number;
  /** Events that were counted: one for first answers and conversions, all of them for sums. */
  events: number;
  eventId: string;
}

/** One unit's outcome on one metric: what it shows, and the sums it adds (zeros are dropped). */
export interface UnitOutcome {
  entry?: OutcomeEntry;
  tally: (readonly [stat: string, value: number])[];
}

/** What a kind reads about one exposure of a unit. */
export interface UnitContext {
  exposedAt: Date;
  /** The unit's events inside the metric's window after the exposure, earliest first (ties by id). */
  counted: readonly OutcomeEvent[];
  /** The unit's events before the exposure, earliest first: pre-exposure covariates come from them. */
  before: readonly OutcomeEvent[];
  /** Numeric attributes sent with the assignment that exposed the unit (pre-exposure covariates). */
  covariates: Readonly<Record<string, number>>;
}

/** The sum of one tally statistic over a variant's units (0 when none added to it). */
export type Stat = (name: string) => number;

/** What the counters hold for one variant: its tally sums and its exposed units. */
export interface VariantSums {
  stat: Stat;
  exposed: number;
}

/** A metric's counts in a snapshot: per variant, and facts about all variants at once (a cap). */
export interface KindCounts<C> {
  variants: Record<string, C>;
  metric?: Record<string, unknown> | undefined;
}

export interface EventRead {
  name: string;
  /** True when the value counts (answers, amounts); false when the event's occurrence does. */
  valued: boolean;
}

/** What every kind's functions see of a definition besides the kind's own fields. */
export interface MetricCommon {
  key: string;
  kind: string;
  windowHours: number;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One metric of the engine's input, without what the domain adds to every metric (key, name, role, ...). */
export type EngineMetric = DistributiveOmit<
  MetricInputRaw,
  'key' | 'name' | 'role' | 'margin' | 'lowerIsBetter'
>;

/** How a plan models the metric (see stats/planning.ts), and the baseline the control's counts give. */
export interface PlanBasis {
  kind: 'conversion' | 'mean' | 'nps';
  /** Absent while the counts cannot give one. */
  baseline?: number;
  sd?: number;
}

/**
 * The contract of a kind module. Methods (not function-valued properties) on purpose: the registry
 * holds every kind behind this one interface, and method parameters compare bivariantly.
 */
export interface MetricKind<D extends MetricCommon, C extends { n: number }> {
  readonly kind: D['kind'];
  /** One line for the docs and the forms. */
  readonly description: string;
  /** The definition's own fields, `kind` included; the domain adds key, name, role, window, direction, margin. */
  readonly fields: z.ZodRawShape;
  /** Per-variant count fields of a snapshot (all optional: other kinds leave them out). */
  readonly countFields: z.ZodRawShape;
  /** Metric-level count fields of a snapshot (facts about every variant at once). */
  readonly metricCountFields?: z.ZodRawShape;
  /** CSV columns this kind fills, in order. */
  readonly csvColumns: readonly string[];
  /** Rules between the kind's own fields (the definition's path is the metric's). */
  check?(def: D, ctx: z.RefinementCtx): void;
  /** Events (names or survey types) the metric reads, and whether it reads their values. */
  events(def: D): EventRead[];
  /** What attribution reads from the definition: a change means the sums must be rebuilt. */
  fingerprint(def: D): unknown[];
  /** The unit's outcome and tally; null when the unit adds nothing. */
  outcome(def: D, unit: UnitContext): UnitOutcome | null;
  /** Every variant's counts from its sums; all at once, so a rule may pool the variants (a cap). */
  counts(def: D, variants: Readonly<Record<string, VariantSums>>): KindCounts<C>;
  /** The engine's statistic and data for every variant. */
  engineInput(def: D, counts: KindCounts<C>): EngineMetric;
  family(def: D): MetricFamily;
  /** The portfolio measure the metric counts for; absent or null when the portfolio does not pool it. */
  portfolio?(def: D): PortfolioMeasure | null;
  /**
   * The variant's lift on the measure's scale when the engine's lift is not already on it (the
   * relative lift for relative measures, the absolute one for points); null when it cannot be had.
   */
  portfolioLift?(def: D, result: MetricResult, variant: string, control: string): PortfolioLift | null;
  /** Whether n counts only the units who answered (a survey), so a nudge can change who is measured. */
  answersOnly?(def: D): boolean;
  /** The plan's model, and its baseline from the control's counts when there are any. */
  planBasis(def: D, control: C | undefined): PlanBasis;
  /** The CSV cells of one variant (keys from csvColumns). */
  csv(def: D, c: C, metric: Record<string, unknown> | undefined): Record<string, unknown>;
}

/** Counts for kinds whose variants need nothing from each other. */
export function eachVariant<C>(
  variants: Readonly<Record<string, VariantSums>>,
  f: (s: VariantSums) => C,
): KindCounts<C> {
  return { variants: perVariant(variants, f) };
}

/** Maps every variant's counts to the engine's data for it. */
export function perVariant<C, T>(variants: Readonly<Record<string, C>>, f: (c: C) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(variants).map(([k, c]) => [k, f(c)]));
}

/**
 * The metric kinds, one line each. Everything that lists kinds or does something per kind (the
 * definition schema, snapshot counts, the engine's input, the CSV export, the forms, the portfolio
 * families) reads this list; a new kind is its folder plus one line here.
 */
import { z } from 'zod';
import { isVariantResult, type MetricResult } from '../stats/index.js';
import { conversion } from './conversion/conversion.kind.js';
import type {
  EngineMetric,
  EventRead,
  KindCounts,
  MetricCommon,
  MetricFamily,
  MetricKind,
  PlanBasis,
  PortfolioLift,
  PortfolioMeasure,
  UnitContext,
  UnitOutcome,
  VariantSums,
} from './kind.js';
import { portfolioScales } from './kind.js';
import { mean } from './mean/mean.kind.js';
import { nps } from './nps/nps.kind.js';
import { ordinal } from './ordinal/ordinal.kind.js';
import { ratio } from './ratio/ratio.kind.js';
import { revenue } from './revenue/revenue.kind.js';

export const metricKindModules = [conversion, mean, nps, ratio, ordinal, revenue] as const;

type Modules = typeof metricKindModules;
type AnyKind = MetricKind<MetricCommon, { n: number }>;
type DefinitionOf<M> = M extends MetricKind<infer D, infer _C> ? D : never;

/** A metric definition of any kind: the kind's own fields plus key and window (other fields optional). */
export type MetricDefinition = DefinitionOf<Modules[number]>;
export type MetricKindName = Modules[number]['kind'];

type KindNames<T extends readonly unknown[]> = {
  readonly [I in keyof T]: T[I] extends { kind: infer K } ? K : never;
};
type Members<B extends z.ZodRawShape, T extends readonly unknown[]> = {
  readonly [I in keyof T]: T[I] extends { fields: infer F extends z.ZodRawShape }
    ? z.ZodObject<B & F, z.core.$strict>
    : never;
};

export const metricKinds = metricKindModules.map((k) => k.kind) as unknown as KindNames<Modules>;

const byName = new Map<string, AnyKind>(metricKindModules.map((k) => [k.kind, k as unknown as AnyKind]));

export function kindOf(kind: string): AnyKind {
  const k = byName.get(kind);
  if (!k) throw new Error(`unknown metric kind "${kind}"`);
  return k;
}

/**
 * The definition schema of a metric: one strict object per kind (`base` plus the kind's fields),
 * told apart by `kind`, so each kind's fields are checked and documented on their own.
 */
export function metricDefinitionSchema<B extends z.ZodRawShape>(base: B) {
  const members = (metricKindModules as readonly AnyKind[]).map((k) => {
    const member = z.strictObject({ ...base, ...k.fields });
    return k.check ? member.superRefine((def, ctx) => k.check?.(def as MetricCommon, ctx)) : member;
  });
  return z.discriminatedUnion('kind', members as unknown as Members<B, Modules>, {
    error: `kind must be one of ${metricKinds.join(', ')}`,
  });
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** Per-variant count fields of every kind (a field two kinds share has the same meaning in both). */
export const variantCountFields = Object.assign(
  {},
  ...metricKindModules.map((k) => k.countFields),
) as UnionToIntersection<Modules[number]['countFields']>;

/** Metric-level count fields of every kind (facts about all variants at once, such as a cap). */
export const metricCountFields: z.ZodRawShape = Object.assign(
  {},
  ...(metricKindModules as readonly AnyKind[]).map((k) => k.metricCountFields ?? {}),
);

/** CSV columns the kinds fill, each once, in registry order. */
export const kindCsvColumns = [...new Set(metricKindModules.flatMap((k) => k.csvColumns))];

/** Names of the events the metric reads, each once. */
export const eventsRead = (def: MetricDefinition): string[] => [
  ...new Set(
    kindOf(def.kind)
      .events(def)
      .map((e) => e.name),
  ),
];
/** The events the metric reads, with whether their values count (for the demo's simulated customers). */
export const eventReads = (def: MetricDefinition): EventRead[] => kindOf(def.kind).events(def);
export const fingerprintOf = (def: MetricDefinition): unknown[] => kindOf(def.kind).fingerprint(def);
export const outcomeOf = (def: MetricDefinition, unit: UnitContext): UnitOutcome | null =>
  kindOf(def.kind).outcome(def, unit);
export const familyOf = (def: MetricDefinition): MetricFamily => kindOf(def.kind).family(def);
export const portfolioMeasureOf = (def: MetricDefinition): PortfolioMeasure | null =>
  kindOf(def.kind).portfolio?.(def) ?? null;

/**
 * A variant's lift on the scale of the metric's portfolio measure (null when the metric is not
 * pooled or the variant has no comparison): the kind's own when it has one, else the engine's
 * relative or absolute lift as the measure's scale asks.
 */
export function portfolioLiftOf(
  def: MetricDefinition,
  result: MetricResult,
  variant: string,
  control: string,
): PortfolioLift | null {
  const measure = portfolioMeasureOf(def);
  if (measure === null) return null;
  const k = kindOf(def.kind);
  if (k.portfolioLift) return k.portfolioLift(def, result, variant, control);
  const arm = result.variants[variant];
  if (!arm || !isVariantResult(arm)) return null;
  const lift = portfolioScales[measure] === 'relative' ? arm.relativeLift : arm.absoluteLift;
  return { mean: lift.mean, ci95: [lift.ci95[0], lift.ci95[1]] };
}
export const answersOnly = (def: MetricDefinition): boolean => kindOf(def.kind).answersOnly?.(def) ?? false;

/** One variant's counts: `n` and whatever fields the kind keeps. */
export type VariantCountsOf = { n: number } & Record<string, unknown>;

/** Every variant's counts from the counters' sums, and the metric-level facts of the kind. */
export const countsOf = (
  def: MetricDefinition,
  variants: Readonly<Record<string, VariantSums>>,
): KindCounts<VariantCountsOf> => kindOf(def.kind).counts(def, variants) as KindCounts<VariantCountsOf>;

/** The counts of a variant with no data yet. */
export const emptyCounts = (def: MetricDefinition): VariantCountsOf =>
  countsOf(def, { none: { stat: () => 0, exposed: 0 } }).variants.none ?? { n: 0 };

export const engineInputOf = (def: MetricDefinition, counts: KindCounts<VariantCountsOf>): EngineMetric =>
  kindOf(def.kind).engineInput(def, counts);

export const planBasisOf = (def: MetricDefinition, control: VariantCountsOf | undefined): PlanBasis =>
  kindOf(def.kind).planBasis(def, control);

export const csvCellsOf = (
  def: MetricDefinition,
  c: VariantCountsOf,
  metric: Record<string, unknown> | undefined,
): Record<string, unknown> => kindOf(def.kind).csv(def, c, metric);

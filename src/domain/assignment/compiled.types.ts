import type { FeatureApiResponse } from '@growthbook/growthbook';
import type { PolicyScope } from '../fatigue/contact-window.js';
import type { FatiguePolicyDefinition } from './fatigue-rules.js';
import type { CompiledHoldout, HoldoutDefinition } from './holdout-rules.js';

/** The fields of a stored experiment the compiler reads (the stored document carries more). */
export interface ExperimentDefinition {
  id: string;
  key: string;
  name: string;
  nudge: string;
  touchpoint?: string;
  status: string;
  phase?: number;
  startedAt?: string;
  variants: { key: string; weight: number }[];
  coverage?: number;
  targeting?: Record<string, unknown>;
  unit?: string;
  overlap?: boolean;
  qaOverrides?: { customerId: string; variant: string }[];
  /** Only read for the attributes a CUPED covariate names (kept with each exposure). */
  metrics?: readonly object[];
}

export interface NudgeDefinition {
  key: string;
  touchpoint: string;
  type: string;
  variants: { key: string; name: string; payload: unknown }[];
}

export interface TouchpointDefinition {
  key: string;
  journey?: string;
  channel?: string;
}

export interface Definitions {
  touchpoints: TouchpointDefinition[];
  nudges: NudgeDefinition[];
  experiments: ExperimentDefinition[];
  holdouts?: HoldoutDefinition[];
  fatigue?: FatiguePolicyDefinition[];
}

/** What every rule of the payload yields as its value, so an SDK needs nothing else to show the nudge. */
export interface VariantValue {
  experiment: string;
  variant: string;
  payload: unknown;
  /** Present on QA force rules: the customer is forced and excluded from analysis. */
  qa?: true;
}

export interface CompiledExperiment {
  id: string;
  key: string;
  touchpoint: string;
  status: string;
  running: boolean;
  phase: number;
  unit: string;
  /** Exclusive experiments share the touchpoint's feature and namespace; overlapping ones get a feature each. */
  exclusive: boolean;
  featureKey: string;
  nudgeType: string;
  variants: { key: string; payload: unknown }[];
  condition?: Record<string, unknown>;
  namespace?: [string, number, number];
  /** Numeric assignment attributes the metrics use as pre-exposure covariates (CUPED). */
  covariates?: string[];
}

export interface CompiledTouchpoint {
  key: string;
  channel?: string;
  /** Every experiment on the touchpoint that is not a draft, running ones first, in rule order. */
  experiments: CompiledExperiment[];
  exclusive: CompiledExperiment[];
  overlapping: CompiledExperiment[];
  /**
   * Namespace slices of the exclusive experiments (running and paused) when they share one unit,
   * so the server finds a unit's slice with one SDK call instead of trying every rule in turn.
   */
  slots?: { unit: string; namespace: string; holders: { key: string; range: [number, number] }[] };
  /** QA overrides of the exclusive experiments, by customer id (mirrors the force rules). */
  qa: Map<string, VariantValue>;
  journey?: string;
  /** Running holdouts covering this touchpoint; their members get the default here. */
  holdouts: CompiledHoldout[];
  /** Active fatigue policies covering this touchpoint. */
  fatigue: PolicyScope[];
}

export interface CompiledPayload {
  /** Served to SDKs. */
  payload: FeatureApiResponse;
  /** The served features plus one single-rule feature per exclusive experiment (server side only). */
  evaluationPayload: FeatureApiResponse;
  touchpoints: Map<string, CompiledTouchpoint>;
  /** Hash of the payload; the ETag of `/api/features`. */
  etag: string;
  json: string;
  builtAt: Date;
}

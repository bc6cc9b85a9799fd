import {
  type Attributes,
  type Experiment,
  evalCondition,
  type FeatureResult,
  GrowthBookClient,
} from '@growthbook/growthbook';
import type {
  CompiledExperiment,
  CompiledPayload,
  CompiledTouchpoint,
  VariantValue,
} from './compiled.types.js';
import { type CompiledHoldout, holdoutFeatureKey } from './holdout-rules.js';
import { soloFeatureKey } from './payload-compiler.js';

export type NotInReason =
  | 'not-running'
  | 'missing-unit'
  | 'targeting'
  | 'namespace'
  | 'coverage'
  | 'holdout'
  | 'fatigue';

/** One running holdout covering a touchpoint, and whether the unit is held out by it. */
export interface HoldoutArm {
  holdout: CompiledHoldout;
  member: boolean;
  unitId: string;
}

export interface Evaluation {
  experiment: CompiledExperiment;
  inExperiment: boolean;
  variant: string | null;
  payload: unknown;
  qa: boolean;
  reason?: NotInReason;
}

interface Hit {
  experiment: string;
  variant: string;
  payload: unknown;
  qa: boolean;
}

const keptVariant = (exp: CompiledExperiment, sticky: ReadonlyMap<string, string> | undefined) =>
  exp.unit === 'customerId' ? sticky?.get(`${exp.id}|${exp.phase}`) : undefined;

/** The SDK's sticky-bucket documents for the experiments on this touchpoint the group kept a variant of. */
function stickyContext(tp: CompiledTouchpoint, attributes: Attributes, sticky: ReadonlyMap<string, string>) {
  const assignments: Record<string, string> = {};
  for (const exp of tp.experiments) {
    const variant = keptVariant(exp, sticky);
    // The payload's bucket version is the phase: a new phase randomises afresh.
    if (variant !== undefined) assignments[`${exp.key}__${exp.phase}`] = variant;
  }
  const id = String(attributes.customerId);
  return {
    attributes,
    stickyBucketAssignmentDocs: {
      [`customerId||${id}`]: { attributeName: 'customerId', attributeValue: id, assignments },
    },
    // The documents come from the identity graph; the SDK's own saves are not kept.
    saveStickyBucketAssignmentDoc: async () => undefined,
  };
}

function hitOf(result: FeatureResult<VariantValue | null>): Hit | null {
  const value = result.value;
  if (!value) return null;
  if (result.source === 'force') return { ...value, qa: true };
  if (result.source === 'experiment' && result.experimentResult?.inExperiment) return { ...value, qa: false };
  return null;
}

/**
 * A probe that asks the SDK which namespace slice a unit falls in: GrowthBook hashes a namespace
 * as hash("__" + id, value, version 1), which is exactly an experiment seeded "__" + id with hash
 * version 1 whose variation ranges are the slices.
 */
function slotProbe(tp: CompiledTouchpoint): Experiment<number> | null {
  const slots = tp.slots;
  if (!slots || slots.holders.length < 2) return null;
  return {
    key: `${tp.key}~namespace`,
    seed: `__${slots.namespace}`,
    hashVersion: 1,
    hashAttribute: slots.unit,
    variations: slots.holders.map((_, i) => i) as [number, number, ...number[]],
    ranges: slots.holders.map((h) => h.range),
    coverage: 1,
  };
}

/**
 * Evaluates the compiled payload with one GrowthBookClient: the SDK does all hashing, bucketing,
 * namespaces and conditions, so a GrowthBook SDK evaluating the served payload agrees. A client
 * is made per payload (rare) and shared by every request; each request passes only a small user
 * context, the SDK's multi-user path.
 *
 * Exclusive experiments: the SDK first tells which experiment's namespace slice holds the unit,
 * then evaluates only that experiment's rule (a server-side copy of it as a one-rule feature). It
 * gives what the touchpoint feature gives, since the slices are disjoint, in two SDK calls instead
 * of one per rule.
 */
export class Evaluator {
  private readonly client: GrowthBookClient;
  private readonly probes = new Map<string, Experiment<number> | null>();

  constructor(readonly compiled: CompiledPayload) {
    this.client = new GrowthBookClient({}).initSync({ payload: compiled.evaluationPayload });
    for (const tp of compiled.touchpoints.values()) this.probes.set(tp.key, slotProbe(tp));
  }

  touchpoint(key: string): CompiledTouchpoint | undefined {
    return this.compiled.touchpoints.get(key);
  }

  /** The unit's arm in each running holdout covering the touchpoint (none without the unit attribute). */
  holdoutArms(tp: CompiledTouchpoint, attributes: Attributes): HoldoutArm[] {
    if (tp.holdouts.length === 0) return [];
    const out: HoldoutArm[] = [];
    for (const holdout of tp.holdouts) {
      const unit = attributes[holdout.unit];
      if (unit === undefined || unit === null || unit === '') continue;
      const member = this.client.evalFeature<boolean>(holdoutFeatureKey(holdout.key), { attributes }).value;
      out.push({ holdout, member: member === true, unitId: String(unit) });
    }
    return out;
  }

  /** Every experiment on the touchpoint answered with the default, for a unit that is held out. */
  withheld(tp: CompiledTouchpoint, reason: 'holdout' | 'fatigue'): Evaluation[] {
    return tp.experiments.map((exp) => ({
      experiment: exp,
      inExperiment: false,
      variant: null,
      payload: null,
      qa: false,
      reason: exp.running ? reason : 'not-running',
    }));
  }

  /**
   * `sticky`: the variants a linked customer's group keeps (`<experiment id>|<phase>` -> variant),
   * handed to the SDK as its sticky-bucket documents, so the SDK answers them whatever the hash.
   */
  evaluate(
    tp: CompiledTouchpoint,
    attributes: Attributes,
    sticky?: ReadonlyMap<string, string>,
  ): Evaluation[] {
    const ctx = sticky && sticky.size > 0 ? stickyContext(tp, attributes, sticky) : { attributes };
    const out: Evaluation[] = [];
    let winner: Hit | null = null;
    /** Key of the exclusive experiment whose slice holds the unit; undefined when not computed. */
    let slotOwner: string | null | undefined;
    if (tp.exclusive.length > 0) {
      const forced = tp.qa.size > 0 ? tp.qa.get(String(attributes.customerId)) : undefined;
      const probe = this.probes.get(tp.key);
      // A group that kept a variant of one exclusive experiment stays in it, whichever slice the hash picks.
      const kept =
        'stickyBucketAssignmentDocs' in ctx ? tp.exclusive.find((e) => keptVariant(e, sticky)) : undefined;
      if (forced) {
        winner = { ...forced, qa: true };
      } else if (kept) {
        slotOwner = kept.key;
        winner = hitOf(this.client.evalFeature<VariantValue | null>(soloFeatureKey(kept.key), ctx));
      } else if (probe) {
        const slot = this.client.runInlineExperiment(probe, ctx);
        slotOwner = slot.inExperiment ? (tp.slots?.holders[slot.variationId]?.key ?? null) : null;
        const owner = slotOwner ? tp.exclusive.find((e) => e.key === slotOwner) : undefined;
        if (owner)
          winner = hitOf(this.client.evalFeature<VariantValue | null>(soloFeatureKey(owner.key), ctx));
      } else {
        winner = hitOf(this.client.evalFeature<VariantValue | null>(tp.key, ctx));
      }
    }
    for (const exp of tp.experiments) {
      if (!exp.running) {
        out.push({
          experiment: exp,
          inExperiment: false,
          variant: null,
          payload: null,
          qa: false,
          reason: 'not-running',
        });
        continue;
      }
      const hit = exp.exclusive
        ? winner?.experiment === exp.key
          ? winner
          : null
        : hitOf(this.client.evalFeature<VariantValue | null>(exp.featureKey, ctx));
      if (hit) {
        out.push({
          experiment: exp,
          inExperiment: true,
          variant: hit.variant,
          payload: hit.payload,
          qa: hit.qa,
        });
      } else {
        const reason = this.whyNot(exp, attributes, winner !== null, slotOwner);
        out.push({ experiment: exp, inExperiment: false, variant: null, payload: null, qa: false, reason });
      }
    }
    return out;
  }

  /**
   * Why the SDK left a unit out, in the order the SDK checks: no unit value, another exclusive
   * experiment's slice, targeting, coverage.
   */
  private whyNot(
    exp: CompiledExperiment,
    attributes: Attributes,
    anotherExclusiveWon: boolean,
    slotOwner: string | null | undefined,
  ): NotInReason {
    const unitValue = attributes[exp.unit];
    if (unitValue === undefined || unitValue === null || unitValue === '') return 'missing-unit';
    if (exp.exclusive && anotherExclusiveWon) return 'namespace';
    if (exp.namespace) {
      if (slotOwner !== undefined) {
        if (slotOwner !== exp.key) return 'namespace';
      } else if (!this.inNamespace(exp, attributes)) {
        return 'namespace';
      }
    }
    if (exp.condition && !evalCondition(attributes, exp.condition as never)) return 'targeting';
    return 'coverage';
  }

  /** The SDK's namespace test for one experiment, as a probe with the namespace and nothing else. */
  private inNamespace(exp: CompiledExperiment, attributes: Attributes): boolean {
    const probe = this.client.runInlineExperiment(
      {
        key: `${exp.key}~namespace`,
        variations: [0, 1],
        weights: [1, 0],
        coverage: 1,
        hashAttribute: exp.unit,
        hashVersion: 2,
        ...(exp.namespace ? { namespace: exp.namespace } : {}),
      },
      { attributes },
    );
    return probe.inExperiment;
  }
}

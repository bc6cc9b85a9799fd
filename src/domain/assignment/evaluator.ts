import { type Attributes, evalCondition, type FeatureResult, GrowthBookClient } from '@growthbook/growthbook';
import type {
  CompiledExperiment,
  CompiledPayload,
  CompiledTouchpoint,
  VariantValue,
} from './compiled.types.js';

export type NotInReason = 'not-running' | 'missing-unit' | 'targeting' | 'namespace' | 'coverage';

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

function hitOf(result: FeatureResult<VariantValue | null>): Hit | null {
  const value = result.value;
  if (!value) return null;
  if (result.source === 'force') return { ...value, qa: true };
  if (result.source === 'experiment' && result.experimentResult?.inExperiment) return { ...value, qa: false };
  return null;
}

/**
 * Evaluates the compiled payload with one GrowthBookClient: the SDK does all hashing, bucketing,
 * namespaces and conditions, so a GrowthBook SDK in an app evaluating the same payload agrees.
 * A new client is made per payload (rare) and shared by every request; each request passes only
 * a small user context, which is the SDK's cheap multi-user path.
 */
export class Evaluator {
  private readonly client: GrowthBookClient;

  constructor(readonly compiled: CompiledPayload) {
    this.client = new GrowthBookClient({}).initSync({ payload: compiled.payload });
  }

  touchpoint(key: string): CompiledTouchpoint | undefined {
    return this.compiled.touchpoints.get(key);
  }

  evaluate(tp: CompiledTouchpoint, attributes: Attributes): Evaluation[] {
    const ctx = { attributes };
    const out: Evaluation[] = [];
    let winner: Hit | null = null;
    if (tp.exclusive.length > 0) {
      winner = hitOf(this.client.evalFeature<VariantValue | null>(tp.key, ctx));
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
        const reason = this.whyNot(exp, attributes, winner !== null);
        out.push({ experiment: exp, inExperiment: false, variant: null, payload: null, qa: false, reason });
      }
    }
    return out;
  }

  /**
   * Why the SDK left a unit out, checked in the order a person reads it: no unit value, targeting,
   * another exclusive experiment's slice, coverage. The namespace check runs the SDK on a probe
   * experiment with only the namespace, so the answer comes from the same hashing.
   */
  private whyNot(exp: CompiledExperiment, attributes: Attributes, anotherExclusiveWon: boolean): NotInReason {
    const unitValue = attributes[exp.unit];
    if (unitValue === undefined || unitValue === null || unitValue === '') return 'missing-unit';
    if (exp.condition && !evalCondition(attributes, exp.condition as never)) return 'targeting';
    if (exp.exclusive && anotherExclusiveWon) return 'namespace';
    if (exp.namespace) {
      const probe = this.client.runInlineExperiment(
        {
          key: `${exp.key}~namespace`,
          variations: [0, 1],
          weights: [1, 0],
          coverage: 1,
          hashAttribute: exp.unit,
          hashVersion: 2,
          namespace: exp.namespace,
        },
        { attributes },
      );
      if (!probe.inExperiment) return 'namespace';
    }
    return 'coverage';
  }
}

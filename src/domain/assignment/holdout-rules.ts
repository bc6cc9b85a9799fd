import type { FeatureDefinition, FeatureRule } from '@growthbook/growthbook';

/** The fields of a stored holdout the compiler reads. */
export interface HoldoutDefinition {
  id: string;
  key: string;
  journey?: string;
  share: number;
  unit?: string;
  status: string;
  phase?: number;
}

export interface CompiledHoldout {
  id: string;
  key: string;
  journey?: string;
  unit: string;
  share: number;
  phase: number;
}

/** Server-side feature answering `true` for the holdout's members. */
export function holdoutFeatureKey(key: string): string {
  return `__holdout/${key}`;
}

/**
 * A percentage rollout seeded by the holdout's own id: GrowthBook hashes (seed, unit value) apart
 * from every experiment's (experiment id, unit value), so membership is independent of every
 * variant, and starting a holdout changes nothing for the units outside it.
 */
function rollout(h: CompiledHoldout): Omit<FeatureRule, 'force'> {
  return {
    id: `holdout:${h.key}`,
    coverage: h.share,
    hashAttribute: h.unit,
    seed: `holdout:${h.id}`,
    hashVersion: 2,
  };
}

/** First rule of every covered feature: members get `null`, the default experience, from any SDK. */
export function holdoutRule(h: CompiledHoldout): FeatureRule {
  return { ...rollout(h), force: null } as FeatureRule;
}

export function membershipFeature(h: CompiledHoldout): FeatureDefinition {
  return { defaultValue: false, rules: [{ ...rollout(h), force: true } as FeatureRule] };
}

/** Running holdouts, each with the touchpoints it covers: its journey's, or all for a global one. */
export function runningHoldouts(holdouts: readonly HoldoutDefinition[] = []): CompiledHoldout[] {
  return holdouts
    .filter((h) => h.status === 'running')
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((h) => ({
      id: h.id,
      key: h.key,
      ...(h.journey ? { journey: h.journey } : {}),
      unit: h.unit ?? 'customerId',
      share: h.share,
      phase: h.phase ?? 1,
    }));
}

export function covers(h: CompiledHoldout, journey: string | undefined): boolean {
  return h.journey === undefined || h.journey === journey;
}

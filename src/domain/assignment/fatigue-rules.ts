import type { FeatureRule } from '@growthbook/growthbook';
import type { PolicyScope } from '../fatigue/contact-window.js';

/** The fields of a stored fatigue policy the compiler reads. */
export interface FatiguePolicyDefinition {
  key: string;
  journey?: string;
  maxContacts: number;
  windowDays: number;
  active?: boolean;
}

/** The attribute an app passes to a GrowthBook SDK: the keys of the policies the customer is at. */
export const FATIGUE_ATTRIBUTE = 'fatigueCapped';

export function activePolicies(defs: readonly FatiguePolicyDefinition[] = []): PolicyScope[] {
  return defs
    .filter((p) => p.active !== false)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((p) => ({
      key: p.key,
      ...(p.journey ? { journey: p.journey } : {}),
      maxContacts: p.maxContacts,
      windowDays: p.windowDays,
    }));
}

export function policyCovers(p: PolicyScope, journey: string | undefined): boolean {
  return p.journey === undefined || p.journey === journey;
}

/**
 * An SDK evaluating locally cannot count contacts; this rule gives the default to a customer whose
 * app passes the cap state (`fatigueCapped: [<policy key>, ...]`, from `GET /v1/fatigue/:customerId`).
 */
export function fatigueRule(p: PolicyScope): FeatureRule {
  return {
    id: `fatigue:${p.key}`,
    condition: { [FATIGUE_ATTRIBUTE]: { $elemMatch: { $eq: p.key } } },
    force: null,
  } as FeatureRule;
}

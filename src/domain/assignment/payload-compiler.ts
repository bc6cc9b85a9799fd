import { createHash } from 'node:crypto';
import type { FeatureDefinition, FeatureRule } from '@growthbook/growthbook';
import { covariateAttributes } from '../../metrics/covariate.js';
import type {
  CompiledExperiment,
  CompiledPayload,
  CompiledTouchpoint,
  Definitions,
  ExperimentDefinition,
  NudgeDefinition,
  VariantValue,
} from './compiled.types.js';
import { checkCondition } from './condition-check.js';
import { activePolicies, policyCovers } from './fatigue-rules.js';
import {
  covers,
  holdoutFeatureKey,
  holdoutRule,
  membershipFeature,
  runningHoldouts,
} from './holdout-rules.js';

/** GrowthBook hash version 2 (no bias between experiments sharing a seed prefix). */
const HASH_VERSION = 2;

/** Feature key of an experiment that may overlap others: it needs its own feature, as a feature stops at its first matching rule. */
export function overlapFeatureKey(touchpoint: string, experiment: string): string {
  return `${touchpoint}/${experiment}`;
}

/** Server-side feature with only one exclusive experiment's rule, evaluated once its slice is known. */
export function soloFeatureKey(experiment: string): string {
  return `__solo/${experiment}`;
}

export function namespaceId(touchpoint: string): string {
  return `touchpoint:${touchpoint}`;
}

function byStart(a: ExperimentDefinition, b: ExperimentDefinition): number {
  const sa = a.startedAt ?? '';
  const sb = b.startedAt ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function compileExperiment(
  exp: ExperimentDefinition,
  nudge: NudgeDefinition | undefined,
): CompiledExperiment {
  const touchpoint = nudge?.touchpoint ?? exp.touchpoint ?? '';
  const exclusive = !exp.overlap;
  const payloadOf = new Map(nudge?.variants.map((v) => [v.key, v.payload]));
  const covariates = covariateAttributes(exp.metrics ?? []);
  return {
    id: exp.id,
    key: exp.key,
    touchpoint,
    status: exp.status,
    running: exp.status === 'running' && nudge !== undefined,
    phase: exp.phase ?? 0,
    unit: exp.unit ?? 'customerId',
    exclusive,
    featureKey: exclusive ? touchpoint : overlapFeatureKey(touchpoint, exp.key),
    nudgeType: nudge?.type ?? 'unknown',
    variants: exp.variants.map((v) => ({ key: v.key, payload: payloadOf.get(v.key) ?? null })),
    ...(exp.targeting && Object.keys(exp.targeting).length > 0
      ? { condition: safeCondition(exp.targeting) }
      : {}),
    ...(covariates.length > 0 ? { covariates } : {}),
  };
}

/** Matches nobody: `$not` of the empty condition, which matches everybody. */
const NOBODY = { $not: {} };

/**
 * Conditions are checked when an experiment is saved; one stored before that check (or written
 * to the database by hand) that fails it matches nobody rather than run an unsafe pattern.
 */
function safeCondition(condition: Record<string, unknown>): Record<string, unknown> {
  return checkCondition(condition).length === 0 ? condition : NOBODY;
}

function variantValue(
  exp: CompiledExperiment,
  variant: { key: string; payload: unknown },
  qa = false,
): VariantValue {
  return { experiment: exp.key, variant: variant.key, payload: variant.payload, ...(qa ? { qa: true } : {}) };
}

/** QA overrides become force rules placed before the experiment rules, one per forced variant. */
function qaRules(exp: CompiledExperiment, def: ExperimentDefinition): FeatureRule[] {
  const byVariant = new Map<string, string[]>();
  for (const o of def.qaOverrides ?? []) {
    const list = byVariant.get(o.variant) ?? [];
    list.push(o.customerId);
    byVariant.set(o.variant, list);
  }
  const rules: FeatureRule[] = [];
  for (const variant of exp.variants) {
    const ids = byVariant.get(variant.key);
    if (!ids) continue;
    rules.push({
      id: `qa:${exp.key}:${variant.key}`,
      condition: { customerId: { $in: ids } },
      force: variantValue(exp, variant, true),
    });
  }
  return rules;
}

function experimentRule(exp: CompiledExperiment, def: ExperimentDefinition, name: string): FeatureRule {
  return {
    id: `exp:${exp.key}`,
    key: exp.key,
    name,
    // The id, not the key, seeds the hash: an experiment deleted and created again under the same key
    // randomises afresh, while renaming nothing changes anybody's variant.
    seed: exp.id,
    hashAttribute: exp.unit,
    hashVersion: HASH_VERSION,
    phase: String(exp.phase),
    // Sticky bucketing keys assignments by bucket version: a new phase starts without them.
    bucketVersion: exp.phase,
    variations: exp.variants.map((v) => variantValue(exp, v)),
    weights: def.variants.map((v) => v.weight),
    coverage: def.coverage ?? 1,
    meta: exp.variants.map((v) => ({ key: v.key })),
    ...(exp.condition ? { condition: exp.condition } : {}),
    ...(exp.namespace ? { namespace: exp.namespace } : {}),
  } as FeatureRule;
}

/**
 * Compiles definitions into one GrowthBook features payload. One feature per touchpoint holds the
 * running exclusive experiments there, each in its own slice of the touchpoint's namespace so no
 * unit is in two of them; experiments declared compatible (`overlap`) each get a feature
 * `<touchpoint>/<experiment>` without a namespace. Paused exclusive experiments keep their slice,
 * so pausing one does not move the units of the others.
 */
export function compilePayload(defs: Definitions, now = new Date()): CompiledPayload {
  const nudges = new Map(defs.nudges.map((n) => [n.key, n]));
  const touchpoints = new Map<string, CompiledTouchpoint>();
  const holdouts = runningHoldouts(defs.holdouts);
  const policies = activePolicies(defs.fatigue);
  for (const tp of defs.touchpoints) {
    touchpoints.set(tp.key, {
      key: tp.key,
      ...(tp.channel ? { channel: tp.channel } : {}),
      ...(tp.journey ? { journey: tp.journey } : {}),
      experiments: [],
      exclusive: [],
      overlapping: [],
      qa: new Map(),
      holdouts: holdouts.filter((h) => covers(h, tp.journey)),
      fatigue: policies.filter((p) => policyCovers(p, tp.journey)),
    });
  }
  const byTouchpoint = new Map<string, ExperimentDefinition[]>();
  for (const exp of defs.experiments) {
    if (exp.status === 'draft') continue;
    const tp = nudges.get(exp.nudge)?.touchpoint ?? exp.touchpoint;
    if (!tp || !touchpoints.has(tp)) continue;
    const list = byTouchpoint.get(tp) ?? [];
    list.push(exp);
    byTouchpoint.set(tp, list);
  }

  const features: Record<string, FeatureDefinition> = {};
  const solo: Record<string, FeatureDefinition> = {};
  for (const h of holdouts) solo[holdoutFeatureKey(h.key)] = membershipFeature(h);
  for (const tp of touchpoints.values()) {
    const held = tp.holdouts.map(holdoutRule);
    const defsHere = (byTouchpoint.get(tp.key) ?? []).sort(byStart);
    const slotHolders = defsHere.filter(
      (e) => !e.overlap && (e.status === 'running' || e.status === 'paused'),
    );
    const share = slotHolders.length > 0 ? 1 / slotHolders.length : 1;
    const exclusiveRules: FeatureRule[] = [];
    const exclusiveQa: FeatureRule[] = [];
    for (const def of defsHere) {
      const exp = compileExperiment(def, nudges.get(def.nudge));
      const slot = slotHolders.indexOf(def);
      if (exp.exclusive && slot >= 0 && slotHolders.length > 1) {
        const end = slot === slotHolders.length - 1 ? 1 : (slot + 1) * share;
        exp.namespace = [namespaceId(tp.key), slot * share, end];
      }
      tp.experiments.push(exp);
      if (!exp.running) continue;
      if (exp.exclusive) {
        tp.exclusive.push(exp);
        const forced = qaRules(exp, def);
        exclusiveQa.push(...forced);
        // The first force rule holding a customer wins, as in the SDK.
        for (const rule of forced) {
          const ids = (rule.condition as { customerId: { $in: string[] } }).customerId.$in;
          for (const id of ids) if (!tp.qa.has(id)) tp.qa.set(id, rule.force as VariantValue);
        }
        const rule = experimentRule(exp, def, def.name);
        exclusiveRules.push(rule);
        solo[soloFeatureKey(exp.key)] = { defaultValue: null, rules: [rule] };
      } else {
        tp.overlapping.push(exp);
        features[exp.featureKey] = {
          defaultValue: null,
          rules: [...held, ...qaRules(exp, def), experimentRule(exp, def, def.name)],
        };
      }
    }
    tp.experiments.sort((a, b) => Number(b.running) - Number(a.running));
    const holders = tp.experiments.filter((e) => e.namespace);
    const units = new Set(holders.map((e) => e.unit));
    const first = holders[0];
    if (first?.namespace && units.size === 1) {
      tp.slots = {
        unit: first.unit,
        namespace: first.namespace[0],
        holders: holders.map((e) => ({ key: e.key, range: [e.namespace?.[1] ?? 0, e.namespace?.[2] ?? 0] })),
      };
    }
    features[tp.key] = { defaultValue: null, rules: [...held, ...exclusiveQa, ...exclusiveRules] };
  }

  const body = { features };
  const json = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
  return {
    payload: { features, dateUpdated: now.toISOString() },
    evaluationPayload: { features: { ...features, ...solo } },
    touchpoints,
    etag,
    json,
    builtAt: now,
  };
}

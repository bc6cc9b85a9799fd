import { createHash } from 'node:crypto';
import type { FeatureDefinition, FeatureRule } from '@growthbook/growthbook';
import type { CompiledPayload } from './compiled.types.js';
import { fatigueRule } from './fatigue-rules.js';

export interface PayloadScope {
  touchpoints?: readonly string[];
  channels?: readonly string[];
}

export interface SdkPayload {
  json: string;
  etag: string;
}

/**
 * What one client key is served: only the features of the touchpoints (and channels) in its
 * scope, without experiment names and without QA force rules. QA customer ids (often e-mail
 * addresses) never leave the server; QA forcing works through `/v1/assignments` only.
 *
 * Fatigue caps need the contacts counted on the server, which an SDK evaluating locally does not
 * have: each covered feature starts with a rule that gives the default when the app passes the
 * customer's cap state as the `fatigueCapped` attribute (from `GET /v1/fatigue/:customerId`).
 */
export function sdkPayload(compiled: CompiledPayload, scope: PayloadScope = {}): SdkPayload {
  const touchpoints = scope.touchpoints ? new Set(scope.touchpoints) : undefined;
  const channels = scope.channels ? new Set(scope.channels) : undefined;
  const features: Record<string, FeatureDefinition> = {};
  for (const [key, def] of Object.entries(compiled.payload.features ?? {})) {
    const tpKey = key.split('/')[0] ?? key;
    if (touchpoints && !touchpoints.has(tpKey)) continue;
    const channel = compiled.touchpoints.get(tpKey)?.channel;
    if (channels && (!channel || !channels.has(channel))) continue;
    const rules = (def.rules ?? [])
      .filter((rule) => !rule.id?.startsWith('qa:'))
      .map((rule) => {
        const { name: _name, ...rest } = rule as FeatureRule & { name?: string };
        return rest as FeatureRule;
      });
    const capped = (compiled.touchpoints.get(tpKey)?.fatigue ?? []).map(fatigueRule);
    features[key] = { ...def, rules: [...capped, ...rules] };
  }
  const json = JSON.stringify({ features });
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
  return { json, etag };
}

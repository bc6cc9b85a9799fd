import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { FeatureDefinition, FeatureRule } from '@growthbook/growthbook';
import type { CompiledPayload } from './compiled.types.js';
import { fatigueRule } from './fatigue-rules.js';

export interface PayloadScope {
  touchpoints?: readonly string[];
  channels?: readonly string[];
}

/** How one client key's payload is protected, as GrowthBook SDKs expect it (both opt-in). */
export interface PayloadProtection {
  /** Base64 AES-128 key: the payload is served as `encryptedFeatures` for the SDK's `decryptionKey`. */
  decryptionKey?: string;
  /** Attributes whose condition values are served as hex SHA-256(salt + value). */
  secureAttributes?: readonly string[];
  secureAttributeSalt?: string;
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
export function sdkPayload(
  compiled: CompiledPayload,
  scope: PayloadScope = {},
  protection: PayloadProtection = {},
): SdkPayload {
  const secure =
    protection.secureAttributes && protection.secureAttributeSalt !== undefined
      ? { names: new Set(protection.secureAttributes), salt: protection.secureAttributeSalt }
      : undefined;
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
        if (secure && rest.condition)
          rest.condition = hashCondition(rest.condition, secure) as typeof rest.condition;
        return rest as FeatureRule;
      });
    const capped = (compiled.touchpoints.get(tpKey)?.fatigue ?? []).map(fatigueRule);
    features[key] = { ...def, rules: [...capped, ...rules] };
  }
  const json = JSON.stringify(
    protection.decryptionKey
      ? { features: {}, encryptedFeatures: encrypt(JSON.stringify(features), protection.decryptionKey) }
      : { features },
  );
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
  return { json, etag };
}

/** What the GrowthBook SDKs decrypt: `<base64 iv>.<base64 AES-CBC ciphertext>` (PKCS#7 padding). */
export function encrypt(plain: string, base64Key: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(base64Key, 'base64'), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${iv.toString('base64')}.${body.toString('base64')}`;
}

/** How an app hashes a secure attribute before handing it to the SDK, and how conditions are served. */
export function hashSecureValue(salt: string, value: string): string {
  return createHash('sha256')
    .update(salt + value)
    .digest('hex');
}

/**
 * Replaces every string under a secure attribute's condition with its hash (`$in` lists, `$eq`,
 * `$ne`, plain equality), so the served conditions do not name segments or ids in clear. Logical
 * operators are walked into; operators that cannot work on hashes (`$regex`, comparisons) then
 * match nothing rather than leak their pattern.
 */
function hashCondition(cond: unknown, secure: { names: Set<string>; salt: string }): unknown {
  if (Array.isArray(cond)) return cond.map((c) => hashCondition(c, secure));
  if (!cond || typeof cond !== 'object') return cond;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cond)) {
    out[k] = secure.names.has(k)
      ? hashValues(v, secure.salt)
      : k.startsWith('$')
        ? hashCondition(v, secure)
        : v;
  }
  return out;
}

function hashValues(v: unknown, salt: string): unknown {
  if (typeof v === 'string') return hashSecureValue(salt, v);
  if (Array.isArray(v)) return v.map((x) => hashValues(x, salt));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hashValues(x, salt)]));
  }
  return v;
}

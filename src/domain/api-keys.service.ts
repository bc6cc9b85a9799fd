import { hash, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ApiKeyRecord, ApiKeyRepository } from '../db/api-key.repository.js';
import type { AuditService } from './audit.service.js';
import { DomainError } from './errors.js';
import { newId } from './ids.js';
import { type Actor, type Role, roleSchema, systemActor } from './roles.js';
import { channelSchema, keySchema } from './schemas/common.schema.js';

export const apiKeyScopeSchema = z
  .strictObject({
    touchpoints: z.array(keySchema).min(1).max(200).optional().describe('touchpoint keys the key may use'),
    channels: z.array(channelSchema).min(1).optional().describe('channels the key may use'),
  })
  .describe('app keys: limits assignments, events and the SDK payload; absent means every touchpoint');
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;

/** Attributes an SDK may send hashed; never the bucketing ids (the SDK hashes those raw to bucket). */
const secureAttributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
  .refine((a) => a !== 'customerId' && a !== 'accountId', 'a bucketing id cannot be a secure attribute');

export const apiKeySdkSchema = z
  .strictObject({
    encryptFeatures: z
      .boolean()
      .optional()
      .describe(
        'serve the SDK payload as `encryptedFeatures` (AES-128-CBC); the SDK decrypts it with `decryptionKey`',
      ),
    secureAttributes: z
      .array(secureAttributeName)
      .min(1)
      .max(50)
      .optional()
      .describe(
        'attributes whose condition values are served as hex SHA-256 of `secureAttributeSalt` + value; the app passes them hashed the same way',
      ),
  })
  .describe('app keys: how the GrowthBook SDK payload of the client key is protected (opt-in)');
export type ApiKeySdkInput = z.infer<typeof apiKeySdkSchema>;

export const apiKeyInputSchema = z
  .strictObject({
    name: z
      .string()
      .min(2)
      .max(80)
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
    role: roleSchema,
    scope: apiKeyScopeSchema.optional(),
    sdk: apiKeySdkSchema.optional(),
  })
  .refine((k) => !k.scope || k.role === 'app', { path: ['scope'], message: 'only app keys have a scope' })
  .refine((k) => !k.sdk || k.role === 'app', { path: ['sdk'], message: 'only app keys have SDK settings' });
export type ApiKeyInput = z.infer<typeof apiKeyInputSchema>;

/** A stored key as callers see it: its role and scope typed (the store keeps them as strings). */
export type ApiKey = Omit<ApiKeyRecord, 'role' | 'scope'> & { role: Role; scope?: ApiKeyScope };

/** Keys are written only from validated input, so a stored role or scope has these types. */
function asApiKey(record: ApiKeyRecord): ApiKey {
  return record as ApiKey;
}

export function hashKey(secret: string): string {
  // One call, no Hash object: every authenticated request hashes its key for the cache lookup.
  return hash('sha256', secret, 'hex');
}

/** What the service itself issues: `nlk_` and 32 random bytes. */
const GENERATED = /^nlk_[A-Za-z0-9_-]{43}$/;
const BOOTSTRAP_NAME = 'bootstrap-admin';
const FIRST_ADMIN_NAME = 'first-admin';
/** scrypt cost for operator-chosen secrets: about 50 ms and 16 MiB per guess. */
const KDF = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KDF_SALT = 'nudgelab.bootstrap-admin.v1';
const scryptAsync = promisify(scrypt) as (
  secret: string,
  salt: string,
  length: number,
  opts: typeof KDF,
) => Promise<Buffer>;

/**
 * The stored hash of a secret. Generated keys carry 256 random bits, so SHA-256 is enough; any
 * other secret (an operator-chosen BOOTSTRAP_ADMIN_KEY) goes through scrypt, so a leaked hash
 * cannot be tried against guesses quickly.
 */
export async function storedHash(secret: string): Promise<string> {
  if (GENERATED.test(secret)) return hashKey(secret);
  return `scrypt:${(await scryptAsync(secret, KDF_SALT, 32, KDF)).toString('hex')}`;
}

/** Shown in listings to tell keys apart: from the stored hash, never from the secret's characters. */
function fingerprint(stored: string): string {
  return `fp_${hash('sha256', stored, 'hex').slice(0, 10)}`;
}

/** A new secret: 32 random bytes, prefixed so a leaked key is recognisable in logs and scanners. */
function newSecret(): string {
  return `nlk_${randomBytes(32).toString('base64url')}`;
}

/** What the audit log keeps of a key: nothing derived from its secret, client key or SDK keys. */
function auditView(record: ApiKeyRecord): Record<string, unknown> {
  const { prefix: _prefix, clientKey, sdk, ...rest } = record;
  return {
    ...rest,
    ...(clientKey ? { hasClientKey: true } : {}),
    ...(sdk
      ? {
          sdk: {
            encryptFeatures: Boolean(sdk.decryptionKey),
            ...(sdk.secureAttributes ? { secureAttributes: sdk.secureAttributes } : {}),
          },
        }
      : {}),
  };
}

/** A fresh AES-128 key (base64, as GrowthBook SDKs take it) and salt for the settings asked for. */
function sdkSettings(input: ApiKeySdkInput): NonNullable<ApiKeyRecord['sdk']> {
  return {
    ...(input.encryptFeatures ? { decryptionKey: randomBytes(16).toString('base64') } : {}),
    ...(input.secureAttributes
      ? { secureAttributes: input.secureAttributes, secureAttributeSalt: randomBytes(16).toString('hex') }
      : {}),
  };
}

export type BootstrapOutcome = 'created' | 'exists' | 'revoked';

const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * Keys are random, shown once and stored as hashes. Verified keys (and client keys) are cached
 * for 30 s so the assignment path needs no database round trip; a revoked key stops working on
 * this instance at once and on others within 30 s.
 */
export class ApiKeysService {
  private readonly cache = new Map<string, { actor: Actor | null; until: number }>();
  private readonly clientKeys = new Map<string, { key: ApiKeyRecord | null; until: number }>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: ApiKeyInput): Promise<{ key: ApiKey; secret: string }> {
    const secret = newSecret();
    return { key: asApiKey(await this.store(actor, input, secret)), secret };
  }

  /**
   * Makes BOOTSTRAP_ADMIN_KEY the one bootstrap admin key. A secret seen before keeps its key, and
   * if that key was revoked it stays revoked (the start goes on; the caller warns). A new secret
   * gets a new key and every earlier bootstrap key is revoked, so changing the variable rotates it.
   */
  async ensureBootstrapKey(actor: Actor, secret: string): Promise<BootstrapOutcome> {
    const hash = await storedHash(secret);
    const current = await this.repo.findByHash(hash);
    if (current?.revokedAt) return 'revoked';
    let keep = current;
    let outcome: BootstrapOutcome = 'exists';
    if (!current) {
      // A chosen secret stored by an earlier version under plain SHA-256 is stored again under
      // scrypt; the old record is revoked below with the other earlier bootstrap keys.
      const legacy = hash !== hashKey(secret) ? await this.repo.findByHash(hashKey(secret)) : null;
      if (legacy?.revokedAt) return 'revoked';
      const name = (await this.repo.findByName(BOOTSTRAP_NAME))
        ? `${BOOTSTRAP_NAME}-${Date.now()}`
        : BOOTSTRAP_NAME;
      keep = await this.insert(actor, { name, role: 'admin' }, hash);
      outcome = legacy ? 'exists' : 'created';
    }
    for (const other of await this.repo.list()) {
      const isBootstrap = other.name.startsWith(BOOTSTRAP_NAME) && other.createdBy === systemActor.name;
      if (isBootstrap && !other.revokedAt && other.id !== keep?.id) await this.revokeRecord(actor, other);
    }
    return outcome;
  }

  /**
   * On a database without any usable admin key (and no BOOTSTRAP_ADMIN_KEY), the first start makes
   * one and hands its secret back to be shown once; otherwise nobody could call /v1 or sign in.
   */
  async ensureFirstAdminKey(actor: Actor): Promise<{ key: ApiKeyRecord; secret: string } | null> {
    const keys = await this.repo.list();
    if (keys.some((k) => k.role === 'admin' && !k.revokedAt)) return null;
    const taken = new Set(keys.map((k) => k.name));
    const name = taken.has(FIRST_ADMIN_NAME) ? `${FIRST_ADMIN_NAME}-${Date.now()}` : FIRST_ADMIN_NAME;
    return this.create(actor, { name, role: 'admin' });
  }

  private async store(actor: Actor, input: ApiKeyInput, secret: string): Promise<ApiKeyRecord> {
    return this.insert(actor, input, await storedHash(secret));
  }

  private async insert(actor: Actor, input: ApiKeyInput, hash: string): Promise<ApiKeyRecord> {
    const taken = () =>
      new DomainError('conflict', `An API key named "${input.name}" already exists.`, {
        fields: [{ path: 'name', reason: 'already taken' }],
      });
    if (await this.repo.findByName(input.name)) throw taken();
    const record: ApiKeyRecord = {
      id: newId('apiKey'),
      name: input.name,
      role: input.role,
      prefix: fingerprint(hash),
      ...(input.role === 'app' ? { clientKey: `sdk-${randomBytes(12).toString('base64url')}` } : {}),
      ...(input.scope ? { scope: input.scope } : {}),
      ...(input.role === 'app' && input.sdk ? { sdk: sdkSettings(input.sdk) } : {}),
      createdAt: new Date().toISOString(),
      createdBy: actor.name,
    };
    // Another creation of the same name may have got in since the check.
    if (!(await this.repo.insert(record, hash))) throw taken();
    await this.audit.record(actor, 'create', 'api-key', record.name, null, auditView(record));
    return record;
  }

  async list(): Promise<ApiKey[]> {
    return (await this.repo.list()).map(asApiKey);
  }

  async revoke(actor: Actor, name: string): Promise<ApiKey> {
    const key = await this.repo.findByName(name);
    if (!key || key.revokedAt) throw new DomainError('not_found', `No active API key named "${name}".`);
    if (key.id === actor.keyId) throw new DomainError('validation_failed', 'A key cannot revoke itself.');
    const revoked = await this.revokeRecord(actor, key);
    // Another revocation of the same key got in since the read: that one answered and audited it.
    if (!revoked) throw new DomainError('not_found', `No active API key named "${name}".`);
    return asApiKey(revoked);
  }

  /** Revokes and audits the key; null when it was revoked meanwhile (nothing more is done). */
  private async revokeRecord(actor: Actor, key: ApiKeyRecord): Promise<ApiKeyRecord | null> {
    const revoked = await this.repo.revoke(key.id, new Date());
    if (!revoked) return null;
    this.cache.clear();
    this.clientKeys.clear();
    const after = { ...key, revokedAt: new Date().toISOString() };
    await this.audit.record(actor, 'revoke', 'api-key', key.name, auditView(key), auditView(after));
    return after;
  }

  /**
   * The actor behind a secret, or null when it is unknown or revoked. `keyHash` is `hashKey(secret)`
   * when the caller has it already (the request's rate limit hashed the same key).
   */
  async authenticate(secret: string, keyHash?: string): Promise<Actor | null> {
    // The cache is keyed by a fast hash, so a chosen secret pays scrypt once per 30 s, not per request.
    const cacheKey = keyHash ?? hashKey(secret);
    const now = Date.now();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > now) return cached.actor;
    let record: Awaited<ReturnType<ApiKeyRepository['findActiveByHash']>>;
    try {
      record = await this.repo.findActiveByHash(await storedHash(secret));
    } catch (err) {
      // A key verified before the database went away keeps working, so assignments (which need
      // no database) are still answered during an outage; unknown keys still fail.
      if (cached?.actor) return cached.actor;
      throw err;
    }
    const actor: Actor | null = record
      ? {
          keyId: record.id,
          name: record.name,
          role: record.role as Role,
          ...(record.scope ? { scope: record.scope } : {}),
        }
      : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(cacheKey, { actor, until: now + CACHE_MS });
    return actor;
  }

  /** The app key behind a GrowthBook client key, or null; cached like secrets, cleared on revoke. */
  async byClientKey(clientKey: string): Promise<ApiKeyRecord | null> {
    const now = Date.now();
    const cached = this.clientKeys.get(clientKey);
    if (cached && cached.until > now) return cached.key;
    const key = await this.repo.findActiveByClientKey(clientKey);
    if (this.clientKeys.size >= CACHE_MAX) this.clientKeys.clear();
    this.clientKeys.set(clientKey, { key, until: now + CACHE_MS });
    return key;
  }
}

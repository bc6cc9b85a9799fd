import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ApiKeyRecord, ApiKeyRepository } from '../db/api-key.repository.js';
import type { AuditService } from './audit.service.js';
import { DomainError } from './errors.js';
import { newId } from './ids.js';
import { type Actor, type Role, roleSchema } from './roles.js';

export const apiKeyInputSchema = z.strictObject({
  name: z
    .string()
    .min(2)
    .max(80)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
  role: roleSchema,
});
export type ApiKeyInput = z.infer<typeof apiKeyInputSchema>;

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new secret: 32 random bytes, prefixed so a leaked key is recognisable in logs and scanners. */
function newSecret(): string {
  return `nlk_${randomBytes(32).toString('base64url')}`;
}

const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * Keys are random, shown once and stored as SHA-256 hashes (the secrets carry 256 bits, so a slow
 * hash adds nothing). Verified keys are cached for 30 s so the assignment path needs no database
 * round trip; a revoked key stops working on this instance at once and on others within 30 s.
 */
export class ApiKeysService {
  private readonly cache = new Map<string, { actor: Actor | null; until: number }>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: ApiKeyInput): Promise<{ key: ApiKeyRecord; secret: string }> {
    const secret = newSecret();
    return { key: await this.store(actor, input, secret), secret };
  }

  /** Creates the admin key named `bootstrap-admin` from a given secret unless that secret is known. */
  async ensureBootstrapKey(actor: Actor, secret: string): Promise<boolean> {
    if (await this.repo.findActiveByHash(hashKey(secret))) return false;
    const name = (await this.repo.findByName('bootstrap-admin'))
      ? `bootstrap-admin-${Date.now()}`
      : 'bootstrap-admin';
    await this.store(actor, { name, role: 'admin' }, secret);
    return true;
  }

  private async store(actor: Actor, input: ApiKeyInput, secret: string): Promise<ApiKeyRecord> {
    if (await this.repo.findByName(input.name)) {
      throw new DomainError('conflict', `An API key named "${input.name}" already exists.`, {
        fields: [{ path: 'name', reason: 'already taken' }],
      });
    }
    const record: ApiKeyRecord = {
      id: newId('apiKey'),
      name: input.name,
      role: input.role,
      prefix: secret.slice(0, 10),
      ...(input.role === 'app' ? { clientKey: `sdk-${randomBytes(12).toString('base64url')}` } : {}),
      createdAt: new Date().toISOString(),
      createdBy: actor.name,
    };
    await this.repo.insert(record, hashKey(secret));
    await this.audit.record(actor, 'create', 'api-key', record.name, null, record);
    return record;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return this.repo.list();
  }

  async revoke(actor: Actor, name: string): Promise<ApiKeyRecord> {
    const key = await this.repo.findByName(name);
    if (!key || key.revokedAt) throw new DomainError('not_found', `No active API key named "${name}".`);
    if (key.id === actor.keyId) throw new DomainError('validation_failed', 'A key cannot revoke itself.');
    await this.repo.revoke(key.id, new Date());
    this.cache.clear();
    const after = { ...key, revokedAt: new Date().toISOString() };
    await this.audit.record(actor, 'revoke', 'api-key', name, key, after);
    return after;
  }

  /** The actor behind a secret, or null when it is unknown or revoked. */
  async authenticate(secret: string): Promise<Actor | null> {
    const hash = hashKey(secret);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.actor;
    let record: Awaited<ReturnType<ApiKeyRepository['findActiveByHash']>>;
    try {
      record = await this.repo.findActiveByHash(hash);
    } catch (err) {
      // A key verified before the database went away keeps working, so assignments (which need
      // no database) are still answered during an outage; unknown keys still fail.
      if (cached?.actor) return cached.actor;
      throw err;
    }
    const actor = record ? { keyId: record.id, name: record.name, role: record.role as Role } : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { actor, until: now + CACHE_MS });
    return actor;
  }

  /** The app key behind a GrowthBook client key, or null. */
  async byClientKey(clientKey: string): Promise<ApiKeyRecord | null> {
    return this.repo.findActiveByClientKey(clientKey);
  }
}

import type { AuditFilter, AuditPage, AuditRepository } from '../db/audit.repository.js';
import type { Actor } from './roles.js';

export class AuditService {
  constructor(private readonly repo: AuditRepository) {}

  record(
    actor: Actor,
    action: string,
    kind: string,
    key: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    return this.repo.record({
      at: new Date().toISOString(),
      actor: actor.name,
      actorKeyId: actor.keyId,
      source: actor.source ?? 'api',
      action,
      kind,
      key,
      before: before ?? null,
      after: after ?? null,
    });
  }

  list(filter: AuditFilter): Promise<AuditPage> {
    return this.repo.list(filter);
  }
}

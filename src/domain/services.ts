import type { Connection } from 'mongoose';
import { ApiKeyRepository } from '../db/api-key.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { pingDatabase } from '../db/connection.js';
import { DefinitionRepository } from '../db/definition.repository.js';
import type { Logger } from '../logger.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuditService } from './audit.service.js';
import { createJourneysService, type JourneysService } from './journeys.service.js';

export interface ServiceOptions {
  connection: Connection;
  logger: Logger;
}

export interface Services {
  apiKeys: ApiKeysService;
  audit: AuditService;
  journeys: JourneysService;
  /** True when the database answers a ping. */
  databaseReady(): Promise<boolean>;
  /** Creates every index the queries rely on (idempotent). */
  ensureIndexes(): Promise<void>;
}

/** Builds every domain service on one database connection; the one place services are wired. */
export function createServices({ connection }: ServiceOptions): Services {
  const apiKeyRepo = new ApiKeyRepository(connection);
  const auditRepo = new AuditRepository(connection);
  const audit = new AuditService(auditRepo);
  const apiKeys = new ApiKeysService(apiKeyRepo, audit);
  const touchpointRepo = new DefinitionRepository(connection, 'touchpoint');
  const journeys = createJourneysService(connection, audit, (journey) => touchpointRepo.count({ journey }));
  return {
    apiKeys,
    audit,
    journeys,
    databaseReady: () => pingDatabase(connection),
    async ensureIndexes() {
      await Promise.all([
        apiKeyRepo.ensureIndexes(),
        auditRepo.ensureIndexes(),
        journeys.repo.ensureIndexes(),
      ]);
    },
  };
}

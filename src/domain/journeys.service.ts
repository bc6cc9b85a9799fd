import type { Connection } from 'mongoose';
import { DefinitionRepository } from '../db/definition.repository.js';
import type { AuditService } from './audit.service.js';
import { DefinitionsService } from './definitions.service.js';
import { DomainError } from './errors.js';
import { type Journey, journeyInputSchema } from './schemas/journey.schema.js';

export type JourneysService = DefinitionsService<typeof journeyInputSchema, Journey>;

export function createJourneysService(
  connection: Connection,
  audit: AuditService,
  touchpointsUsing: (journeyKey: string) => Promise<number>,
): JourneysService {
  return new DefinitionsService(
    'journey',
    journeyInputSchema,
    new DefinitionRepository<Journey>(connection, 'journey'),
    audit,
    {
      async checkDelete(current) {
        const n = await touchpointsUsing(current.key);
        if (n > 0) throw new DomainError('in_use', `Journey "${current.key}" still has ${n} touchpoint(s).`);
      },
    },
  );
}

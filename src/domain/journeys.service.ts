import type { DefinitionRepository } from '../db/definition.repository.js';
import type { AuditService } from './audit.service.js';
import { DefinitionsService } from './definitions.service.js';
import { DomainError } from './errors.js';
import { type Journey, journeyInputSchema } from './schemas/journey.schema.js';

export type JourneysService = DefinitionsService<typeof journeyInputSchema, Journey>;

export function createJourneysService(
  repo: DefinitionRepository<Journey>,
  audit: AuditService,
  /** Touchpoints on the journey (or on one of its stages). */
  touchpointsUsing: (journeyKey: string, stageKey?: string) => Promise<number>,
): JourneysService {
  return new DefinitionsService('journey', journeyInputSchema, repo, audit, {
    async checkUpdate(current, next) {
      const kept = new Set(next.stages.map((s) => s.key));
      for (const stage of current.stages.filter((s) => !kept.has(s.key))) {
        const n = await touchpointsUsing(current.key, stage.key);
        if (n > 0) {
          throw new DomainError('in_use', `Stage "${stage.key}" still has ${n} touchpoint(s).`, {
            fields: [{ path: 'stages', reason: `stage "${stage.key}" is used by ${n} touchpoint(s)` }],
          });
        }
      }
    },
    async checkDelete(current) {
      const n = await touchpointsUsing(current.key);
      if (n > 0) throw new DomainError('in_use', `Journey "${current.key}" still has ${n} touchpoint(s).`);
    },
  });
}

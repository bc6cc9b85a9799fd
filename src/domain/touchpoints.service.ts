import type { DefinitionRepository } from '../db/definition.repository.js';
import type { AuditService } from './audit.service.js';
import { DefinitionsService } from './definitions.service.js';
import { DomainError, validationError } from './errors.js';
import type { Journey } from './schemas/journey.schema.js';
import type { Nudge } from './schemas/nudge.schema.js';
import { type Touchpoint, touchpointInputSchema } from './schemas/touchpoint.schema.js';

export type TouchpointsService = DefinitionsService<typeof touchpointInputSchema, Touchpoint>;

export interface TouchpointsDeps {
  repo: DefinitionRepository<Touchpoint>;
  journeys: DefinitionRepository<Journey>;
  nudges: DefinitionRepository<Nudge>;
  audit: AuditService;
}

/** Touchpoints sit on a stage of an existing journey; one that nudges still use cannot be deleted. */
export function createTouchpointsService({
  repo,
  journeys,
  nudges,
  audit,
}: TouchpointsDeps): TouchpointsService {
  return new DefinitionsService('touchpoint', touchpointInputSchema, repo, audit, {
    async checkReferences(input) {
      const journey = await journeys.getByKey(input.journey);
      if (!journey) {
        throw validationError(
          [{ path: 'journey', reason: `no journey with key "${input.journey}"` }],
          'The touchpoint refers to a journey that does not exist.',
        );
      }
      if (!journey.stages.some((s) => s.key === input.stage)) {
        throw validationError(
          [
            {
              path: 'stage',
              reason: `journey "${journey.key}" has no stage "${input.stage}" (stages: ${journey.stages.map((s) => s.key).join(', ')})`,
            },
          ],
          'The touchpoint refers to a stage that does not exist.',
        );
      }
    },
    async checkDelete(current) {
      const n = await nudges.count({ touchpoint: current.key });
      if (n > 0) throw new DomainError('in_use', `Touchpoint "${current.key}" still has ${n} nudge(s).`);
    },
  });
}

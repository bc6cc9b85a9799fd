import type { DefinitionRepository } from '../db/definition.repository.js';
import type { AuditService } from './audit.service.js';
import { DefinitionsService } from './definitions.service.js';
import { DomainError, type FieldIssue, validationError } from './errors.js';
import type { Experiment } from './schemas/experiment.schema.js';
import { type Nudge, type NudgeInput, nudgeInputSchema } from './schemas/nudge.schema.js';
import type { Touchpoint } from './schemas/touchpoint.schema.js';

export type NudgesService = DefinitionsService<typeof nudgeInputSchema, Nudge>;

export interface NudgesDeps {
  repo: DefinitionRepository<Nudge>;
  touchpoints: DefinitionRepository<Touchpoint>;
  experiments: DefinitionRepository<Experiment>;
  audit: AuditService;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/**
 * What customers in a live experiment see must not change under them: while an experiment on the
 * nudge is running or paused, its touchpoint, type and variants (keys and payloads) are frozen.
 */
export function liveNudgeChanges(current: Nudge, next: NudgeInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (current.touchpoint !== next.touchpoint) issues.push({ path: 'touchpoint', reason: 'cannot change' });
  if (current.type !== next.type) issues.push({ path: 'type', reason: 'cannot change' });
  if (canonical(current.variants) !== canonical(next.variants)) {
    issues.push({ path: 'variants', reason: 'variant keys and payloads cannot change' });
  }
  return issues;
}

/** Nudges are bound to an existing touchpoint; one that experiments still use cannot be deleted. */
export function createNudgesService({ repo, touchpoints, experiments, audit }: NudgesDeps): NudgesService {
  return new DefinitionsService('nudge', nudgeInputSchema, repo, audit, {
    async checkReferences(input) {
      if (!(await touchpoints.getByKey(input.touchpoint))) {
        throw validationError(
          [{ path: 'touchpoint', reason: `no touchpoint with key "${input.touchpoint}"` }],
          'The nudge refers to a touchpoint that does not exist.',
        );
      }
    },
    async checkUpdate(current, next) {
      const issues = liveNudgeChanges(current, next);
      if (issues.length === 0) return;
      const live = [
        ...(await experiments.list({ nudge: current.key, status: 'running' })),
        ...(await experiments.list({ nudge: current.key, status: 'paused' })),
      ];
      if (live.length > 0) {
        throw new DomainError(
          'experiment_locked',
          `Nudge "${current.key}" is under test in ${live.map((e) => `${e.key} (${e.status})`).join(', ')}.`,
          { fields: issues },
        );
      }
    },
    async checkDelete(current) {
      const n = await experiments.count({ nudge: current.key });
      if (n > 0) throw new DomainError('in_use', `Nudge "${current.key}" is used by ${n} experiment(s).`);
    },
  });
}

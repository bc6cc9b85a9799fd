import { z } from 'zod';
import type { DefinitionRepository } from '../../db/definition.repository.js';
import type { AuditService } from '../audit.service.js';
import { DefinitionsService } from '../definitions.service.js';
import { DomainError, validationError } from '../errors.js';
import type { LifecycleAction } from '../experiments/lifecycle.js';
import type { Actor } from '../roles.js';
import type { Experiment, Metric } from '../schemas/experiment.schema.js';
import { type Holdout, type HoldoutInput, holdoutInputSchema } from '../schemas/holdout.schema.js';
import type { Journey } from '../schemas/journey.schema.js';
import type { Touchpoint } from '../schemas/touchpoint.schema.js';
import { parseOrThrow } from '../validate.js';
import { checkHoldoutUpdate, lifecycleFieldsOf, transitionHoldout } from './holdout-lifecycle.js';

export const holdoutConcludeSchema = z.strictObject({
  conclusion: z.string().min(1).max(2000).optional().describe('what the programme did, in plain words'),
});

export interface HoldoutsDeps {
  repo: DefinitionRepository<Holdout>;
  journeys: DefinitionRepository<Journey>;
  touchpoints: DefinitionRepository<Touchpoint>;
  experiments: DefinitionRepository<Experiment>;
  audit: AuditService;
}

/**
 * The outcomes a journey's experiments measure, once each (by metric key, the first definition
 * wins); the first primary stays primary and later ones become secondary, as a readout has one.
 */
export function journeyMetrics(experiments: readonly Experiment[]): Metric[] {
  const byKey = new Map<string, Metric>();
  let primary = false;
  for (const exp of experiments) {
    for (const m of exp.metrics) {
      if (byKey.has(m.key)) continue;
      const role = m.role === 'primary' && primary ? 'secondary' : m.role;
      if (role === 'primary') primary = true;
      byKey.set(m.key, { ...m, role });
    }
  }
  return [...byKey.values()];
}

/** Holdouts: definitions with a lifecycle, versioned and audited like experiments. */
export class HoldoutsService extends DefinitionsService<typeof holdoutInputSchema, Holdout> {
  constructor(private readonly deps: HoldoutsDeps) {
    super('holdout', holdoutInputSchema, deps.repo, deps.audit, {
      checkReferences: async (input) => {
        if (input.journey && !(await deps.journeys.getByKey(input.journey))) {
          throw validationError([{ path: 'journey', reason: `no journey with key "${input.journey}"` }]);
        }
      },
      checkUpdate: (current, next) => checkHoldoutUpdate(current, next),
      checkDelete: async (current) => {
        if (current.status === 'running' || current.status === 'paused') {
          throw new DomainError(
            'experiment_locked',
            `Holdout "${current.key}" is ${current.status}; stop it before deleting it.`,
          );
        }
      },
      derive: async (input, current) => ({
        metrics: input.metrics ?? (await this.defaultMetrics(input)),
        ...(current ? lifecycleFieldsOf(current) : { status: 'draft' as const, phase: 0 }),
      }),
    });
  }

  private async defaultMetrics(input: HoldoutInput): Promise<Metric[]> {
    const touchpoints = await this.deps.touchpoints.list(input.journey ? { journey: input.journey } : {});
    const keys = new Set(touchpoints.map((t) => t.key));
    const experiments = (await this.deps.experiments.list()).filter((e) => keys.has(e.touchpoint));
    const metrics = journeyMetrics(experiments);
    if (metrics.length === 0) {
      throw validationError(
        [{ path: 'metrics', reason: 'no experiment on the covered touchpoints has metrics; list them' }],
        'The holdout needs metrics to compare.',
      );
    }
    return metrics;
  }

  async transition(
    actor: Actor,
    key: string,
    action: LifecycleAction,
    body: unknown = {},
    expectedVersion?: number,
  ): Promise<Holdout> {
    const input = action === 'conclude' ? parseOrThrow(holdoutConcludeSchema, body ?? {}) : {};
    if (action !== 'conclude') parseOrThrow(z.strictObject({}), body ?? {});
    const current = await this.get(key);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new DomainError('version_conflict', `The holdout is at version ${current.version}.`);
    }
    const next = transitionHoldout(current, action, input, new Date().toISOString());
    return this.write(actor, action, current, next);
  }
}

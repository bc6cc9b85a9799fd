import { z } from 'zod';
import type { DefinitionRepository } from '../db/definition.repository.js';
import type { AuditService } from './audit.service.js';
import { DefinitionsService } from './definitions.service.js';
import { DomainError, validationError } from './errors.js';
import {
  checkDelete,
  checkUpdate,
  conclude,
  type LifecycleAction,
  lifecycleAfterUpdate,
  pause,
  start,
  stop,
} from './experiments/lifecycle.js';
import type { Actor } from './roles.js';
import { keySchema } from './schemas/common.schema.js';
import { type Experiment, type ExperimentInput, experimentInputSchema } from './schemas/experiment.schema.js';
import type { Nudge } from './schemas/nudge.schema.js';
import type { Touchpoint } from './schemas/touchpoint.schema.js';
import { parseOrThrow } from './validate.js';

export const concludeInputSchema = z.strictObject({
  conclusion: z.string().min(1).max(2000).optional().describe('what was learnt, in plain words'),
  shippedVariant: keySchema.optional().describe('the variant everyone gets from now on'),
});
/** start, pause and stop take no body; an empty object is accepted. */
export const emptyInputSchema = z.strictObject({});

export interface ExperimentsDeps {
  repo: DefinitionRepository<Experiment>;
  nudges: DefinitionRepository<Nudge>;
  touchpoints: DefinitionRepository<Touchpoint>;
  audit: AuditService;
}

/**
 * Experiments: a nudge under test. The touchpoint is derived from the nudge and the variant keys
 * must be the nudge's; lifecycle changes follow the pure rules in `experiments/lifecycle.ts` and go
 * through `write`, so they are versioned, audited and announced like any other change.
 */
export class ExperimentsService extends DefinitionsService<typeof experimentInputSchema, Experiment> {
  private readonly nudges: DefinitionRepository<Nudge>;
  private readonly touchpoints: DefinitionRepository<Touchpoint>;

  constructor({ repo, nudges, touchpoints, audit }: ExperimentsDeps) {
    super('experiment', experimentInputSchema, repo, audit, {
      checkReferences: (input) => this.checkNudge(input).then(() => undefined),
      checkUpdate: (current, next) => checkUpdate(current, next),
      checkDelete: async (current) => checkDelete(current),
      derive: async (input, current) => {
        const nudge = await this.checkNudge(input);
        if (!current) return { touchpoint: nudge.touchpoint, status: 'draft', phase: 0 };
        // A stopped or concluded experiment keeps the touchpoint its exposures were made on.
        const touchpoint =
          current.status === 'stopped' || current.status === 'concluded'
            ? current.touchpoint
            : nudge.touchpoint;
        return { touchpoint, ...lifecycleAfterUpdate(current, input) };
      },
    });
    this.nudges = nudges;
    this.touchpoints = touchpoints;
  }

  private async checkNudge(input: ExperimentInput): Promise<Nudge> {
    const nudge = await this.nudges.getByKey(input.nudge);
    if (!nudge) {
      throw validationError(
        [{ path: 'nudge', reason: `no nudge with key "${input.nudge}"` }],
        'The experiment refers to a nudge that does not exist.',
      );
    }
    const nudgeKeys = nudge.variants.map((v) => v.key).sort();
    const keys = input.variants.map((v) => v.key).sort();
    if (nudgeKeys.length !== keys.length || nudgeKeys.some((k, i) => k !== keys[i])) {
      throw validationError(
        [
          {
            path: 'variants',
            reason: `must be the variants of nudge "${nudge.key}": ${nudgeKeys.join(', ')}`,
          },
        ],
        "The experiment's variants are not the nudge's variants.",
      );
    }
    return nudge;
  }

  /** Applies one lifecycle action; `body` is the request body (only `conclude` reads one). */
  async transition(
    actor: Actor,
    key: string,
    action: LifecycleAction,
    body: unknown = {},
    expectedVersion?: number,
  ): Promise<Experiment> {
    const input = parseOrThrow(action === 'conclude' ? concludeInputSchema : emptyInputSchema, body ?? {});
    const current = await this.get(key);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new DomainError('version_conflict', `The experiment is at version ${current.version}.`);
    }
    const now = new Date().toISOString();
    let next: Experiment;
    if (action === 'start') {
      const nudge = await this.nudges.getByKey(current.nudge);
      const touchpointExists = nudge ? (await this.touchpoints.getByKey(nudge.touchpoint)) !== null : false;
      const running = nudge ? await this.repo.list({ touchpoint: nudge.touchpoint, status: 'running' }) : [];
      next = start(
        current,
        {
          nudge: nudge
            ? { key: nudge.key, touchpoint: nudge.touchpoint, variantKeys: nudge.variants.map((v) => v.key) }
            : null,
          touchpointExists,
          running,
        },
        now,
      );
    } else if (action === 'pause') next = pause(current, now);
    else if (action === 'stop') next = stop(current, now);
    else next = conclude(current, input, now);
    const written = await this.write(actor, action, current, next);
    if (action === 'start') await this.undoIfOverlapping(actor, current, written);
    return written;
  }

  /**
   * Two starts on one touchpoint can pass their checks at the same moment (there are no
   * transactions on FerretDB). Each re-reads the running experiments after writing; on a clash
   * it puts its own experiment back as it was, so at worst both starts fail, never both run.
   */
  private async undoIfOverlapping(actor: Actor, before: Experiment, started: Experiment): Promise<void> {
    const running = await this.repo.list({ touchpoint: started.touchpoint, status: 'running' });
    const conflicting = running
      .filter((other) => other.key !== started.key && !(started.overlap && other.overlap))
      .map((other) => other.key);
    if (conflicting.length === 0) return;
    await this.write(actor, 'undo-start', started, before);
    throw new DomainError(
      'overlap_conflict',
      `Experiment "${started.key}" started at the same time as ${conflicting.join(', ')} on touchpoint "${started.touchpoint}"; it was put back to ${before.status}.`,
      { conflicting },
    );
  }
}

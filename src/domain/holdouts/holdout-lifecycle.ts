import { DomainError, type FieldIssue } from '../errors.js';
import { type LifecycleAction, lifecycleActions } from '../experiments/lifecycle.js';
import type { ExperimentStatus } from '../schemas/experiment.schema.js';
import type { Holdout, HoldoutInput } from '../schemas/holdout.schema.js';

/**
 * The holdout lifecycle, the experiments' one: `draft -> running -> paused -> running -> stopped ->
 * concluded`. While running its members get the default everywhere it covers; paused or stopped, they
 * get nudges again (their later outcomes then no longer measure a programme without nudges).
 */
export const holdoutActions = lifecycleActions;

const allowedFrom: Record<LifecycleAction, readonly ExperimentStatus[]> = {
  start: ['draft', 'paused'],
  pause: ['running'],
  stop: ['running', 'paused'],
  conclude: ['stopped'],
};

export interface HoldoutConcludeInput {
  conclusion?: string;
}

export function transitionHoldout(
  h: Holdout,
  action: LifecycleAction,
  input: HoldoutConcludeInput,
  now: string,
): Holdout {
  if (!allowedFrom[action].includes(h.status)) {
    throw new DomainError(
      'invalid_transition',
      `Cannot ${action} holdout "${h.key}": it is ${h.status}; ${action} needs ${allowedFrom[action].join(' or ')}.`,
      { status: h.status, action, allowedFrom: allowedFrom[action] },
    );
  }
  if (action === 'start') {
    const { pausedAt: _paused, ...rest } = h;
    // One phase for the holdout's whole life: a resume keeps counting the same members.
    return { ...rest, status: 'running', phase: Math.max(h.phase, 1), startedAt: h.startedAt ?? now };
  }
  if (action === 'pause') return { ...h, status: 'paused', pausedAt: now };
  if (action === 'stop') {
    const { pausedAt: _paused, ...rest } = h;
    return { ...rest, status: 'stopped', stoppedAt: now };
  }
  return {
    ...h,
    status: 'concluded',
    concludedAt: now,
    ...(input.conclusion !== undefined ? { conclusion: input.conclusion } : {}),
  };
}

/** Who is held out depends on the share, the unit and the coverage: frozen once started. */
export function checkHoldoutUpdate(current: Holdout, next: HoldoutInput): void {
  if (current.status === 'draft') return;
  const issues: FieldIssue[] = [];
  if (next.share !== current.share) issues.push({ path: 'share', reason: 'cannot change once started' });
  if (next.unit !== current.unit) issues.push({ path: 'unit', reason: 'cannot change once started' });
  if ((next.journey ?? null) !== (current.journey ?? null)) {
    issues.push({ path: 'journey', reason: 'cannot change once started' });
  }
  if (issues.length > 0) {
    throw new DomainError('experiment_locked', `Holdout "${current.key}" is ${current.status}.`, {
      fields: issues,
    });
  }
}

export function lifecycleFieldsOf(h: Holdout): Partial<Holdout> {
  return {
    status: h.status,
    phase: h.phase,
    ...(h.startedAt ? { startedAt: h.startedAt } : {}),
    ...(h.pausedAt ? { pausedAt: h.pausedAt } : {}),
    ...(h.stoppedAt ? { stoppedAt: h.stoppedAt } : {}),
    ...(h.concludedAt ? { concludedAt: h.concludedAt } : {}),
    ...(h.conclusion !== undefined ? { conclusion: h.conclusion } : {}),
  };
}

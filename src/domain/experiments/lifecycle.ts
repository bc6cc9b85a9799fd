import { DomainError, type FieldIssue } from '../errors.js';
import type { Experiment, ExperimentInput, ExperimentStatus } from '../schemas/experiment.schema.js';

/**
 * The experiment lifecycle as pure functions: `draft -> running -> paused -> running -> stopped ->
 * concluded`. Nothing here reads the database; the service gathers what a rule needs (the nudge,
 * the other running experiments) and hands it in, so every rule is unit-testable.
 */
export const lifecycleActions = ['start', 'pause', 'stop', 'conclude'] as const;
export type LifecycleAction = (typeof lifecycleActions)[number];

const allowedFrom: Record<LifecycleAction, readonly ExperimentStatus[]> = {
  start: ['draft', 'paused'],
  pause: ['running'],
  stop: ['running', 'paused'],
  conclude: ['stopped'],
};

/** What `start` needs to know about the world outside the experiment. */
export interface StartContext {
  /** The experiment's nudge, or null when it no longer exists. */
  nudge: { key: string; touchpoint: string; variantKeys: readonly string[] } | null;
  touchpointExists: boolean;
  /** Experiments currently running on the nudge's touchpoint (may include this one). */
  running: readonly Pick<Experiment, 'key' | 'overlap'>[];
}

export interface ConcludeInput {
  conclusion?: string;
  shippedVariant?: string;
}

export function canTransition(status: ExperimentStatus, action: LifecycleAction): boolean {
  return allowedFrom[action].includes(status);
}

function assertTransition(exp: Experiment, action: LifecycleAction): void {
  if (!canTransition(exp.status, action)) {
    throw new DomainError(
      'invalid_transition',
      `Cannot ${action} experiment "${exp.key}": it is ${exp.status}; ${action} needs ${allowedFrom[action].join(' or ')}.`,
      { status: exp.status, action, allowedFrom: allowedFrom[action] },
    );
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((k, i) => k === sb[i]);
}

/** True when both list the same variant keys with the same weights (order does not matter). */
export function sameAllocation(
  a: readonly { key: string; weight: number }[],
  b: readonly { key: string; weight: number }[],
): boolean {
  if (a.length !== b.length) return false;
  const weights = new Map(a.map((v) => [v.key, v.weight]));
  return b.every((v) => weights.has(v.key) && Math.abs((weights.get(v.key) ?? 0) - v.weight) < 1e-9);
}

/** Checks the preconditions of a start (or resume) and returns the running experiment. */
export function start(exp: Experiment, ctx: StartContext, now: string): Experiment {
  assertTransition(exp, 'start');
  const missing: FieldIssue[] = [];
  if (!ctx.nudge) missing.push({ path: 'nudge', reason: `nudge "${exp.nudge}" does not exist` });
  else {
    if (!ctx.touchpointExists) {
      missing.push({ path: 'touchpoint', reason: `touchpoint "${ctx.nudge.touchpoint}" does not exist` });
    }
    if (
      !sameKeys(
        ctx.nudge.variantKeys,
        exp.variants.map((v) => v.key),
      )
    ) {
      missing.push({
        path: 'variants',
        reason: `must be the nudge's variants (${ctx.nudge.variantKeys.join(', ')})`,
      });
    }
  }
  if (!exp.metrics.some((m) => m.role === 'primary')) {
    missing.push({ path: 'metrics', reason: 'a primary metric is required to start' });
  }
  if (missing.length > 0) {
    throw new DomainError('precondition_failed', `Experiment "${exp.key}" cannot start yet.`, {
      fields: missing,
    });
  }
  const conflicting = ctx.running
    .filter((other) => other.key !== exp.key)
    .filter((other) => !(exp.overlap && other.overlap))
    .map((other) => other.key);
  if (conflicting.length > 0) {
    throw new DomainError(
      'overlap_conflict',
      `Experiment "${exp.key}" cannot run beside ${conflicting.join(', ')} on touchpoint "${ctx.nudge?.touchpoint}" unless both declare overlap: true.`,
      { conflicting },
    );
  }
  const resuming = exp.status === 'paused';
  const { pausedAt: _paused, newPhaseOnResume: _pending, ...rest } = exp;
  return {
    ...rest,
    touchpoint: ctx.nudge!.touchpoint,
    status: 'running',
    phase: resuming ? exp.phase + (exp.newPhaseOnResume ? 1 : 0) : exp.phase + 1,
    startedAt: exp.startedAt ?? now,
  };
}

export function pause(exp: Experiment, now: string): Experiment {
  assertTransition(exp, 'pause');
  return { ...exp, status: 'paused', pausedAt: now };
}

export function stop(exp: Experiment, now: string): Experiment {
  assertTransition(exp, 'stop');
  const { pausedAt: _paused, newPhaseOnResume: _pending, ...rest } = exp;
  return { ...rest, status: 'stopped', stoppedAt: now };
}

export function conclude(exp: Experiment, input: ConcludeInput, now: string): Experiment {
  assertTransition(exp, 'conclude');
  if (input.shippedVariant !== undefined && !exp.variants.some((v) => v.key === input.shippedVariant)) {
    throw new DomainError('validation_failed', 'The shipped variant must be one of the variants.', {
      fields: [
        { path: 'shippedVariant', reason: `must be one of ${exp.variants.map((v) => v.key).join(', ')}` },
      ],
    });
  }
  return {
    ...exp,
    status: 'concluded',
    concludedAt: now,
    ...(input.conclusion !== undefined ? { conclusion: input.conclusion } : {}),
    ...(input.shippedVariant !== undefined ? { shippedVariant: input.shippedVariant } : {}),
  };
}

/** Fields that decide who gets which variant; frozen while running and after stopping. */
function allocationChanges(current: Experiment, next: ExperimentInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!sameAllocation(current.variants, next.variants)) {
    issues.push({ path: 'variants', reason: 'variants and weights cannot change' });
  }
  if (next.nudge !== current.nudge) issues.push({ path: 'nudge', reason: 'cannot change' });
  if (next.control !== current.control) issues.push({ path: 'control', reason: 'cannot change' });
  if (next.unit !== current.unit) issues.push({ path: 'unit', reason: 'cannot change' });
  return issues;
}

/**
 * What a replace may change, by status: a draft anything; a running experiment not its variants,
 * weights, nudge, control or unit, and its coverage may only grow (customers already in keep their
 * variant); a paused one anything (changing the allocation starts a new phase on resume); a stopped
 * or concluded one not its allocation, which its readout describes.
 */
export function checkUpdate(current: Experiment, next: ExperimentInput): void {
  if (current.status === 'draft' || current.status === 'paused') return;
  const issues = allocationChanges(current, next);
  if (current.status === 'running' && next.coverage < current.coverage) {
    issues.push({ path: 'coverage', reason: `may only grow while running (now ${current.coverage})` });
  }
  if (issues.length > 0) {
    throw new DomainError('experiment_locked', `Experiment "${current.key}" is ${current.status}.`, {
      fields: issues,
    });
  }
}

/** Lifecycle fields a replace carries over from the stored experiment. */
export function lifecycleAfterUpdate(current: Experiment, next: ExperimentInput): Partial<Experiment> {
  const keep: Partial<Experiment> = {
    status: current.status,
    phase: current.phase,
    ...(current.startedAt ? { startedAt: current.startedAt } : {}),
    ...(current.pausedAt ? { pausedAt: current.pausedAt } : {}),
    ...(current.stoppedAt ? { stoppedAt: current.stoppedAt } : {}),
    ...(current.concludedAt ? { concludedAt: current.concludedAt } : {}),
    ...(current.conclusion !== undefined ? { conclusion: current.conclusion } : {}),
    ...(current.shippedVariant ? { shippedVariant: current.shippedVariant } : {}),
  };
  const pending =
    current.newPhaseOnResume || (current.status === 'paused' && allocationChanges(current, next).length > 0);
  if (pending) keep.newPhaseOnResume = true;
  return keep;
}

/** Running and paused experiments hold customers in their variants; deleting them would orphan exposures. */
export function checkDelete(current: Experiment): void {
  if (current.status === 'running' || current.status === 'paused') {
    throw new DomainError(
      'experiment_locked',
      `Experiment "${current.key}" is ${current.status}; stop it before deleting it.`,
    );
  }
}

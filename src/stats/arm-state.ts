/** One arm's posterior for one metric, or why there is none; shared by every statistic. */
import { MIN_MEAN_N, meanPosterior } from './normal-mean.ts';
import type { ArmPosterior } from './posterior.ts';

export type ArmState = { ok: true; posterior: ArmPosterior } | { ok: false; n: number; reason: string };

export const UNSTABLE = 'could not be computed reliably for these numbers';

/** True when JSON.stringify would keep every number (no NaN or Infinity turned into null). */
export function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

export const missing = (n: number, reason: string): ArmState => ({ ok: false, n, reason });

/** Runs one arm's computation; numbers too extreme to tabulate make the arm unusable, not the readout. */
export function guarded(compute: () => ArmState): ArmState {
  try {
    const state = compute();
    if (state.ok && !allFinite([state.posterior.estimate, state.posterior.ci95])) {
      return missing(state.posterior.n, UNSTABLE);
    }
    return state;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return missing(0, UNSTABLE);
  }
}

/** The Student-t posterior of a mean, once there is enough to describe one. */
export function meanArm(n: number, mean: number, variance: number): ArmState {
  if (n === 0) return missing(0, 'no users');
  if (n < MIN_MEAN_N) {
    return missing(n, `fewer than ${MIN_MEAN_N} observations: the mean's posterior is too wide`);
  }
  if (variance === 0) {
    return missing(n, 'zero variance: every observation is the same, so its spread is unknown');
  }
  if (Math.sqrt(variance / n) < 1e-9 * Math.abs(mean)) {
    // Doubles near the mean are too coarse to describe a posterior this narrow.
    return missing(n, 'variance too small relative to the mean to be resolved');
  }
  return { ok: true, posterior: meanPosterior(n, mean, variance) };
}

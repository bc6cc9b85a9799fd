import { DomainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

export const name = 'recompute-readouts';
/** Daily, at a quiet hour: a full recompute reads every exposure and event once. */
export const schedule = '30 4 * * *';

export interface RecomputeReadoutsDeps {
  experiments: { list(filter: { status: string }): Promise<{ key: string }[]> };
  recompute(key: string): Promise<{ exposures: number; durationMs: number }>;
  logger?: Logger;
}

export interface RecomputeReadoutsResult {
  recomputed: string[];
  /** Another instance holds the attribution lease (it runs the job there). */
  busy: string[];
  failed: string[];
}

/**
 * Rebuilds the readout sums of every running experiment from the stored exposures and events.
 * Idempotent: a rerun rebuilds the same sums. The instance holding the attribution lease does
 * the work; the others find it busy and skip.
 */
export async function run(deps: RecomputeReadoutsDeps): Promise<RecomputeReadoutsResult> {
  const result: RecomputeReadoutsResult = { recomputed: [], busy: [], failed: [] };
  for (const exp of await deps.experiments.list({ status: 'running' })) {
    try {
      const r = await deps.recompute(exp.key);
      result.recomputed.push(exp.key);
      deps.logger?.info(
        { experiment: exp.key, exposures: r.exposures, durationMs: r.durationMs },
        'readout sums recomputed',
      );
    } catch (err) {
      if (err instanceof DomainError && err.code === 'attribution_busy') {
        result.busy.push(exp.key);
        continue;
      }
      result.failed.push(exp.key);
      deps.logger?.error({ err, experiment: exp.key }, 'recompute failed');
    }
  }
  return result;
}

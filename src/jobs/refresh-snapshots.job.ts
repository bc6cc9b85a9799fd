import { DomainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { cronMatchesMinute, isValidCron } from './cron-match.js';

export const name = 'refresh-snapshots';
/**
 * The job ticks every minute; each running experiment is refreshed in the minutes its own
 * `refreshSchedule` (or REFRESH_SCHEDULE, hourly by default) fires, so a per-experiment override
 * needs no scheduler of its own.
 */
export const schedule = '* * * * *';

export interface RefreshSnapshotsDeps {
  experiments: {
    list(filter: { status: string }): Promise<{ key: string; refreshSchedule?: string | undefined }[]>;
  };
  refresh: { refresh(key: string, trigger: 'schedule'): Promise<unknown> };
  defaultSchedule: string;
  logger?: Logger;
  /** The minute being run (tests pass one); now by default. */
  now?: Date;
  /** Refresh every running experiment whatever its schedule. */
  all?: boolean;
}

export interface RefreshSnapshotsResult {
  refreshed: string[];
  /** Another instance held the lease. */
  busy: string[];
  failed: string[];
  notDue: string[];
}

/** Idempotent per minute: a second run in the same minute finds the leases or refreshes again harmlessly. */
export async function run(deps: RefreshSnapshotsDeps): Promise<RefreshSnapshotsResult> {
  const now = deps.now ?? new Date();
  const result: RefreshSnapshotsResult = { refreshed: [], busy: [], failed: [], notDue: [] };
  if (!isValidCron(deps.defaultSchedule)) {
    deps.logger?.error({ schedule: deps.defaultSchedule }, 'REFRESH_SCHEDULE is not a valid cron expression');
  }
  const running = await deps.experiments.list({ status: 'running' });
  for (const exp of running) {
    const own = exp.refreshSchedule && isValidCron(exp.refreshSchedule) ? exp.refreshSchedule : undefined;
    if (exp.refreshSchedule && !own) {
      deps.logger?.warn(
        { experiment: exp.key, refreshSchedule: exp.refreshSchedule },
        'invalid refreshSchedule; using the default',
      );
    }
    if (!deps.all && !cronMatchesMinute(own ?? deps.defaultSchedule, now)) {
      result.notDue.push(exp.key);
      continue;
    }
    try {
      await deps.refresh.refresh(exp.key, 'schedule');
      result.refreshed.push(exp.key);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'refresh_in_progress') result.busy.push(exp.key);
      else result.failed.push(exp.key);
    }
  }
  deps.logger?.info({ job: name, ...result, notDue: result.notDue.length }, 'snapshot refresh run');
  return result;
}

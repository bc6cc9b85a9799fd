import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.js';

/** What every job file exports. */
export interface Job<D> {
  name: string;
  schedule: string;
  run(deps: D): Promise<unknown>;
}

export interface RunningJobs {
  names: string[];
  stop(): Promise<void>;
}

/**
 * Schedules each job with node-cron. A job never overlaps itself in one process; across
 * instances, each job guards its own work (the refresh job with per-experiment leases).
 */
export function startJobs(entries: { job: Job<never>; deps: () => unknown }[], logger: Logger): RunningJobs {
  const tasks: ScheduledTask[] = [];
  const inFlight = new Set<Promise<unknown>>();
  for (const { job, deps } of entries) {
    const task = cron.schedule(
      job.schedule,
      async () => {
        const p = (job.run as (d: unknown) => Promise<unknown>)(deps()).catch((err) =>
          logger.error({ err, job: job.name }, 'job failed'),
        );
        inFlight.add(p);
        await p.finally(() => inFlight.delete(p));
      },
      { name: job.name, noOverlap: true },
    );
    tasks.push(task);
  }
  logger.info({ jobs: entries.map((e) => e.job.name) }, 'jobs started');
  return {
    names: entries.map((e) => e.job.name),
    async stop() {
      for (const t of tasks) await t.destroy();
      await Promise.allSettled([...inFlight]);
    },
  };
}

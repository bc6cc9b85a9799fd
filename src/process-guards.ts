import type { Logger } from './logger.js';

export interface GuardedProcess {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
  exit(code: number): never | undefined;
}

/**
 * For a bug that escaped every handler: log it, drain what is buffered through the normal close
 * path (exposures go to the database or the journal), then exit non-zero so a supervisor restarts
 * the process. A second failure while draining exits at once.
 */
export function installCrashHandlers(proc: GuardedProcess, logger: Logger, drain: () => Promise<void>): void {
  let draining = false;
  const crash = (kind: string) => (err: unknown) => {
    logger.fatal({ err, kind }, 'process-level failure; draining and exiting');
    if (draining) {
      proc.exit(1);
      return;
    }
    draining = true;
    drain().then(
      () => proc.exit(1),
      (drainErr: unknown) => {
        logger.error({ err: drainErr }, 'draining after a failure failed');
        proc.exit(1);
      },
    );
  };
  proc.on('uncaughtException', crash('uncaughtException'));
  proc.on('unhandledRejection', crash('unhandledRejection'));
}

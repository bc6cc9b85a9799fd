import type { Logger } from '../../logger.js';
import type { Services } from '../services.js';
import { backfillDefinitionSources, SOURCES_MIGRATION } from './definition-sources.js';
import { formatIssue } from './load-files.js';
import { syncDefinitions } from './sync-definitions.js';

/**
 * On the first start (no journeys, touchpoints, nudges or experiments stored yet) the files in
 * experiments/ are synced, so a fresh clone serves the sample experiments at once. Later starts
 * leave the definitions alone (`npm run sync` is the deliberate way to apply file changes), but
 * for marking, once, the file-managed ones synced before sync recorded their file.
 */
export async function syncOnFirstStart(services: Services, dir: string, logger: Logger): Promise<void> {
  const counts = await Promise.all([
    services.journeys.repo.count({}),
    services.touchpoints.repo.count({}),
    services.nudges.repo.count({}),
    services.experiments.repo.count({}),
  ]);
  if (counts.some((n) => n > 0)) {
    await backfillDefinitionSources(services, dir, logger);
    return;
  }
  const result = await syncDefinitions(services, { dir });
  // Written by this sync, every file-managed definition already carries its file.
  await services.migrations.markDone(SOURCES_MIGRATION);
  if (result.issues.length > 0) {
    logger.error({ dir, issues: result.issues.map(formatIssue) }, 'definitions not loaded on first start');
    return;
  }
  const created = result.changes.filter((c) => c.action === 'create').length;
  const started = result.changes.filter((c) => c.start).length;
  logger.info({ dir, created, started }, 'definitions loaded from files on first start');
}

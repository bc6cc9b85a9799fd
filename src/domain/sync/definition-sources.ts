import path from 'node:path';
import type { Logger } from '../../logger.js';
import type { DefinitionsService } from '../definitions.service.js';
import { systemActor } from '../roles.js';
import type { Services } from '../services.js';
import { fileSections, loadDefinitionFiles } from './load-files.js';
import { syncActor } from './sync-definitions.js';

export const SOURCES_MIGRATION = 'definition-sources';

/** The audit log is read back this many entries a call, to its start, once. */
const AUDIT_PAGE = 1000;

const sections = fileSections;

type Kind = (typeof sections)[number][1];

function servicesByKind(services: Services): Record<Kind, DefinitionsService<never, never>> {
  return {
    journey: services.journeys,
    touchpoint: services.touchpoints,
    nudge: services.nudges,
    experiment: services.experiments,
    holdout: services.holdouts,
    fatigue: services.fatiguePolicies,
    template: services.templates,
  } as unknown as Record<Kind, DefinitionsService<never, never>>;
}

/**
 * Definitions written by sync before sync recorded their file carry no `source`; their audit
 * entries (actor `sync`) say sync wrote them. Once, at start-up: each such definition gets the file
 * in `dir` that declares it today, or the folder itself when no readable file does (the next sync
 * then names the file, or releases it). Definitions sync never wrote stay browser-made.
 * Returns how many definitions were marked.
 */
export async function backfillDefinitionSources(
  services: Services,
  dir: string,
  logger: Logger,
): Promise<number> {
  if (await services.migrations.isDone(SOURCES_MIGRATION)) return 0;
  const byKind = servicesByKind(services);
  const unmarked = new Set<string>();
  for (const [, kind] of sections) {
    for (const d of (await byKind[kind].list()) as { key: string; source?: string }[]) {
      if (!d.source) unmarked.add(`${kind}:${d.key}`);
    }
  }
  let marked = 0;
  if (unmarked.size > 0) {
    // Newest first: a definition whose latest entry by sync is a release is no longer file-managed.
    const written = new Set<string>();
    const seen = new Set<string>();
    let before: string | undefined;
    do {
      const page = await services.audit.list({
        actor: syncActor.name,
        limit: AUDIT_PAGE,
        ...(before ? { before } : {}),
      });
      for (const e of page.items) {
        const id = `${e.kind}:${e.key}`;
        if ((e.source ?? 'sync') !== 'sync' || seen.has(id)) continue;
        seen.add(id);
        if (e.action !== 'released') written.add(id);
      }
      before = page.next ?? undefined;
    } while (before);

    const declaredIn = new Map<string, string>();
    const { files } = await loadDefinitionFiles(dir);
    for (const f of files) {
      for (const [section, kind] of sections) {
        // Items that failed their schema are holes here; their file is not known for certain.
        (f.content[section] ?? []).forEach((item) => {
          declaredIn.set(`${kind}:${item.key}`, f.source);
        });
      }
    }
    const folder = `${path.basename(path.resolve(dir))}/`;
    for (const id of unmarked) {
      if (!written.has(id)) continue;
      const [kind, ...key] = id.split(':') as [Kind, ...string[]];
      await byKind[kind].setSource(systemActor, key.join(':'), declaredIn.get(id) ?? folder);
      marked++;
    }
  }
  await services.migrations.markDone(SOURCES_MIGRATION);
  if (marked > 0) logger.info({ marked }, 'file-managed definitions marked with their file, once');
  return marked;
}

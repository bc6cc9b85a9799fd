import path from 'node:path';
import type { WriteOptions } from '../definitions.service.js';
import { DomainError, type FieldIssue } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { type FileIssue, formatIssue, loadDefinitionFiles } from './load-files.js';
import { type PlannedChange, planSync, type ReleasedDefinition } from './sync-plan.js';

/** Changes made by sync are audited under this actor name. */
export const syncActor: Actor = { keyId: 'sync', name: 'sync', role: 'admin', source: 'sync' };

export interface SyncOptions {
  dir: string;
  dryRun?: boolean;
  actor?: Actor;
  /** Folder that file names in messages are relative to (the working directory by default). */
  displayBase?: string;
}

export interface SyncResult {
  issues: FileIssue[];
  changes: PlannedChange[];
  /** Definitions no file in the folder declares any more: editable in the browser after the sync. */
  released: ReleasedDefinition[];
  /** False for a dry run and whenever any file had an issue. */
  written: boolean;
}

const order = {
  journey: 0,
  touchpoint: 1,
  nudge: 2,
  experiment: 3,
  holdout: 4,
  fatigue: 5,
  template: 6,
} as const;

interface Writable {
  create(actor: Actor, body: unknown, opts: WriteOptions): Promise<unknown>;
  update(actor: Actor, key: string, body: unknown, version: undefined, opts: WriteOptions): Promise<unknown>;
  setSource(actor: Actor, key: string, source: string | null): Promise<unknown>;
}

function serviceOf(services: Services, kind: keyof typeof order): Writable {
  const byKind: Record<keyof typeof order, Writable> = {
    journey: services.journeys,
    touchpoint: services.touchpoints,
    nudge: services.nudges,
    experiment: services.experiments,
    holdout: services.holdouts,
    fatigue: services.fatiguePolicies,
    template: services.templates,
  };
  return byKind[kind];
}

/**
 * Experiments as code: validates every file (schemas, then references across files and the
 * database, then lifecycle rules; an item that fails its schema still has its references
 * checked, so one run reports both), and only when all of it passes creates or replaces the
 * definitions through the services, so each change is audited and announced. Each definition
 * written records its file as its `source` (file-managed); one whose file no longer declares it
 * is released (its source cleared) and otherwise left alone: sync never deletes.
 */
export async function syncDefinitions(services: Services, opts: SyncOptions): Promise<SyncResult> {
  const loaded = await loadDefinitionFiles(opts.dir, opts.displayBase);
  const stored = {
    journey: await services.journeys.list(),
    touchpoint: await services.touchpoints.list(),
    nudge: await services.nudges.list(),
    experiment: await services.experiments.list(),
    holdout: await services.holdouts.list(),
    fatigue: await services.fatiguePolicies.list(),
    template: await services.templates.list(),
  };
  const folder = path.basename(path.resolve(opts.dir));
  const plan = planSync(loaded.files, stored, new Date().toISOString(), {
    folder,
    unchecked: loaded.unchecked,
  });
  const { released } = plan;
  if (loaded.issues.length > 0) {
    // The files' own problems, then what the reference checks found across every item that could be read.
    return { issues: [...loaded.issues, ...plan.issues], changes: [], released: [], written: false };
  }
  const { changes, issues } = plan;
  if (issues.length > 0 || opts.dryRun) return { issues, changes, released, written: false };

  const actor = opts.actor ?? syncActor;
  const sorted = [...changes].sort((a, b) => order[a.kind] - order[b.kind]);
  for (const change of sorted) {
    try {
      const service = serviceOf(services, change.kind);
      const source = { source: change.source };
      if (change.action === 'create') await service.create(actor, change.body, source);
      else if (change.action === 'update')
        await service.update(actor, change.key, change.body, undefined, source);
      else if (change.previousSource !== undefined) await service.setSource(actor, change.key, change.source);
      if (change.start && change.kind === 'holdout') {
        await services.holdouts.transition(actor, change.key, 'start');
      } else if (change.start) await services.experiments.transition(actor, change.key, 'start');
    } catch (err) {
      // Only a concurrent change between planning and writing gets here; report where it stopped.
      if (!(err instanceof DomainError)) throw err;
      const fields = (err.details as { fields?: FieldIssue[] } | undefined)?.fields ?? [];
      const failed = fields.length
        ? fields.map((f) => ({ file: change.file, path: `${change.path}.${f.path}`, reason: f.reason }))
        : [{ file: change.file, path: change.path, reason: `${err.message} (${err.code})` }];
      return { issues: failed, changes, released, written: true };
    }
  }
  for (const r of released) await serviceOf(services, r.kind).setSource(actor, r.key, null);
  return { issues: [], changes, released, written: true };
}

/** The lines `npm run sync` prints. */
export function describeSync(result: SyncResult, dryRun: boolean): string[] {
  if (result.issues.length > 0) {
    return [
      ...result.issues.map(formatIssue),
      result.written
        ? `sync stopped part-way (${result.issues.length} problem(s)); earlier changes were written`
        : `sync refused: ${result.issues.length} problem(s); nothing was written`,
    ];
  }
  const lines = result.changes.map((c) => {
    const what = c.start ? `${c.action} + start` : c.action;
    const fields = c.fields ? `  [${c.fields.join(', ')}]` : '';
    const managed =
      c.previousSource === undefined
        ? []
        : [c.previousSource === null ? 'file-managed from now on' : `moved from ${c.previousSource}`];
    const notes = [...(c.note ? [c.note] : []), ...managed];
    const note = notes.length > 0 ? `  (${notes.join('; ')})` : '';
    return `${what.padEnd(16)} ${c.kind.padEnd(10)} ${c.key.padEnd(40)} ${c.file}${fields}${note}`;
  });
  for (const r of result.released) {
    lines.push(
      `${'released'.padEnd(16)} ${r.kind.padEnd(10)} ${r.key.padEnd(40)} (no file declares it any more; was ${r.source}: now edited in the workspace or the API)`,
    );
  }
  const count = (a: string) => result.changes.filter((c) => c.action === a).length;
  const started = result.changes.filter((c) => c.start).length;
  const [created, updated, unchanged] = [count('create'), count('update'), count('unchanged')];
  const released = result.released.length;
  const releasing = released > 0 ? `, ${released} to release` : '';
  return [
    ...lines,
    dryRun
      ? `dry run: ${created} to create, ${updated} to update, ${unchanged} unchanged, ${started} to start${releasing}; nothing was written`
      : `${created} created, ${updated} updated, ${unchanged} unchanged, ${started} started${released > 0 ? `, ${released} released` : ''}`,
  ];
}

import type { DefinitionKind } from '../../db/models/definition.model.js';
import { DomainError, type FieldIssue } from '../errors.js';
import { checkUpdate, start } from '../experiments/lifecycle.js';
import { checkHoldoutUpdate } from '../holdouts/holdout-lifecycle.js';
import { closest } from '../near-miss.js';
import { liveNudgeChanges } from '../nudges.service.js';
import type { Experiment, ExperimentInput } from '../schemas/experiment.schema.js';
import type { FatiguePolicy, FatiguePolicyInput } from '../schemas/fatigue-policy.schema.js';
import type { Holdout, HoldoutInput } from '../schemas/holdout.schema.js';
import type { Journey, JourneyInput } from '../schemas/journey.schema.js';
import type { Nudge, NudgeInput } from '../schemas/nudge.schema.js';
import type { StoredTemplate, TemplateInput } from '../schemas/template.schema.js';
import type { Touchpoint, TouchpointInput } from '../schemas/touchpoint.schema.js';
import { checkBrokenReferences } from './broken-references.js';
import { type FileIssue, fileSections, type LoadedFile } from './load-files.js';

export type SyncAction = 'create' | 'update' | 'unchanged';

/** The kinds definition files declare. */
export type SyncKind = DefinitionKind;

export interface PlannedChange {
  kind: SyncKind;
  key: string;
  file: string;
  /** Where the definition sits in its file, e.g. `experiments[2]`. */
  path: string;
  action: SyncAction;
  /** The item as written in the file, without `status`: what the service validates and stores. */
  body: Record<string, unknown>;
  /** New experiments declared `status: running` are started right after they are created. */
  start?: boolean;
  /** For updates: the top-level fields that differ from the database. */
  fields?: string[];
  note?: string;
  /** The file as stored on the definition, which it manages from now on. */
  source: string;
  /** Set when the stored definition had another source (null: it was made in the browser or the API). */
  previousSource?: string | null;
}

/** A definition whose file no longer declares it: no longer file-managed after the sync. */
export interface ReleasedDefinition {
  kind: SyncKind;
  key: string;
  /** The file that managed it. */
  source: string;
}

export interface StoredDefinitions {
  journey: Journey[];
  touchpoint: Touchpoint[];
  nudge: Nudge[];
  experiment: Experiment[];
  holdout?: Holdout[];
  fatigue?: FatiguePolicy[];
  template?: StoredTemplate[];
}

const sections = fileSections;

/** Fields the service keeps beside what a file says; left out when comparing a file with the database. */
const storedOnly: Record<SyncKind, readonly string[]> = {
  journey: [],
  touchpoint: [],
  nudge: [],
  experiment: [
    'touchpoint',
    'status',
    'phase',
    'newPhaseOnResume',
    'startedAt',
    'pausedAt',
    'stoppedAt',
    'concludedAt',
    'conclusion',
    'shippedVariant',
  ],
  holdout: ['status', 'phase', 'startedAt', 'pausedAt', 'stoppedAt', 'concludedAt', 'conclusion'],
  fatigue: [],
  template: [],
};
const meta = ['id', 'version', 'createdAt', 'updatedAt', 'source'];

/** JSON with sorted object keys, so two values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Top-level fields where the file and the stored definition differ (empty when they are the same). */
export function changedFields(kind: SyncKind, stored: Record<string, unknown>, input: object): string[] {
  const skip = new Set([...meta, ...storedOnly[kind]]);
  const projected = Object.fromEntries(Object.entries(stored).filter(([k]) => !skip.has(k)));
  const { status: _status, ...rest } = input as Record<string, unknown>;
  const next: Record<string, unknown> = kind === 'experiment' || kind === 'holdout' ? rest : { ...input };
  // A holdout without metrics in its file keeps the metrics derived when it was created.
  if (kind === 'holdout' && next.metrics === undefined) delete projected.metrics;
  const names = new Set([...Object.keys(projected), ...Object.keys(next)]);
  return [...names].filter((k) => canonical(projected[k]) !== canonical(next[k])).sort();
}

interface Located<T> {
  value: T;
  file: string;
  path: string;
}

/**
 * Checks the files against each other and against the database, and works out what a sync would
 * do. Nothing is written here: a sync with any issue writes nothing at all.
 */
export function planSync(
  files: readonly LoadedFile[],
  given: StoredDefinitions,
  now: string,
  opts: {
    /** The synced folder's name: stored sources under it that no file declares any more are released. */
    folder?: string;
    /** `kind:key` declared in files that could not be checked item by item. */
    unchecked?: ReadonlySet<string>;
  } = {},
): { changes: PlannedChange[]; issues: FileIssue[]; released: ReleasedDefinition[] } {
  const { folder } = opts;
  const stored = { holdout: [], fatigue: [], template: [], ...given } as Required<StoredDefinitions>;
  const issues: FileIssue[] = [];
  const changes: PlannedChange[] = [];
  const lineOf = new Map(files.map((f) => [f.file, f.lineOf]));
  // Reference problems point at their line like schema problems, with the likely key when misspelt.
  const issue = (
    at: { file: string; path: string },
    field: string,
    reason: string,
    near?: { wanted: string; known: Iterable<string> },
  ) => {
    const path = field ? `${at.path}.${field}` : at.path;
    const parts = path
      .split(/\.|\[(\d+)\]/)
      .filter((p): p is string => Boolean(p))
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const line = lineOf.get(at.file)?.(parts);
    const guess = near ? closest(near.wanted, near.known) : undefined;
    const text = `${reason}${guess ? `; did you mean "${guess}"?` : ''}${line ? ` (line ${line})` : ''}`;
    issues.push({ file: at.file, path, reason: text });
  };

  const declared = {
    journey: new Map<string, Located<JourneyInput>>(),
    touchpoint: new Map<string, Located<TouchpointInput>>(),
    nudge: new Map<string, Located<NudgeInput>>(),
    experiment: new Map<string, Located<ExperimentInput & { status?: 'draft' | 'running' }>>(),
    holdout: new Map<string, Located<HoldoutInput & { status?: 'draft' | 'running' }>>(),
    fatigue: new Map<string, Located<FatiguePolicyInput>>(),
    template: new Map<string, Located<TemplateInput>>(),
  };
  for (const f of files) {
    for (const [section, kind] of sections) {
      (f.content[section] ?? []).forEach((value, i) => {
        const at = { file: f.file, path: `${section}[${i}]` };
        const seen = declared[kind].get(value.key);
        if (seen) {
          issue(at, 'key', `duplicate ${kind} key "${value.key}" (also in ${seen.file} at ${seen.path})`);
          return;
        }
        (declared[kind] as Map<string, Located<typeof value>>).set(value.key, { value, ...at });
        const current = (stored[kind] as { key: string }[]).find((s) => s.key === value.key);
        const raw = { ...((f.raw[section]?.[i] ?? {}) as Record<string, unknown>) };
        delete raw.status;
        const fields = current
          ? changedFields(kind, current as unknown as Record<string, unknown>, value)
          : [];
        const was = current as { source?: string } | undefined;
        changes.push({
          kind,
          key: value.key,
          ...at,
          body: raw,
          action: !current ? 'create' : fields.length === 0 ? 'unchanged' : 'update',
          ...(fields.length > 0 ? { fields } : {}),
          source: f.source,
          ...(was && was.source !== f.source ? { previousSource: was.source ?? null } : {}),
        });
      });
    }
  }

  // What the database will hold after the sync: stored definitions overlaid by the files.
  const merged = <K extends SyncKind>(kind: K) => {
    const out = new Map<string, { key: string }>();
    for (const s of stored[kind] as { key: string }[]) out.set(s.key, s);
    for (const [key, d] of declared[kind]) out.set(key, d.value);
    return out;
  };
  const journeys = merged('journey') as Map<string, JourneyInput>;
  const touchpoints = merged('touchpoint') as Map<string, TouchpointInput>;
  const nudges = merged('nudge') as Map<string, NudgeInput>;

  // Items that failed their schema: what they declare is not reported missing, and is not what
  // other items are checked against (the file will say something else once fixed).
  const broken = files.flatMap((f) => f.broken);
  const brokenKeys = new Set(opts.unchecked ?? []);
  for (const b of broken) if (typeof b.raw.key === 'string') brokenKeys.add(`${b.kind}:${b.raw.key}`);
  const isBroken = (kind: SyncKind, key: string) => brokenKeys.has(`${kind}:${key}`);

  for (const t of touchpoints.values()) {
    const d = declared.touchpoint.get(t.key);
    const journey = isBroken('journey', t.journey) ? undefined : journeys.get(t.journey);
    if (d && !journey && !isBroken('journey', t.journey)) {
      issue(d, 'journey', `no journey with key "${t.journey}"`, {
        wanted: t.journey,
        known: journeys.keys(),
      });
    } else if (journey && !journey.stages.some((s) => s.key === t.stage)) {
      const j = declared.journey.get(t.journey);
      if (d) issue(d, 'stage', `journey "${t.journey}" has no stage "${t.stage}"`);
      else if (j) issue(j, 'stages', `stage "${t.stage}" is used by touchpoint "${t.key}"`);
    }
  }
  for (const d of declared.nudge.values()) {
    if (!touchpoints.has(d.value.touchpoint) && !isBroken('touchpoint', d.value.touchpoint)) {
      issue(d, 'touchpoint', `no touchpoint with key "${d.value.touchpoint}"`, {
        wanted: d.value.touchpoint,
        known: touchpoints.keys(),
      });
    }
    const current = stored.nudge.find((n) => n.key === d.value.key);
    const live = stored.experiment.filter(
      (e) => e.nudge === d.value.key && (e.status === 'running' || e.status === 'paused'),
    );
    if (current && live.length > 0) {
      for (const f of liveNudgeChanges(current, d.value)) {
        issue(
          d,
          f.path,
          `${f.reason}: under test in ${live.map((e) => `${e.key} (${e.status})`).join(', ')}`,
        );
      }
    }
  }

  for (const d of [...declared.holdout.values(), ...declared.fatigue.values()]) {
    if (d.value.journey && !journeys.has(d.value.journey) && !isBroken('journey', d.value.journey)) {
      issue(d, 'journey', `no journey with key "${d.value.journey}"`, {
        wanted: d.value.journey,
        known: journeys.keys(),
      });
    }
  }
  checkBrokenReferences(broken, { journeys, touchpoints, nudges, isBroken, issue });
  for (const d of declared.holdout.values()) {
    const current = stored.holdout.find((x) => x.key === d.value.key);
    const change = changes.find((c) => c.kind === 'holdout' && c.key === d.value.key);
    if (current) {
      try {
        checkHoldoutUpdate(current, d.value);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const fields = (err.details as { fields?: FieldIssue[] } | undefined)?.fields ?? [];
        for (const f of fields) issue(d, f.path, `${f.reason} (${err.code})`);
      }
    } else if (d.value.status === 'running' && change) {
      change.start = true;
    }
  }

  const startingOn = new Map<string, { key: string; overlap: boolean }[]>();
  for (const d of declared.experiment.values()) {
    const exp = d.value;
    const nudge = nudges.get(exp.nudge);
    if (!nudge || isBroken('nudge', exp.nudge)) {
      if (!nudge && !isBroken('nudge', exp.nudge)) {
        issue(d, 'nudge', `no nudge with key "${exp.nudge}"`, { wanted: exp.nudge, known: nudges.keys() });
      }
      continue;
    }
    const nudgeKeys = nudge.variants.map((v) => v.key).sort();
    const keys = exp.variants.map((v) => v.key).sort();
    if (canonical(nudgeKeys) !== canonical(keys)) {
      issue(d, 'variants', `must be the variants of nudge "${nudge.key}": ${nudgeKeys.join(', ')}`);
      continue;
    }
    const current = stored.experiment.find((e) => e.key === exp.key);
    const change = changes.find((c) => c.kind === 'experiment' && c.key === exp.key);
    const fail = (err: unknown) => {
      if (!(err instanceof DomainError)) throw err;
      const fields = (err.details as { fields?: FieldIssue[] } | undefined)?.fields;
      if (fields?.length) for (const f of fields) issue(d, f.path, `${f.reason} (${err.code})`);
      else issue(d, '', `${err.message} (${err.code})`);
    };
    if (current) {
      try {
        checkUpdate(current, exp);
      } catch (err) {
        fail(err);
      }
      if (exp.status && exp.status !== current.status && change) {
        change.note = `status "${exp.status}" in the file is ignored: the experiment is ${current.status} (lifecycle changes go through the API)`;
      }
      continue;
    }
    if (exp.status !== 'running' || !change) continue;
    const others = startingOn.get(nudge.touchpoint) ?? [];
    const draft = { ...exp, id: 'new', version: 1, createdAt: now, updatedAt: now } as unknown as Experiment;
    try {
      start(
        { ...draft, touchpoint: nudge.touchpoint, status: 'draft', phase: 0 },
        {
          nudge: {
            key: nudge.key,
            touchpoint: nudge.touchpoint,
            variantKeys: nudge.variants.map((v) => v.key),
          },
          touchpointExists: touchpoints.has(nudge.touchpoint),
          running: [
            ...stored.experiment.filter((e) => e.status === 'running' && e.touchpoint === nudge.touchpoint),
            ...others,
          ],
        },
        now,
      );
      change.start = true;
      startingOn.set(nudge.touchpoint, [...others, { key: exp.key, overlap: exp.overlap }]);
    } catch (err) {
      fail(err);
    }
  }
  const released: ReleasedDefinition[] = [];
  if (folder !== undefined) {
    for (const [, kind] of sections) {
      for (const s of stored[kind] as { key: string; source?: string }[]) {
        if (s.source?.startsWith(`${folder}/`) && !declared[kind].has(s.key)) {
          released.push({ kind, key: s.key, source: s.source });
        }
      }
    }
  }
  return { changes, issues, released };
}

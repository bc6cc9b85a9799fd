import type { JourneyInput } from '../schemas/journey.schema.js';
import type { NudgeInput } from '../schemas/nudge.schema.js';
import type { TouchpointInput } from '../schemas/touchpoint.schema.js';
import type { BrokenItem } from './load-files.js';
import type { SyncKind } from './sync-plan.js';

export interface ReferenceContext {
  /** What the database will hold after the sync (stored definitions overlaid by the valid items). */
  journeys: ReadonlyMap<string, JourneyInput>;
  touchpoints: ReadonlyMap<string, TouchpointInput>;
  nudges: ReadonlyMap<string, NudgeInput>;
  /** Declared by an item that failed its schema: not reported missing, not checked against. */
  isBroken(kind: SyncKind, key: string): boolean;
  issue(
    at: { file: string; path: string },
    field: string,
    reason: string,
    near?: { wanted: string; known: Iterable<string> },
  ): void;
}

/**
 * The references of items that failed their schema, checked as far as their fields can be read,
 * so one run reports a misspelt field and a missing nudge together. A field the schema already
 * faulted is not reported again.
 */
export function checkBrokenReferences(items: readonly BrokenItem[], ctx: ReferenceContext): void {
  const { journeys, touchpoints, nudges, isBroken, issue } = ctx;
  for (const b of items) {
    const ref = (field: string) => {
      const v = b.raw[field];
      return !b.faulted.has(field) && typeof v === 'string' && v !== '' ? v : undefined;
    };
    const missing = <T>(field: string, kind: SyncKind, known: ReadonlyMap<string, T>): T | undefined => {
      const key = ref(field);
      if (key === undefined || isBroken(kind, key)) return undefined;
      const found = known.get(key);
      if (!found) issue(b, field, `no ${kind} with key "${key}"`, { wanted: key, known: known.keys() });
      return found;
    };
    if (b.kind === 'touchpoint') {
      const journey = missing('journey', 'journey', journeys);
      const stage = ref('stage');
      if (journey && stage && !journey.stages.some((s) => s.key === stage)) {
        issue(b, 'stage', `journey "${journey.key}" has no stage "${stage}"`);
      }
    } else if (b.kind === 'nudge') {
      missing('touchpoint', 'touchpoint', touchpoints);
    } else if (b.kind === 'experiment') {
      const nudge = missing('nudge', 'nudge', nudges);
      const variants = b.raw.variants;
      const keys = Array.isArray(variants)
        ? variants.map((v) => (v as { key?: unknown } | null)?.key)
        : undefined;
      if (nudge && keys?.every((k) => typeof k === 'string')) {
        const wanted = nudge.variants.map((v) => v.key).sort();
        const given = (keys as string[]).slice().sort();
        if (wanted.join('\n') !== given.join('\n')) {
          issue(b, 'variants', `must be the variants of nudge "${nudge.key}": ${wanted.join(', ')}`);
        }
      }
    } else if (b.kind === 'holdout' || b.kind === 'fatigue') {
      missing('journey', 'journey', journeys);
    }
  }
}

import type { QueuedItem } from '../../db/attribution-queue.repository.js';
import type { Increment, StatsDelta } from '../../db/readout-stats.repository.js';
import { STATS_SHARDS, statsId } from '../../db/readout-stats.repository.js';
import type { UnitEvent, UnitExposure, UnitRecord } from '../../db/unit.repository.js';
import { type AttributableMetric, computeOutcomeState } from '../outcomes/outcome-state.js';
import { mergeAlias, placeExposure } from './unit-merge.js';

/** Events kept per unit (the newest); a unit past it is a bot or a test account, not a customer. */
export const MAX_EVENTS_PER_UNIT = 500;
/** Segment values per attribute and experiment phase that get their own bucket; later ones share one. */
export const MAX_SEGMENT_VALUES = 50;
/** Longest segment value kept (longer values are cut). */
export const MAX_SEGMENT_VALUE_LENGTH = 64;
/** The bucket of segment values that came after the first MAX_SEGMENT_VALUES. */
export const OTHER_BUCKET = '(other)';

export interface ExperimentMetrics {
  metrics: readonly AttributableMetric[];
  /** Fingerprint of the metric definitions, stored beside the sums they built. */
  defs: string;
}

export interface ApplyContext {
  /** Metrics by experiment id; null when the experiment is gone (its exposures add nothing). */
  metricsOf: (experimentId: string) => ExperimentMetrics | null;
  /** Attributes broken down into segments. */
  attributes: readonly string[];
  /** The bucket a segment value goes to (admits new values while there is room). */
  bucket: (experimentId: string, phase: number, attribute: string, value: string) => string;
  /** Counter shard this batch adds to. */
  shard: number;
}

export interface AppliedBatch {
  /** Units whose document changed (to be written whole). */
  units: UnitRecord[];
  stats: StatsDelta[];
}

/** Ids whose unit documents a batch reads first (the units they point to are read next). */
export function idsToRead(items: readonly QueuedItem[]): string[] {
  const ids = new Set<string>();
  for (const it of items) {
    if (it.t === 'l') {
      ids.add(it.a).add(it.c);
      continue;
    }
    ids.add(it.c);
    if (it.t === 'x') ids.add(it.u);
  }
  return [...ids];
}

/** Ids the loaded units point to (their customer, their linked units) that are not loaded yet. */
export function linkedIds(units: ReadonlyMap<string, UnitRecord>): string[] {
  const out = new Set<string>();
  for (const u of units.values()) {
    if (u.r !== undefined && !units.has(u.r)) out.add(u.r);
    for (const l of u.l) if (!units.has(l)) out.add(l);
  }
  return [...out];
}

/** Increments of a batch, summed per counter document and path (a batch touches few of each). */
export class Deltas {
  private readonly byDoc = new Map<string, { delta: StatsDelta; sums: Map<string, Increment> }>();

  constructor(private readonly shard: number) {}

  private doc(e: string, p: number, a: string | undefined, defs: string | undefined) {
    const id = statsId(e, p, this.shard, a);
    let d = this.byDoc.get(id);
    if (!d) {
      d = { delta: { id, e, p, inc: [] }, sums: new Map() };
      if (a !== undefined) d.delta.a = a;
      this.byDoc.set(id, d);
    }
    if (defs !== undefined) d.delta.defs = defs;
    return d;
  }

  private inc(target: { sums: Map<string, Increment> }, path: string[], v: number) {
    const key = path.join('\u0000');
    const found = target.sums.get(key);
    if (found) found.v += v;
    else target.sums.set(key, { p: path, v });
  }

  /** Adds `v` to `n.<key>` (exposed units of a variant) or `s.<key>` (a tally sum), overall and per segment. */
  add(x: Pick<UnitExposure, 'e' | 'p' | 'g'>, scope: 'n' | 's', key: string, v: number, defs?: string) {
    if (v === 0) return;
    this.inc(this.doc(x.e, x.p, undefined, defs), [scope, key], v);
    for (const [a, bucket] of Object.entries(x.g)) {
      this.inc(this.doc(x.e, x.p, a, defs), ['g', bucket, scope, key], v);
    }
  }

  list(): StatsDelta[] {
    return [...this.byDoc.values()].map(({ delta, sums }) => ({
      ...delta,
      inc: [...sums.values()].filter((i) => i.v !== 0),
    }));
  }
}

export function addEvent(unit: UnitRecord, ev: UnitEvent): boolean {
  if (unit.ev.some((e) => e.id === ev.id)) return false;
  unit.ev.push(ev);
  if (unit.ev.length > MAX_EVENTS_PER_UNIT) {
    unit.ev.sort((a, b) => a.o - b.o || (a.id < b.id ? -1 : 1));
    unit.ev.splice(0, unit.ev.length - MAX_EVENTS_PER_UNIT);
  }
  return true;
}

function toUnitEvent(it: QueuedItem & { t: 'e' }): UnitEvent {
  const ev: UnitEvent = { id: it.id, n: it.n, y: it.y, o: it.o };
  if (typeof it.v === 'number') ev.v = it.v;
  return ev;
}

function cloneUnit(u: UnitRecord): UnitRecord {
  const copy: UnitRecord = {
    id: u.id,
    x: u.x.map((x) => ({
      ...x,
      g: { ...x.g },
      c: x.c.map((t) => ({ ...t })),
      ...(x.q ? { q: { ...x.q } } : {}),
      ...(x.k ? { k: [...x.k] } : {}),
    })),
    ev: u.ev.map((e) => ({ ...e })),
    l: [...u.l],
  };
  if (u.r !== undefined) copy.r = u.r;
  if (u.d !== undefined) copy.d = [...u.d];
  return copy;
}

/**
 * The bucket `value` goes to among the values already holding one: its own while fewer than
 * MAX_SEGMENT_VALUES exist, else the shared one. Admits the value into `values` when it gets a bucket.
 */
export function admitBucket(values: Set<string>, value: string): string {
  if (values.has(value)) return value;
  const own = values.size - (values.has(OTHER_BUCKET) ? 1 : 0);
  if (value !== OTHER_BUCKET && own < MAX_SEGMENT_VALUES) {
    values.add(value);
    return value;
  }
  values.add(OTHER_BUCKET);
  return OTHER_BUCKET;
}

/** What one exposure contributes to the sums, from its unit's events: tally `{k, v}` entries. */
export function contributionOf(
  x: Pick<UnitExposure, 'v' | 'o' | 'q'>,
  metrics: readonly AttributableMetric[],
  events: readonly UnitEvent[],
): { k: string; v: number }[] {
  const state = computeOutcomeState(
    { variant: x.v, exposedAt: new Date(x.o), covariates: x.q },
    metrics,
    events.map((e) => ({ id: e.id, name: e.n, type: e.y, value: e.v, occurredAt: new Date(e.o) })),
  );
  const sums = new Map<string, number>();
  for (const t of state.tally) sums.set(t.k, (sums.get(t.k) ?? 0) + t.v);
  return [...sums.entries()].map(([k, v]) => ({ k, v }));
}

export function segmentBuckets(
  attributes: readonly string[],
  attrs: Record<string, string>,
  bucket: (attribute: string, value: string) => string,
): Record<string, string> {
  const g: Record<string, string> = {};
  for (const a of attributes) {
    const raw = attrs[a];
    if (typeof raw !== 'string' || raw === '') continue;
    g[a] = bucket(a, raw.slice(0, MAX_SEGMENT_VALUE_LENGTH));
  }
  return g;
}

/**
 * Applies a batch of queued exposures and events to the units they concern and returns the
 * changed units and the increments to the readout sums. Pure apart from `ctx.bucket`'s admissions:
 * the outcome state of each exposure is recomputed from its unit's events (so order, duplicates
 * and replays do not matter), and the increment is the new state's tally minus what the exposure
 * contributed before. Each exposure counts once, in the bucket its attributes had when first seen.
 */
export function applyBatch(
  items: readonly QueuedItem[],
  loaded: ReadonlyMap<string, UnitRecord>,
  ctx: ApplyContext,
): AppliedBatch {
  const units = new Map<string, UnitRecord>();
  const dirty = new Set<string>();
  const get = (id: string): UnitRecord => {
    let u = units.get(id);
    if (!u) {
      const stored = loaded.get(id);
      u = stored ? cloneUnit(stored) : { id, x: [], ev: [], l: [] };
      units.set(id, u);
    }
    return u;
  };
  /** The unit an id's exposures and events count on: its customer's once it is linked as an alias. */
  const canonical = (id: string): UnitRecord => {
    let u = get(id);
    for (let hops = 0; u.r !== undefined && hops < 4; hops++) u = get(u.r);
    return u;
  };
  const deltas = new Deltas(ctx.shard);
  const defsOf = (e: string) => ctx.metricsOf(e)?.defs;

  for (const it of items) {
    if (it.t !== 'x') continue;
    const unit = canonical(it.u);
    if (unit.x.some((x) => x.id === it.id) || unit.d?.includes(it.id)) continue;
    const x: UnitExposure = { id: it.id, e: it.e, p: it.p, v: it.v, o: it.o, g: {}, c: [] };
    if (it.k) x.q = { ...it.k };
    if (unit.id !== it.u) x.a = it.u;
    x.g = segmentBuckets(ctx.attributes, it.a, (a, value) => ctx.bucket(it.e, it.p, a, value));
    placeExposure(unit, x, false, deltas, defsOf(it.e));
    dirty.add(unit.id);
    const customer = canonical(it.c);
    if (customer.id !== unit.id) {
      if (!customer.l.includes(unit.id)) customer.l.push(unit.id);
      // Events the customer sent before this exposure was attributed count for it too.
      for (const ev of customer.ev) addEvent(unit, { ...ev });
    }
  }

  for (const it of items) {
    if (it.t !== 'l') continue;
    const alias = get(it.a);
    const customer = canonical(it.c);
    // A replay finds the redirect in place; an alias is never merged into itself.
    if (alias.r !== undefined || alias.id === customer.id) continue;
    const touched = mergeAlias(alias, customer, deltas, defsOf, addEvent, get);
    dirty.add(alias.id).add(customer.id);
    for (const u of touched) dirty.add(u.id);
  }

  for (const it of items) {
    if (it.t !== 'e') continue;
    const customer = canonical(it.c);
    const ev = toUnitEvent(it);
    const targets = [customer, ...customer.l.map(get)];
    for (const u of targets) if (addEvent(u, { ...ev })) dirty.add(u.id);
  }

  for (const id of dirty) {
    const unit = units.get(id)!;
    for (const x of unit.x) {
      const m = ctx.metricsOf(x.e);
      const next = new Map((m ? contributionOf(x, m.metrics, unit.ev) : []).map((t) => [t.k, t.v]));
      const before = new Map(x.c.map((t) => [t.k, t.v]));
      const keys = new Set([...next.keys(), ...before.keys()]);
      for (const k of keys) {
        const d = (next.get(k) ?? 0) - (before.get(k) ?? 0);
        deltas.add(x, 's', k, d, m?.defs);
      }
      x.c = [...next.entries()].map(([k, v]) => ({ k, v }));
    }
  }

  const changed = [...units.values()].filter(
    (u) => dirty.has(u.id) || !loaded.has(u.id) || linksChanged(u, loaded.get(u.id)),
  );
  return { units: changed, stats: deltas.list() };
}

function linksChanged(u: UnitRecord, before: UnitRecord | undefined): boolean {
  return !before || before.l.length !== u.l.length;
}

/** The shard a batch with this sequence number adds to. */
export function shardOf(seq: number): number {
  return ((seq % STATS_SHARDS) + STATS_SHARDS) % STATS_SHARDS;
}

import type { EventRepository } from '../../db/event.repository.js';
import type { ExposureRepository } from '../../db/exposure.repository.js';
import type { IdentityRecord } from '../../db/identity.repository.js';
import type { ReadoutStatsRepository, StatsDelta } from '../../db/readout-stats.repository.js';
import type { UnitEvent, UnitExposure, UnitRecord, UnitRepository } from '../../db/unit.repository.js';
import {
  admitBucket,
  contributionOf,
  Deltas,
  type ExperimentMetrics,
  segmentBuckets,
} from './apply-batch.js';
import type { AttributionRunner } from './attributor.js';
import { identityTally, MERGED_KEY, SPLIT_KEY, wins } from './unit-merge.js';

export interface RecomputeDeps {
  exposures: ExposureRepository;
  /** Linked ids by `_id`, so the exposures and events of an alias count on its customer's unit. */
  identities?: { getMany(ids: readonly string[]): Promise<Map<string, IdentityRecord>> };
  events: EventRepository;
  units: UnitRepository;
  stats: ReadoutStatsRepository;
  attributor: AttributionRunner;
  attributes: readonly string[];
}

export interface RecomputeResult {
  exposures: number;
  events: number;
  unitsRewritten: number;
  durationMs: number;
}

interface Exposed {
  id: string;
  /** The unit it counts on (the customer's, for an alias's exposure) and the id it was made under. */
  u: string;
  own: string;
  c: string;
  v: string;
  o: number;
  a: Record<string, string>;
  /** Pre-exposure covariates sent with the assignment (CUPED). */
  q?: Record<string, number>;
  /** Variants of the same unit's other exposures in the phase, dropped in favour of this one. */
  k: string[];
}

const CHUNK = 1000;

/**
 * Rebuilds one experiment phase's readout sums from the stored exposures and events, the ground
 * truth, and rewrites its units' contributions to match, under the attribution lease. Reads both
 * collections whole: a repair and audit tool (and what runs after a metric's definition changed),
 * not a hot path. Memory grows with the phase's exposures and the events of its units.
 */
export async function recomputePhase(
  deps: RecomputeDeps,
  experiment: { id: string; phase: number } & ExperimentMetrics,
): Promise<RecomputeResult> {
  const started = Date.now();
  return deps.attributor.exclusive(async (seq) => {
    const exposed: Exposed[] = [];
    for await (const d of deps.exposures.ofPhase(experiment.id, experiment.phase)) {
      if (d.qa) continue;
      exposed.push({
        id: d._id,
        u: d.unitId,
        own: d.unitId,
        k: [],
        c: d.customerId,
        v: d.variant,
        o: new Date(d.exposedAt).getTime(),
        a: d.attributes ?? {},
        ...(d.covariates && Object.keys(d.covariates).length > 0 ? { q: d.covariates } : {}),
      });
    }
    const canonicalOf = await linkedIdsOf(deps, exposed);
    for (const x of exposed) {
      x.u = canonicalOf(x.own);
      x.c = canonicalOf(x.c);
    }
    const { kept, droppedIds } = onePerUnit(exposed);
    const ids = new Set<string>();
    for (const x of kept) ids.add(x.u).add(x.c);
    const eventsOf = new Map<string, UnitEvent[]>();
    let eventCount = 0;
    for await (const e of deps.events.all()) {
      const owner = canonicalOf(e.customerId);
      if (!ids.has(owner)) continue;
      const ev: UnitEvent = { id: e._id, n: e.name, y: e.type, o: new Date(e.occurredAt).getTime() };
      if (typeof e.value === 'number') ev.v = e.value;
      const list = eventsOf.get(owner);
      if (list) list.push(ev);
      else eventsOf.set(owner, [ev]);
      eventCount++;
    }

    // Every increment into shard 0, summed by the same code as a batch's, buckets admitted in exposure order.
    const deltas = new Deltas(0);
    const admitted = new Map<string, Set<string>>();
    const bucketOf = (a: string, value: string): string => {
      const values = admitted.get(a) ?? new Set<string>();
      admitted.set(a, values);
      return admitBucket(values, value);
    };
    const perExposure = new Map<
      string,
      { g: Record<string, string>; c: { k: string; v: number }[]; ev: UnitEvent[] }
    >();
    for (const x of kept) {
      const own = new Map<string, UnitEvent>();
      for (const id of new Set([x.u, x.c])) for (const e of eventsOf.get(id) ?? []) own.set(e.id, e);
      const ev = [...own.values()];
      const c = contributionOf(x, experiment.metrics, ev);
      const g = segmentBuckets(deps.attributes, x.a, bucketOf);
      const entry = { e: experiment.id, p: experiment.phase, g };
      deltas.add(entry, 'n', x.v, 1, experiment.defs);
      for (const t of c) deltas.add(entry, 's', t.k, t.v, experiment.defs);
      const tally = identityTally(x);
      deltas.add(entry, 's', MERGED_KEY, tally.merged, experiment.defs);
      deltas.add(entry, 's', SPLIT_KEY, tally.split, experiment.defs);
      perExposure.set(x.id, { g, c, ev });
    }
    const docs: StatsDelta[] = deltas.list();

    // Units: add missing exposures and events, and make each exposure's contribution match.
    let rewritten = 0;
    const byUnit = new Map<string, Exposed[]>();
    for (const x of kept) {
      const list = byUnit.get(x.u) ?? [];
      byUnit.set(x.u, list);
      list.push(x);
    }
    const linksOf = new Map<string, Set<string>>();
    for (const x of kept) {
      if (x.c === x.u) continue;
      const set = linksOf.get(x.c) ?? new Set<string>();
      linksOf.set(x.c, set.add(x.u));
    }
    const unitIds = [...new Set([...byUnit.keys(), ...linksOf.keys()])];
    for (let i = 0; i < unitIds.length; i += CHUNK) {
      const chunkIds = unitIds.slice(i, i + CHUNK);
      const stored = await deps.units.getMany(chunkIds);
      const out: UnitRecord[] = [];
      for (const id of chunkIds) {
        const unit: UnitRecord = stored.get(id) ?? { id, x: [], ev: [], l: [] };
        const known = new Set(unit.ev.map((e) => e.id));
        const keep = (e: UnitEvent) => {
          if (known.has(e.id)) return;
          known.add(e.id);
          unit.ev.push(e);
        };
        for (const e of eventsOf.get(id) ?? []) keep(e);
        const here = byUnit.get(id) ?? [];
        // One exposure per unit and phase: the others of this phase leave the unit.
        unit.x = unit.x.filter(
          (k) => k.e !== experiment.id || k.p !== experiment.phase || here.some((x) => x.id === k.id),
        );
        const dropped = here.flatMap((x) => droppedIds.get(x.id) ?? []);
        if (dropped.length > 0) unit.d = [...new Set([...(unit.d ?? []), ...dropped])];
        for (const x of here) {
          const computed = perExposure.get(x.id)!;
          for (const e of computed.ev) keep(e);
          const entry = unit.x.find((k) => k.id === x.id);
          const fresh: UnitExposure = {
            id: x.id,
            e: experiment.id,
            p: experiment.phase,
            v: x.v,
            o: x.o,
            g: computed.g,
            c: computed.c,
          };
          if (x.q) fresh.q = x.q;
          if (x.own !== x.u) fresh.a = x.own;
          if (x.k.length > 0) fresh.k = x.k;
          if (entry) Object.assign(entry, fresh);
          else unit.x.push(fresh);
        }
        for (const u of linksOf.get(id) ?? []) if (!unit.l.includes(u)) unit.l.push(u);
        out.push(unit);
      }
      await deps.units.replaceMany(out);
      rewritten += out.length;
    }
    await deps.stats.replacePhase(experiment.id, experiment.phase, deps.attributes, docs, seq);
    return {
      exposures: exposed.length,
      events: eventCount,
      unitsRewritten: rewritten,
      durationMs: Date.now() - started,
    };
  });
}

/** Maps every id to the unit it counts on: an alias to its customer, any other id to itself. */
async function linkedIdsOf(deps: RecomputeDeps, exposed: readonly Exposed[]) {
  const customerOf = new Map<string, string>();
  if (deps.identities) {
    const ids = [...new Set(exposed.flatMap((x) => [x.own, x.c]))];
    const found = await deps.identities.getMany(ids);
    const customers = new Set<string>();
    for (const r of found.values()) {
      if (r.customerId !== undefined) customerOf.set(r.id, r.customerId);
      customers.add(r.customerId ?? r.id);
    }
    // Every alias of these customers, so events sent under an alias that was never exposed count too.
    for (const r of (await deps.identities.getMany([...customers])).values()) {
      for (const a of r.aliases ?? []) customerOf.set(a, r.id);
    }
  }
  return (id: string) => customerOf.get(id) ?? id;
}

/** One exposure per unit, ordered as the attributor orders them; the others' variants go on the kept one. */
function onePerUnit(exposed: readonly Exposed[]) {
  const byUnit = new Map<string, Exposed[]>();
  for (const x of exposed) {
    const list = byUnit.get(x.u) ?? [];
    byUnit.set(x.u, list);
    list.push(x);
  }
  const kept: Exposed[] = [];
  const droppedIds = new Map<string, string[]>();
  const asUnit = (x: Exposed) => ({ id: x.id, o: x.o, ...(x.own !== x.u ? { a: x.own } : {}) });
  for (const list of byUnit.values()) {
    let best = list[0]!;
    for (const x of list) if (x !== best && wins(asUnit(x), asUnit(best))) best = x;
    const others = list.filter((x) => x !== best);
    best.k = others.map((x) => x.v);
    droppedIds.set(
      best.id,
      others.map((x) => x.id),
    );
    kept.push(best);
  }
  kept.sort((a, b) => a.o - b.o || (a.id < b.id ? -1 : 1));
  return { kept, droppedIds };
}

import type { EventRepository } from '../../db/event.repository.js';
import type { ExposureRepository } from '../../db/exposure.repository.js';
import type { ReadoutStatsRepository, StatsDelta } from '../../db/readout-stats.repository.js';
import type { UnitEvent, UnitRecord, UnitRepository } from '../../db/unit.repository.js';
import {
  admitBucket,
  contributionOf,
  Deltas,
  type ExperimentMetrics,
  segmentBuckets,
} from './apply-batch.js';
import type { Attributor } from './attributor.js';

export interface RecomputeDeps {
  exposures: ExposureRepository;
  events: EventRepository;
  units: UnitRepository;
  stats: ReadoutStatsRepository;
  attributor: Attributor;
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
  u: string;
  c: string;
  v: string;
  o: number;
  a: Record<string, string>;
  k?: Record<string, number>;
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
        c: d.customerId,
        v: d.variant,
        o: new Date(d.exposedAt).getTime(),
        a: d.attributes ?? {},
        ...(d.covariates && Object.keys(d.covariates).length > 0 ? { k: d.covariates } : {}),
      });
    }
    exposed.sort((a, b) => a.o - b.o || (a.id < b.id ? -1 : 1));
    const ids = new Set<string>();
    for (const x of exposed) ids.add(x.u).add(x.c);
    const eventsOf = new Map<string, UnitEvent[]>();
    let eventCount = 0;
    for await (const e of deps.events.all()) {
      if (!ids.has(e.customerId)) continue;
      const ev: UnitEvent = { id: e._id, n: e.name, y: e.type, o: new Date(e.occurredAt).getTime() };
      if (typeof e.value === 'number') ev.v = e.value;
      const list = eventsOf.get(e.customerId);
      if (list) list.push(ev);
      else eventsOf.set(e.customerId, [ev]);
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
    for (const x of exposed) {
      const own = new Map<string, UnitEvent>();
      for (const id of new Set([x.u, x.c])) for (const e of eventsOf.get(id) ?? []) own.set(e.id, e);
      const ev = [...own.values()];
      const c = contributionOf(x, experiment.metrics, ev);
      const g = segmentBuckets(deps.attributes, x.a, bucketOf);
      const entry = { e: experiment.id, p: experiment.phase, g };
      deltas.add(entry, 'n', x.v, 1, experiment.defs);
      for (const t of c) deltas.add(entry, 's', t.k, t.v, experiment.defs);
      perExposure.set(x.id, { g, c, ev });
    }
    const docs: StatsDelta[] = deltas.list();

    // Units: add missing exposures and events, and make each exposure's contribution match.
    let rewritten = 0;
    const byUnit = new Map<string, Exposed[]>();
    for (const x of exposed) {
      const list = byUnit.get(x.u) ?? [];
      byUnit.set(x.u, list);
      list.push(x);
    }
    const linksOf = new Map<string, Set<string>>();
    for (const x of exposed) {
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
        for (const x of byUnit.get(id) ?? []) {
          const computed = perExposure.get(x.id)!;
          for (const e of computed.ev) keep(e);
          const entry = unit.x.find((k) => k.id === x.id);
          if (entry) {
            entry.g = computed.g;
            entry.c = computed.c;
            if (x.k) entry.k = x.k;
          } else {
            unit.x.push({
              id: x.id,
              e: experiment.id,
              p: experiment.phase,
              v: x.v,
              o: x.o,
              g: computed.g,
              c: computed.c,
              ...(x.k ? { k: x.k } : {}),
            });
          }
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

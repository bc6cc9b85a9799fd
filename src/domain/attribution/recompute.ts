import type { EventRepository } from '../../db/event.repository.js';
import type { ExposureRepository } from '../../db/exposure.repository.js';
import type { Increment, ReadoutStatsRepository, StatsDelta } from '../../db/readout-stats.repository.js';
import { statsId } from '../../db/readout-stats.repository.js';
import type { UnitEvent, UnitRecord, UnitRepository } from '../../db/unit.repository.js';
import { type AttributableEvent, computeOutcomeState } from '../outcomes/outcome-state.js';
import {
  type ExperimentMetrics,
  MAX_SEGMENT_VALUE_LENGTH,
  MAX_SEGMENT_VALUES,
  OTHER_BUCKET,
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

    const n: Record<string, number> = {};
    const s = new Map<string, number>();
    const seg = new Map<string, Map<string, { n: Map<string, number>; s: Map<string, number> }>>();
    const admitted = new Map<string, Set<string>>();
    const bucketOf = (a: string, raw: string): string => {
      const value = raw.slice(0, MAX_SEGMENT_VALUE_LENGTH);
      let set = admitted.get(a);
      if (!set) {
        set = new Set();
        admitted.set(a, set);
      }
      if (set.has(value)) return value;
      if (set.size < MAX_SEGMENT_VALUES) {
        set.add(value);
        return value;
      }
      return OTHER_BUCKET;
    };
    const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
    const perExposure = new Map<
      string,
      { g: Record<string, string>; c: { k: string; v: number }[]; ev: UnitEvent[] }
    >();
    for (const x of exposed) {
      const own = new Map<string, UnitEvent>();
      for (const id of new Set([x.u, x.c])) for (const e of eventsOf.get(id) ?? []) own.set(e.id, e);
      const evs = [...own.values()];
      const attributable: AttributableEvent[] = evs.map((e) => ({
        id: e.id,
        name: e.n,
        type: e.y,
        value: e.v,
        occurredAt: new Date(e.o),
      }));
      const state = computeOutcomeState(
        { variant: x.v, exposedAt: new Date(x.o) },
        experiment.metrics,
        attributable,
      );
      const c = new Map<string, number>();
      for (const t of state.tally) add(c, t.k, t.v);
      const g: Record<string, string> = {};
      for (const a of deps.attributes) {
        const raw = x.a[a];
        if (typeof raw === 'string' && raw !== '') g[a] = bucketOf(a, raw);
      }
      n[x.v] = (n[x.v] ?? 0) + 1;
      for (const [k, v] of c) add(s, k, v);
      for (const [a, bucket] of Object.entries(g)) {
        let byValue = seg.get(a);
        if (!byValue) {
          byValue = new Map();
          seg.set(a, byValue);
        }
        let sums = byValue.get(bucket);
        if (!sums) {
          sums = { n: new Map(), s: new Map() };
          byValue.set(bucket, sums);
        }
        add(sums.n, x.v, 1);
        for (const [k, v] of c) add(sums.s, k, v);
      }
      perExposure.set(x.id, { g, c: [...c.entries()].map(([k, v]) => ({ k, v })), ev: evs });
    }

    const docs: StatsDelta[] = [];
    const overall: Increment[] = [];
    for (const [v, count] of Object.entries(n)) overall.push({ p: ['n', v], v: count });
    for (const [k, v] of s) overall.push({ p: ['s', k], v });
    docs.push({
      id: statsId(experiment.id, experiment.phase, 0),
      e: experiment.id,
      p: experiment.phase,
      inc: overall,
      defs: experiment.defs,
    });
    for (const [a, byValue] of seg) {
      const inc: Increment[] = [];
      for (const [bucket, sums] of byValue) {
        for (const [v, count] of sums.n) inc.push({ p: ['g', bucket, 'n', v], v: count });
        for (const [k, v] of sums.s) inc.push({ p: ['g', bucket, 's', k], v });
      }
      docs.push({
        id: statsId(experiment.id, experiment.phase, 0, a),
        e: experiment.id,
        p: experiment.phase,
        a,
        inc,
        defs: experiment.defs,
      });
    }

    // Units: add missing exposures and events, and make each exposure's contribution match.
    let rewritten = 0;
    const byUnit = new Map<string, Exposed[]>();
    for (const x of exposed) byUnit.set(x.u, [...(byUnit.get(x.u) ?? []), x]);
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
        for (const e of eventsOf.get(id) ?? []) if (!known.has(e.id)) unit.ev.push(e);
        for (const x of byUnit.get(id) ?? []) {
          const computed = perExposure.get(x.id)!;
          for (const e of computed.ev) {
            if (!unit.ev.some((k) => k.id === e.id)) unit.ev.push(e);
          }
          const entry = unit.x.find((k) => k.id === x.id);
          if (entry) {
            entry.g = computed.g;
            entry.c = computed.c;
          } else {
            unit.x.push({
              id: x.id,
              e: experiment.id,
              p: experiment.phase,
              v: x.v,
              o: x.o,
              g: computed.g,
              c: computed.c,
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

import type { Collection, Connection, mongo } from 'mongoose';
import { onlyDuplicates } from './duplicate-keys.js';
import { escapeName, unescapeName } from './field-names.js';
import type { UnitRecord } from './unit.repository.js';

/** Number of counter documents per experiment phase (and per segment attribute). */
export const STATS_SHARDS = 4;

/** Per-variant sums of one experiment phase, or of one segment value. */
export interface SumsRecord {
  /** Exposed units per variant. */
  n: Record<string, number>;
  /** Tally sums per `<variant>|<metric>|<stat>` key. */
  s: Record<string, number>;
}

export interface PhaseSums {
  overall: SumsRecord;
  /** attribute -> bucket value -> sums. */
  segments: Map<string, Map<string, SumsRecord>>;
  /** Metric definitions' fingerprint the sums were built with (null when unknown or mixed). */
  defs: string | null;
}

/** One increment: `p` the path as plain names (`['n', variant]`, `['g', value, 's', key]`). */
export interface Increment {
  p: string[];
  v: number;
}

/** The increments of one batch to one counter document. */
export interface StatsDelta {
  id: string;
  e: string;
  p: number;
  /** Segment attribute of a segment document. */
  a?: string;
  inc: Increment[];
  /** Fingerprint of the metric definitions these increments were computed with. */
  defs?: string;
}

interface StatsDoc {
  _id: string;
  e: string;
  p: number;
  a?: string;
  seq: number;
  defs?: string;
  n?: Record<string, number>;
  s?: Record<string, number>;
  g?: Record<string, SumsRecord>;
}

/** A batch of attribution, written whole before any of it is applied. */
export interface BatchRecord {
  seq: number;
  /** Chunk documents holding the units, known once written. */
  chunks?: number;
  units: UnitRecord[];
  stats: StatsDelta[];
  queueIds: string[];
}

interface BatchHeaderDoc {
  _id: string;
  seq: number;
  chunks: number;
  /** The increments and the queue entries, as one JSON string (see BatchChunkDoc). */
  body: string;
  at: Date;
}

/** Units of a batch as one JSON string (written and read whole, see UnitRepository). */
interface BatchChunkDoc {
  _id: string;
  units: string;
}

export function statsId(experimentId: string, phase: number, shard: number, attribute?: string): string {
  return attribute === undefined
    ? `${experimentId}|${phase}|${shard}`
    : `${experimentId}|${phase}|${shard}|${attribute}`;
}

function unescapeRecord(r: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r ?? {})) out[unescapeName(k)] = v;
  return out;
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Characters of unit JSON per chunk document: well under the 16 MB document limit. */
const CHUNK_CHARS = 4_000_000;

/** Statements per counter bulk write. */
const DELTA_CHUNK = 50;

/**
 * One delta as its guarded upsert: the increments and the batch sequence, applied only where the
 * document has seen no later batch (see `applyDeltas`).
 */
function deltaUpdate(delta: StatsDelta, seq: number) {
  const $inc: Record<string, number> = {};
  for (const { p, v } of delta.inc) {
    if (v === 0) continue;
    const key = p.map(escapeName).join('.');
    $inc[key] = ($inc[key] ?? 0) + v;
  }
  const $set: Record<string, unknown> = { e: delta.e, p: delta.p, seq };
  if (delta.a !== undefined) $set.a = delta.a;
  if (delta.defs !== undefined) $set.defs = delta.defs;
  return {
    filter: { _id: delta.id, seq: { $lt: seq } },
    update: Object.keys($inc).length > 0 ? { $inc, $set } : { $set },
    upsert: true,
  };
}

/**
 * The readout's sufficient statistics, kept up to date by the attributor: counter documents per
 * experiment phase, split into STATS_SHARDS shards (each batch adds to one, a refresh sums them),
 * plus one per segment attribute and shard. Each document remembers the last batch applied to
 * it, so a replayed batch is applied once. The collection holds a few documents per experiment.
 *
 * Batch records (`attribution_batches`) are the attributor's redo log: a header, written last,
 * commits a batch whose units are in chunk documents; replaying a committed batch is idempotent.
 */
export class ReadoutStatsRepository {
  readonly stats: Collection<StatsDoc>;
  readonly batches: Collection<BatchHeaderDoc | BatchChunkDoc>;

  constructor(connection: Connection) {
    this.stats = connection.collection<StatsDoc>('readout_stats') as unknown as Collection<StatsDoc>;
    this.batches = connection.collection('attribution_batches') as unknown as Collection<
      BatchHeaderDoc | BatchChunkDoc
    >;
  }

  /** Sums the shards of one experiment phase. Index: `_id`. */
  async read(experimentId: string, phase: number, attributes: readonly string[]): Promise<PhaseSums> {
    const ids: string[] = [];
    for (let k = 0; k < STATS_SHARDS; k++) {
      ids.push(statsId(experimentId, phase, k));
      for (const a of attributes) ids.push(statsId(experimentId, phase, k, a));
    }
    const docs = await this.stats.find({ _id: { $in: ids } } as mongo.Filter<StatsDoc>).toArray();
    const overall: SumsRecord = { n: {}, s: {} };
    const segments = new Map<string, Map<string, SumsRecord>>();
    const defs = new Set<string>();
    for (const d of docs) {
      if (d.defs) defs.add(d.defs);
      if (d.a === undefined) {
        addInto(overall.n, unescapeRecord(d.n));
        addInto(overall.s, unescapeRecord(d.s));
        continue;
      }
      let byValue = segments.get(d.a);
      if (!byValue) {
        byValue = new Map();
        segments.set(d.a, byValue);
      }
      for (const [escaped, sums] of Object.entries(d.g ?? {})) {
        const value = unescapeName(escaped);
        let into = byValue.get(value);
        if (!into) {
          into = { n: {}, s: {} };
          byValue.set(value, into);
        }
        addInto(into.n, unescapeRecord(sums.n));
        addInto(into.s, unescapeRecord(sums.s));
      }
    }
    return { overall, segments, defs: defs.size === 1 ? [...defs][0]! : null };
  }

  /** The segment values already holding a bucket, per attribute, across shards. */
  async bucketValues(experimentId: string, phase: number, attributes: readonly string[]) {
    const { segments } = await this.read(experimentId, phase, attributes);
    const out = new Map<string, Set<string>>();
    for (const a of attributes) out.set(a, new Set(segments.get(a)?.keys() ?? []));
    return out;
  }

  /**
   * Adds one batch's increments to each counter document unless that document has seen this
   * batch or a later one. The guard rides on the `_id` lookup; when the document exists with a
   * newer sequence the upsert's insert collides, which means "already applied". Unordered bulk
   * writes of at most 50 statements (one round trip each, well under any per-command limit); a
   * statement refused as a duplicate is one already applied, any other error throws.
   */
  async applyDeltas(deltas: readonly StatsDelta[], seq: number): Promise<void> {
    for (let i = 0; i < deltas.length; i += DELTA_CHUNK) {
      const ops = deltas.slice(i, i + DELTA_CHUNK).map((d) => ({ updateOne: deltaUpdate(d, seq) }));
      try {
        await this.stats.bulkWrite(ops as never, { ordered: false });
      } catch (err) {
        if (!onlyDuplicates(err)) throw err;
      }
    }
  }

  /** Replaces every counter document of one experiment phase (the full recompute). */
  async replacePhase(
    experimentId: string,
    phase: number,
    attributes: readonly string[],
    docs: readonly StatsDelta[],
    seq: number,
  ): Promise<void> {
    const ids: string[] = [];
    for (let k = 0; k < STATS_SHARDS; k++) {
      ids.push(statsId(experimentId, phase, k));
      for (const a of attributes) ids.push(statsId(experimentId, phase, k, a));
    }
    for (const d of docs) if (!ids.includes(d.id)) ids.push(d.id);
    await this.stats.deleteMany({ _id: { $in: ids } } as mongo.Filter<StatsDoc>);
    await this.applyDeltas(docs, seq);
  }

  /** Writes a batch record: its unit chunks first, then the header that commits it. */
  async writeBatch(batch: BatchRecord): Promise<void> {
    const chunks: BatchChunkDoc[] = [];
    let parts: string[] = [];
    let size = 0;
    const cut = () => {
      if (parts.length === 0) return;
      chunks.push({ _id: `b|${batch.seq}|${chunks.length}`, units: `[${parts.join(',')}]` });
      parts = [];
      size = 0;
    };
    for (const unit of batch.units) {
      const json = JSON.stringify(unit);
      if (size + json.length > CHUNK_CHARS) cut();
      parts.push(json);
      size += json.length;
    }
    cut();
    if (chunks.length > 0) await this.batches.insertMany(chunks as never[], { ordered: false });
    const header: BatchHeaderDoc = {
      _id: `b|${batch.seq}`,
      seq: batch.seq,
      chunks: chunks.length,
      body: JSON.stringify({ stats: batch.stats, queueIds: batch.queueIds }),
      at: new Date(),
    };
    await this.batches.insertOne(header as never);
    batch.chunks = chunks.length;
  }

  /** Committed batches not yet applied, oldest first; chunks of uncommitted batches are removed. */
  async pendingBatches(): Promise<BatchRecord[]> {
    const all = await this.batches.find({}, { projection: { units: 0 } }).toArray();
    const headers = all.filter((d): d is BatchHeaderDoc => 'seq' in d).sort((a, b) => a.seq - b.seq);
    const committed = new Set(headers.map((h) => h.seq));
    const orphans = all
      .filter((d) => !('seq' in d) && !committed.has(Number(d._id.split('|')[1])))
      .map((d) => d._id);
    if (orphans.length > 0) {
      await this.batches.deleteMany({ _id: { $in: orphans } } as never);
    }
    const out: BatchRecord[] = [];
    for (const h of headers) {
      const ids = Array.from({ length: h.chunks }, (_, i) => `b|${h.seq}|${i}`);
      const chunks =
        ids.length > 0
          ? ((await this.batches.find({ _id: { $in: ids } } as never).toArray()) as BatchChunkDoc[])
          : [];
      if (chunks.length !== h.chunks) throw new Error(`attribution batch ${h.seq} is missing unit chunks`);
      chunks.sort((a, b) => Number(a._id.split('|')[2]) - Number(b._id.split('|')[2]));
      const units = chunks.flatMap((c) => JSON.parse(c.units) as UnitRecord[]);
      const body = JSON.parse(h.body) as Pick<BatchRecord, 'stats' | 'queueIds'>;
      out.push({ seq: h.seq, chunks: h.chunks, units, stats: body.stats, queueIds: body.queueIds });
    }
    return out;
  }

  /** Removes an applied batch record (header first, so a crash here leaves only orphan chunks). */
  async removeBatch(batch: Pick<BatchRecord, 'seq' | 'chunks'>): Promise<void> {
    await this.batches.deleteOne({ _id: `b|${batch.seq}` } as never);
    const ids = Array.from({ length: batch.chunks ?? 0 }, (_, i) => `b|${batch.seq}|${i}`);
    if (ids.length > 0) await this.batches.deleteMany({ _id: { $in: ids } } as never);
  }
}

/**
 * Embedded database benchmark: point operations by `_id` on one collection of 100,000 documents
 * (`BENCH_FERRETDB_DOCS`), the shapes the service's hot paths use. It starts its own embedded
 * server on a temporary folder, or measures the server at `BENCH_FERRETDB_URI` (for example an
 * unpatched build, to compare). An operation that gets no answer within 60 s is reported as such
 * and ends the run, since the server is then stuck. Run with `npx tsx scripts/bench-ferretdb.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { connectDatabase } from '../src/db/connection.ts';
import { type EmbeddedDatabase, freePort, startEmbeddedDatabase } from '../src/db/embedded.ts';
import { type BenchResult, runIfMain } from './bench-output.ts';

const DOCS = Number(process.env.BENCH_FERRETDB_DOCS ?? 100_000);
const BATCH = 500;
const STALL_MS = 60_000;
/** Each operation repeats until this many runs or this much time, whichever comes first. */
const MAX_RUNS = 30;
const BUDGET_MS = 8_000;

const idOf = (n: number): string => `doc-${String(n).padStart(7, '0')}`;
const docOf = (n: number) => ({
  _id: idOf(n),
  rev: 0,
  customerId: `cust-${n % 20_000}`,
  variant: ['control', 'a', 'b'][n % 3],
  exposedAt: new Date(1_700_000_000_000 + n * 1000),
  outcome: { converted: false, value: 0 },
});

class Stalled extends Error {}

async function withinStallLimit<T>(op: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Stalled(`no answer in ${STALL_MS / 1000} s`)), STALL_MS);
  });
  try {
    return await Promise.race([op, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** Median milliseconds of one operation, and how many times it ran. */
async function measure(run: (i: number) => Promise<unknown>): Promise<{ ms: number; runs: number }> {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < MAX_RUNS && (i === 0 || performance.now() - started < BUDGET_MS); i++) {
    const t = performance.now();
    await withinStallLimit(run(i));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? Number.NaN, runs: times.length };
}

const pick = (i: number, salt: number): number => (i * 7919 + salt * 104_729) % DOCS;

export async function runFerretDbBench(): Promise<BenchResult> {
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let uri = process.env.BENCH_FERRETDB_URI;
  if (!uri) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'nudgelab-bench-ferretdb-'));
    const port = await freePort();
    embedded = await startEmbeddedDatabase({ dataDir, port });
    uri = `mongodb://127.0.0.1:${port}`;
  }
  const url = new URL(uri);
  url.pathname = '/bench_ferretdb';
  const connection: Connection = await connectDatabase(url.toString());
  const rows: Record<string, string | number>[] = [];
  const row = (operation: string, r: { ms: number; runs: number } | string) =>
    rows.push(
      typeof r === 'string'
        ? { operation, 'median ms': r, runs: 0 }
        : { operation, 'median ms': r.ms.toFixed(1), runs: r.runs },
    );
  try {
    const db = connection.db!;
    await db.dropDatabase();
    const coll = db.collection<ReturnType<typeof docOf>>('docs');
    const loadStarted = performance.now();
    for (let from = 0; from < DOCS; from += 1000) {
      await coll.insertMany(Array.from({ length: Math.min(1000, DOCS - from) }, (_, i) => docOf(from + i)));
    }
    row(`load ${DOCS} documents (insertMany of 1,000)`, {
      ms: performance.now() - loadStarted,
      runs: 1,
    });

    const ops: [string, (i: number) => Promise<unknown>][] = [
      ['findOne({_id})', (i) => coll.findOne({ _id: idOf(pick(i, 1)) })],
      ['findOne({_id, rev: 0})', (i) => coll.findOne({ _id: idOf(pick(i, 2)), rev: 0 })],
      [
        `find({_id: {$in: [${BATCH} ids]}})`,
        (i) =>
          coll
            .find({ _id: { $in: Array.from({ length: BATCH }, (_, k) => idOf(pick(i * BATCH + k, 3))) } })
            .toArray(),
      ],
      [
        'updateOne({_id}, {$inc})',
        (i) => coll.updateOne({ _id: idOf(pick(i, 4)) }, { $inc: { 'outcome.value': 1 } }),
      ],
      [
        // Each run picks a document no other run touches, so its revision is still 0.
        'updateOne({_id, rev: 0}, {$set: {rev: 1}})',
        async (i) => {
          const res = await coll.updateOne({ _id: idOf(pick(i, 5)), rev: 0 }, { $set: { rev: 1 } });
          if (res.modifiedCount !== 1) throw new Error('revision guard did not match');
        },
      ],
      [
        `insertMany of ${BATCH} new`,
        (i) => coll.insertMany(Array.from({ length: BATCH }, (_, k) => docOf(DOCS + i * BATCH + k))),
      ],
      [
        `deleteMany({_id: {$in: [${BATCH} ids]}}) of those`,
        (i) =>
          coll.deleteMany({
            _id: { $in: Array.from({ length: BATCH }, (_, k) => idOf(DOCS + i * BATCH + k)) },
          }),
      ],
      [
        `bulkWrite of ${BATCH} updateOne({_id})`,
        (i) =>
          coll.bulkWrite(
            Array.from({ length: BATCH }, (_, k) => ({
              updateOne: {
                filter: { _id: idOf(pick(i * BATCH + k, 6)) },
                update: { $inc: { 'outcome.value': 1 } },
              },
            })),
          ),
      ],
    ];
    for (const [name, run] of ops) {
      try {
        row(name, await measure(run));
      } catch (err) {
        if (!(err instanceof Stalled)) throw err;
        row(name, err.message);
        break;
      }
    }
  } finally {
    await connection.close(true).catch(() => undefined);
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    title: `Embedded database, one collection of ${DOCS.toLocaleString('en')} documents (${os.cpus().length} cores)`,
    rows,
  };
}

runIfMain(import.meta.url, runFerretDbBench);

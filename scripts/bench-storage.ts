/**
 * Storage benchmark: the CPU each step of storing and attributing new customers' exposures takes,
 * in the embedded database's process and in this one, per exposure. Exposures of three running
 * experiments arrive in batches of 300 (the exposure writer's flush at about 1,200 assignments a
 * second) and are queued and inserted as `saveExposures` does; every four batches the attributor
 * works the queue (its steps timed through its fault hook). Each exposure layout (EXPOSURE_LAYOUT)
 * runs `BENCH_STORAGE_ROUNDS` times (default 3), alternating, each on `BENCH_STORAGE_EXPOSURES`
 * new customers (default 12,000) after one unmeasured warm-up round. Linux only (reads
 * /proc/<pid>/stat). Run with `npx tsx scripts/bench-storage.ts`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase } from '../src/db/connection.ts';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.ts';
import { type ExposureDoc, type ExposureLayout, ExposureRepository } from '../src/db/exposure.repository.ts';
import { exposureId } from '../src/db/models/exposure.model.ts';
import { queuedExposure } from '../src/domain/attribution/queue-items.ts';
import type { Experiment } from '../src/domain/schemas/experiment.schema.ts';
import { attributionStores, attributorOn } from '../src/threads/attributor-setup.ts';
import { insertExperiment } from '../test/helpers/readout-fixtures.ts';
import { type BenchResult, runIfMain } from './bench-output.ts';

const EXPOSURES = Number(process.env.BENCH_STORAGE_EXPOSURES ?? 12_000);
const ROUNDS = Number(process.env.BENCH_STORAGE_ROUNDS ?? 3);
const BATCH = 300;
const ATTRIBUTE_EVERY = 4;
const STEPS = [
  'queue entry',
  'exposures inserted',
  'queue and units read, batch computed',
  'batch record',
  'units written',
  'counters',
  'queue entries removed',
  'batch record removed',
] as const;
const FAULT_STEPS: Record<string, (typeof STEPS)[number]> = {
  loaded: 'queue and units read, batch computed',
  committed: 'batch record',
  units: 'units written',
  stats: 'counters',
  queue: 'queue entries removed',
};

const clockTick = 1000 / 100;
function processCpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * clockTick;
}
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function exposureOf(exp: Experiment, customerId: string, n: number): ExposureDoc {
  return {
    _id: exposureId(exp.id, 1, customerId),
    experiment: exp.key,
    experimentId: exp.id,
    phase: 1,
    variant: n % 2 ? 'control' : 'treatment',
    unit: 'customerId',
    unitId: customerId,
    customerId,
    touchpoint: 'checkout.basket',
    channel: 'web',
    exposedAt: new Date(),
    attributes: { segment: ['new', 'returning', 'gold'][n % 3] as string, channel: 'web', country: 'FR' },
    qa: false,
  };
}

export async function runStorageBench(): Promise<BenchResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'nudgelab-bench-storage-'));
  const db = await startEmbeddedDatabase({ dataDir, port: await freePort() });
  const pid = db.process.pid as number;
  const connection = await connectDatabase(`${db.uri}benchstorage`);
  try {
    const stores = attributionStores(connection);
    const exps: Experiment[] = [];
    for (const i of [0, 1, 2]) {
      exps.push(await insertExperiment(connection, `bench${i}`, { touchpoint: 'checkout.basket' }));
    }
    const totals = new Map<string, { db: number; own: number; rounds: number }>();
    let mark = { db: 0, own: 0 };
    let tally: Record<string, { db: number; own: number }> = {};
    const take = (step: string) => {
      const now = { db: processCpuMs(pid), own: ownCpuMs() };
      const t = tally[step] ?? { db: 0, own: 0 };
      tally[step] = t;
      t.db += now.db - mark.db;
      t.own += now.own - mark.own;
      mark = now;
    };
    const attributor = attributorOn(stores, { attributes: ['segment', 'channel', 'country'], gatherMs: 0 });
    (attributor as unknown as { deps: { fault: (s: string) => void } }).deps.fault = (s) =>
      take(FAULT_STEPS[s] ?? s);
    const layouts: ExposureLayout[] = ['packed', 'fields'];
    const plan: (ExposureLayout | 'warm-up')[] = ['warm-up'];
    for (let r = 0; r < ROUNDS; r++) plan.push(...layouts);
    let round = 0;
    for (const layout of plan) {
      const repo = new ExposureRepository(connection, layout === 'warm-up' ? 'packed' : layout);
      tally = {};
      for (let i = 0; i < EXPOSURES; i += BATCH) {
        const docs = Array.from({ length: BATCH }, (_, j) =>
          exposureOf(exps[(i + j) % 3] as Experiment, `r${round}-c${i + j}`, i + j),
        );
        mark = { db: processCpuMs(pid), own: ownCpuMs() };
        await stores.queue.add(
          docs.flatMap((d) => queuedExposure(d) ?? []),
          true,
        );
        take('queue entry');
        await repo.insertIgnoringDuplicates(docs);
        take('exposures inserted');
        if ((i / BATCH) % ATTRIBUTE_EVERY === ATTRIBUTE_EVERY - 1) {
          mark = { db: processCpuMs(pid), own: ownCpuMs() };
          await attributor.drainOnce();
          take('batch record removed');
        }
      }
      round++;
      if (layout === 'warm-up') continue;
      for (const [step, t] of Object.entries(tally)) {
        const key = `${layout}|${step}`;
        const sum = totals.get(key) ?? { db: 0, own: 0, rounds: 0 };
        totals.set(key, { db: sum.db + t.db, own: sum.own + t.own, rounds: sum.rounds + 1 });
      }
    }
    const perExposure = (ms: number, rounds: number) =>
      Math.round((ms * 1000 * 10) / (EXPOSURES * rounds)) / 10;
    const rows: Record<string, string | number>[] = [];
    for (const step of [...STEPS, 'total'] as const) {
      const row: Record<string, string | number> = { step };
      for (const layout of layouts) {
        const pick = (k: string) => totals.get(`${layout}|${k}`) ?? { db: 0, own: 0, rounds: 1 };
        const t =
          step === 'total'
            ? STEPS.map(pick).reduce((a, b) => ({ db: a.db + b.db, own: a.own + b.own, rounds: b.rounds }))
            : pick(step);
        row[`${layout}: database / service µs`] =
          `${perExposure(t.db, t.rounds)} / ${perExposure(t.own, t.rounds)}`;
      }
      rows.push(row);
    }
    return {
      title: `Storage: CPU per new customer's exposure by step, ${EXPOSURES.toLocaleString('en-US')} exposures a round, ${ROUNDS} alternating rounds per layout, 3 experiments, batches of ${BATCH}, attributed every ${ATTRIBUTE_EVERY} batches`,
      rows,
    };
  } finally {
    await connection.close();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, runStorageBench);

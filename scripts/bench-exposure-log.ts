/**
 * The exposure log's synced writes on this machine's disk: synced by the log's own thread (the
 * service's default) and written with O_DSYNC by the event loop (EXPOSURE_LOG_WRITES=inline), the
 * latter with and without segments zero-filled ahead (EXPOSURE_LOG_PREALLOCATE_BYTES): one group of
 * two lines about every millisecond, the segment sealed and the sealed one deleted every second as
 * the exposure writer does, so a zero-filled segment is made while appends run. Each append's wait
 * (until it is on disk) is timed, and the process's CPU over the row; the rows alternate,
 * `BENCH_LOG_ROUNDS` rounds (default 3) of `BENCH_LOG_SECONDS` (8) each.
 * Run alone with `npx tsx scripts/bench-exposure-log.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExposureDoc } from '../src/db/exposure.repository.ts';
import { ExposureLog } from '../src/domain/assignment/exposure-log.ts';
import { type BenchResult, runIfMain } from './bench-output.ts';

const ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_LOG_SECONDS ?? 8);

/** An exposure line of the size the service writes. */
const LINE = JSON.stringify({
  _id: 'exp_0a1b2c3d|1|customer-000000000',
  experiment: 'checkout-default',
  experimentId: 'exp_0a1b2c3d',
  phase: 1,
  variant: 'treatment',
  unit: 'customerId',
  unitId: 'customer-000000000',
  customerId: 'customer-000000000',
  touchpoint: 'checkout',
  channel: 'web',
  exposedAt: new Date('2026-12-01T00:00:00Z'),
  attributes: { country: 'FR', plan: 'pro' },
  qa: false,
} satisfies ExposureDoc);

async function writeFor(
  writes: 'inline' | 'thread',
  preallocate: number,
): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-bench-log-'));
  // Inline writes never sent to the pool, so every one below is a write the loop waits for.
  const log = new ExposureLog(dir, 'bench', { writes, preallocate, slowMs: Number.POSITIVE_INFINITY });
  await log.append([LINE]);
  const cpu = process.cpuUsage();
  const waits: number[] = [];
  const retiring: Promise<void>[] = [];
  const end = Date.now() + SECONDS * 1000;
  let sealedAt = Date.now();
  try {
    while (Date.now() < end) {
      const started = performance.now();
      await log.append([LINE, LINE]);
      waits.push(performance.now() - started);
      if (Date.now() - sealedAt >= 1000) {
        const sealed = log.seal();
        if (sealed) retiring.push(sealed.retire());
        sealedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(retiring);
  } finally {
    await log.close(true);
    rmSync(dir, { recursive: true, force: true });
  }
  const used = process.cpuUsage(cpu);
  const { zeroBytes } = log.stats();
  waits.sort((a, b) => a - b);
  const at = (q: number) => Math.round((waits[Math.floor(q * (waits.length - 1))] ?? 0) * 1000) / 1000;
  const mean = waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length);
  return {
    'synced by': writes === 'thread' ? "the log's thread (fdatasync)" : 'the event loop (O_DSYNC)',
    segments: preallocate > 0 ? 'zero-filled ahead (default sizes)' : 'grown by each write',
    writes: waits.length,
    'CPU ms/s': Math.round((used.user + used.system) / 1000 / SECONDS),
    'zeros written MB': Math.round(zeroBytes / 1e4) / 100,
    'data written MB': Math.round((waits.length * 2 * (LINE.length + 1)) / 1e4) / 100,
    'mean ms': Math.round(mean * 1000) / 1000,
    'p50 ms': at(0.5),
    'p90 ms': at(0.9),
    'p99 ms': at(0.99),
    'max ms': at(1),
  };
}

export async function runExposureLogBench(): Promise<BenchResult> {
  const rows: Record<string, string | number>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rows.push(await writeFor('thread', 64 * 1024 * 1024));
    rows.push(await writeFor('inline', 64 * 1024 * 1024));
    rows.push(await writeFor('inline', 0));
  }
  return { title: `Exposure log: synced appends of two lines, ${SECONDS} s per row`, rows };
}

runIfMain(import.meta.url, runExposureLogBench);

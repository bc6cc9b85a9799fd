/**
 * The disk's own floor for durable answers: small writes, each followed by fdatasync, at a fixed
 * pace, with nothing else of the benchmark running. A durable answer waits for at least one such
 * sync, so beside a fixed-rate run this says how much of its tail the disk alone would give.
 * Measured in a file beside the benchmark's data (the operating system's temporary folder), on
 * this process's thread (no event loop runs meanwhile).
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DiskSyncFigures {
  syncs: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
const round = (ms: number): number => Math.round(ms * 100) / 100;

/** `rate` syncs a second for `seconds`, each of one 300-byte line written at the end of the file. */
export function diskSyncProbe(seconds = 4, rate = 1000): DiskSyncFigures {
  const dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-disk-'));
  const fd = openSync(path.join(dir, 'probe'), 'w', 0o600);
  const line = Buffer.from(`${'x'.repeat(299)}\n`);
  const times: number[] = [];
  try {
    const start = performance.now();
    let offset = 0;
    for (let n = 0; performance.now() - start < seconds * 1000; n++) {
      const wait = start + (n * 1000) / rate - performance.now();
      if (wait > 0) Atomics.wait(pause, 0, 0, wait);
      const t = performance.now();
      offset += writeSync(fd, line, 0, line.length, offset);
      fdatasyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return { syncs: times.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: round(times.at(-1) ?? 0) };
}

export function diskSummary(d: DiskSyncFigures): string {
  return `fdatasync p50 ${d.p50}, p99 ${d.p99}, p99.9 ${d.p999}, max ${d.max} ms (${d.syncs} syncs)`;
}

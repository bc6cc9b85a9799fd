/**
 * Benchmark of the analysis engine: time to analyse one metric with 2 and with 25 arms, for
 * n = 10^2 .. 10^8 per arm and each metric kind. Targets: under 5 ms for 2 arms and under 100 ms
 * for 25 arms at any n, memory flat in n. Run alone with `npx tsx scripts/bench-stats.ts`.
 */
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type AnalyzeInputRaw, analyze } from '../src/stats/index.ts';
import { runIfMain } from './bench-output.ts';

type Kind = 'conversion' | 'mean' | 'nps';

const SIZES = [1e2, 1e4, 1e6, 1e8];
const ARMS = [2, 25];
const KINDS: Kind[] = ['conversion', 'mean', 'nps'];
const TARGET_MS: Record<number, number> = { 2: 5, 25: 100 };

function armData(kind: Kind, n: number, i: number, arms: number): Record<string, number> {
  const shift = i / arms;
  if (kind === 'conversion') return { n, conversions: Math.round(n * (0.1 + 0.004 * shift)) };
  if (kind === 'mean') return { n, mean: 3.9 + 0.05 * shift, variance: 1.1 };
  const detractors = Math.round(n * (0.15 - 0.01 * shift));
  const promoters = Math.round(n * (0.48 + 0.01 * shift));
  return { detractors, passives: n - detractors - promoters, promoters };
}

function input(kind: Kind, n: number, arms: number): AnalyzeInputRaw {
  const keys = Array.from({ length: arms }, (_, i) => (i === 0 ? 'control' : `v${i}`));
  return {
    control: 'control',
    variants: keys.map((key) => ({ key, weight: 1, exposures: n })),
    metrics: [
      {
        key: 'm',
        kind,
        role: 'primary',
        data: Object.fromEntries(keys.map((k, i) => [k, armData(kind, n, i, arms)])),
      },
    ],
  } as AnalyzeInputRaw;
}

const rssMb = (): number => Math.round(process.memoryUsage().rss / 1e5) / 10;

/**
 * A collectable heap reading, so "memory flat in n" compares live data rather than garbage that
 * happens not to be collected yet. The flag makes `gc` available to contexts created after it.
 */
function collectedHeap(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  return process.memoryUsage().heapUsed;
}

interface Timing {
  median: number;
  max: number;
  /** Median CPU time of this process per call: what the call costs when it has a core to itself. */
  cpuMedian: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function time(fn: () => void, reps: number): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  return { median: median(wall), max: Math.max(...wall), cpuMedian: median(cpu) };
}

/**
 * Rows for `npm run bench` and for this script. Wall time is judged against the target; on a
 * shared machine, where wall time includes waiting for a core, the CPU time is shown beside it.
 */
export async function runStatsBench(): Promise<{ title: string; rows: Record<string, string | number>[] }> {
  const rssBefore = rssMb();
  const load = loadavg()[0]?.toFixed(1) ?? '?';
  // Warm the JIT on small inputs so the first measured row is not charged for compilation.
  for (const kind of KINDS) for (let i = 0; i < 20; i++) analyze(input(kind, 1000, 3));
  const rows: Record<string, string | number>[] = [];
  for (const arms of ARMS) {
    for (const kind of KINDS) {
      for (const n of SIZES) {
        const data = input(kind, n, arms);
        const reps = arms === 2 ? 40 : 8;
        for (let i = 0; i < 3; i++) analyze(data);
        const heapBefore = collectedHeap();
        const { median: wall, max, cpuMedian } = time(() => analyze(data), reps);
        const heapAfter = collectedHeap();
        const target = TARGET_MS[arms] ?? Infinity;
        rows.push({
          kind,
          arms,
          'n per arm': n.toExponential(0).replace('e+', 'e'),
          'median ms': Number(wall.toFixed(2)),
          'max ms': Number(max.toFixed(2)),
          'cpu ms': Number(cpuMedian.toFixed(2)),
          'target ms': target,
          ok: wall < target ? 'yes' : cpuMedian < target ? 'cpu only' : 'NO',
          'heap after GC MB': Math.round(heapAfter / 1e5) / 10,
          'retained KB': Math.round((heapAfter - heapBefore) / 1e3),
        });
      }
    }
  }
  const title =
    `Stats engine: one metric, analyze() end to end (load average ${load} on ${process.arch}; ` +
    `RSS before ${rssBefore} MB, after ${rssMb()} MB)`;
  return { title, rows };
}

runIfMain(import.meta.url, runStatsBench);

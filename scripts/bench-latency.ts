/**
 * Where the assignment tail comes from: vegeta at fixed arrival rates (open model, new customers,
 * 10 s each by default) against the bare Express endpoint, Nudgelab with durable exposures
 * (synced, and written but not synced: EXPOSURE_SYNC=false), and Nudgelab with attribution
 * stopped. Beside the client's figures: the server's event-loop delay over each run (how long
 * synchronous work held every request up), the time requests spent inside the server, GC pauses,
 * CPU per process, and the share of the machine's CPU time the hypervisor took (steal) while the
 * rate ran: on a shared virtual machine the tail follows steal more than anything in the service.
 * Each server first takes 3 s at the first rate, not measured (the JIT's warm-up); before each
 * rate it stores and attributes what earlier load left.
 * `BENCH_LATENCY_RATES=100,300` picks the rates, `BENCH_RATE_SECONDS` the length,
 * `BENCH_LATENCY_SERVERS=1,3` the rows of `servers` (0: bare, 1: durable, 2: not synced, 3: no
 * attribution, 4: the log written and synced by the event loop (EXPOSURE_LOG_WRITES=inline; synced
 * by its own thread by default), 5: by libuv's pool, 6: attribution batches of 500, 7: log appends
 * gathered for 1 ms, 8: attribution in the service's thread, 9: the embedded database at the
 * service's own priority (EMBEDDED_DB_NICE=0; 10 below it by default), 10: that and the log synced
 * by the event loop, 11: log segments not zero-filled ahead, 12: the attribution thread at the
 * service's own priority (ATTRIBUTION_THREAD_NICE=0; 10 below it by default), 13: the log on tmpfs
 * (/dev/shm: the same syncs without the disk's flush; diagnosis only), 14: the bare endpoint on the
 * service's HTTP server (src/http/server.ts: the app's prototypes, no ETag), 15: exposures synced
 * to a log before each answer but never stored nor attributed (diagnosis), 16: exposures stored
 * field by field (EXPOSURE_LAYOUT=fields; packed on the embedded database by default); 0-3 by default, in
 * the order given, repeats included). Vegeta runs on one core (`BENCH_VEGETA_PROCS`). Run alone
 * with `npx tsx scripts/bench-latency.ts`.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ask, assignmentBody, load, startServer, stop } from './bench-assignment.ts';
import { ensureVegeta, fixedRate } from './bench-fixed-rate.ts';
import { runIfMain } from './bench-output.ts';

const RATES = (process.env.BENCH_LATENCY_RATES ?? '100,300,600').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const WARM_SECONDS = 3;

interface Server {
  label: string;
  mode: 'bare' | 'nudgelab';
  env: Record<string, string>;
}

/** A Nudgelab server with durable exposures and one setting changed (none: as configured by default). */
const durable = (change: string, env: Record<string, string> = {}): Server => ({
  label: `Nudgelab, durable exposures${change ? `, ${change}` : ''}`,
  mode: 'nudgelab',
  env,
});

const servers: Server[] = [
  { label: 'bare Express 5 JSON', mode: 'bare', env: {} },
  durable(''),
  {
    label: 'Nudgelab, exposures written before the answer, not synced',
    mode: 'nudgelab',
    env: { BENCH_SYNC: 'false' },
  },
  durable('attribution stopped', { BENCH_NO_SINK: '1' }),
  durable('log written and synced by the event loop', { BENCH_LOG_WRITES: 'inline' }),
  durable("log written by libuv's pool", { BENCH_LOG_WRITES: 'pool' }),
  durable('attribution batches of 500', { BENCH_ATTRIBUTION_BATCH: '500' }),
  durable('appends gathered for 1 ms', { BENCH_GROUP_MS: '1' }),
  durable('attribution in the service thread', { BENCH_ATTRIBUTION_THREAD: 'false' }),
  durable('database at the service priority', { BENCH_DB_NICE: '0' }),
  durable('database at the service priority, log synced by the event loop', {
    BENCH_DB_NICE: '0',
    BENCH_LOG_WRITES: 'inline',
  }),
  durable('no zeros ahead in the log', { BENCH_PREALLOCATE: '0' }),
  durable('attribution thread at the service priority', { BENCH_ATTRIBUTION_NICE: '0' }),
  durable('log on tmpfs (no disk flush)', { BENCH_LOG_DIR: '/dev/shm' }),
  {
    label: "bare Express 5 JSON, the service's HTTP server",
    mode: 'bare',
    env: { BENCH_BARE_SERVER: 'app' },
  },
  durable('log only: synced before the answer, never stored (diagnosis)', { BENCH_LOG_ONLY: '1' }),
  durable('exposures stored field by field', { BENCH_EXPOSURE_LAYOUT: 'fields' }),
];

/** The machine's CPU counters (/proc/stat, Linux): all time and time stolen by the hypervisor. */
function cpuTimes(): { total: number; steal: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

/** What the server reports between runs: its CPU, the database's, and the exposure writer's counters. */
interface Figures {
  cpuMs?: number;
  dbCpuMs?: number;
  stats?: { logSyncs: number; logSlowWrites: number };
}

async function sweep(server: Server, child: ChildProcess, port: number, key: string) {
  const rows: Record<string, string | number>[] = [];
  // Not measured: a few seconds at the first rate, so the first row is not the JIT's warm-up.
  fixedRate({
    port,
    key,
    rate: RATES[0] ?? 100,
    seconds: WARM_SECONDS,
    body: assignmentBody,
    customerPrefix: 'warm-',
  });
  for (const rate of RATES) {
    await ask(child, 'settle');
    await ask(child, 'eld-reset');
    const cpu0 = (await ask(child, 'rss')) as Figures;
    const before = cpuTimes();
    const r = fixedRate({
      port,
      key,
      rate,
      seconds: SECONDS,
      body: assignmentBody,
      customerPrefix: `lat-${rate}-`,
    });
    const after = cpuTimes();
    const cpu1 = (await ask(child, 'rss')) as Figures;
    const perSecond = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? '-' : Math.round((b - a) / SECONDS);
    const loop = (await ask(child, 'eld')) as {
      p50: number;
      p99: number;
      max: number;
      serverP50: number;
      serverP99: number;
      gc: { count: number; totalMs: number; maxMs: number; majors: number };
      busy: number;
    };
    const steal = (100 * (after.steal - before.steal)) / Math.max(1, after.total - before.total);
    rows.push({
      server: server.label,
      'rate/s': rate,
      'answered/s': r.throughput,
      'p50 ms': r.p50,
      'p90 ms': r.p90,
      'p99 ms': r.p99,
      'max ms': r.max,
      'non-2xx': r.otherCodes ? `${r.non2xx} (${r.otherCodes})` : r.non2xx,
      'in server p50 / p99 ms': `${loop.serverP50} / ${loop.serverP99}`,
      'loop delay p99 / max ms': `${loop.p99} / ${loop.max}`,
      'loop busy %': loop.busy,
      'GC pauses (major) / total / max ms': `${loop.gc.count} (${loop.gc.majors}) / ${loop.gc.totalMs} / ${loop.gc.maxMs}`,
      'CPU ms/s service / db': `${perSecond(cpu0.cpuMs, cpu1.cpuMs)} / ${perSecond(cpu0.dbCpuMs, cpu1.dbCpuMs)}`,
      'log writes / slow': cpu1.stats
        ? `${cpu1.stats.logSyncs - (cpu0.stats?.logSyncs ?? 0)} / ${cpu1.stats.logSlowWrites - (cpu0.stats?.logSlowWrites ?? 0)}`
        : '-',
      'steal %': Math.round(steal * 10) / 10,
    });
  }
  return rows;
}

export async function runLatencyBench(): Promise<{ title: string; rows: Record<string, string | number>[] }> {
  ensureVegeta();
  const rows: Record<string, string | number>[] = [];
  const only = (process.env.BENCH_LATENCY_SERVERS ?? '0,1,2,3').split(',').map(Number);
  // In the order given, repeats included (alternating pairs: BENCH_LATENCY_SERVERS=1,8,1,8).
  for (const server of only.flatMap((i) => servers[i] ?? [])) {
    const { child, ready } = await startServer(server.mode, true, server.env);
    await load(ready.port, ready.key, (n) => `warm-${n}`, { amount: 2000, connections: 10 });
    rows.push(...(await sweep(server, child, ready.port, ready.key ?? '')));
    await stop(child);
  }
  return {
    title: `Assignment latency at fixed arrival rates (vegeta, new customers, ${SECONDS} s per rate), with the server's event-loop delay`,
    rows,
  };
}

runIfMain(import.meta.url, runLatencyBench);

/** Probes of the scale benchmark: timings of the attributor's steps, CPU and memory of processes, the drain. */
import { readFileSync } from 'node:fs';
import type { Services } from '../src/domain/services.ts';

export const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
export const log = (msg: string): void => void process.stderr.write(`[bench-scale] ${msg}\n`);
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** Resident memory of another process (the embedded database), from /proc (Linux). */
export function vmRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return 0;
  }
}

export type Timings = Map<string, { calls: number; ms: number }>;

/**
 * Times the attributor's database steps by wrapping the repository instances it was built with
 * (diagnosis only; what is left of a pass is the in-process work: applyBatch and its clones).
 */
export function timeAttributorSteps(services: Services): Timings {
  const timings: Timings = new Map();
  const wrap = <T extends object>(obj: T, label: string, names: (keyof T & string)[]) => {
    for (const name of names) {
      const fn = obj[name] as unknown as (...a: unknown[]) => Promise<unknown>;
      (obj as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await fn.apply(obj, args);
        } finally {
          const entry = timings.get(`${label}.${name}`) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += performance.now() - t;
          timings.set(`${label}.${name}`, entry);
        }
      };
    }
  };
  const c = services.capture;
  wrap(c.queue, 'queue', ['heads', 'entries', 'remove', 'backlog']);
  wrap(c.units, 'units', ['getMany', 'replaceMany']);
  wrap(c.stats, 'stats', ['writeBatch', 'applyDeltas', 'removeBatch', 'bucketValues']);
  wrap(c.leases, 'leases', ['claim', 'extend']);
  return timings;
}

export function describeTimings(timings: Timings, seconds: number): string {
  const total = [...timings.values()].reduce((s, t) => s + t.ms, 0);
  const steps = [...timings.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, t]) => `${k} ${(t.ms / 1000).toFixed(1)} s/${t.calls}`)
    .join(', ');
  return `${steps}; in process (applyBatch etc.) ${Math.max(0, seconds - total / 1000).toFixed(1)} s`;
}

/** CPU time (ms) of another process (the embedded database), from /proc (Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * Works the queue batch by batch, logging progress, for at most `maxSeconds`; returns seconds,
 * items attributed, whether it finished, and the CPU the service and the database spent meanwhile.
 */
export async function drainWithProgress(
  services: Services,
  dbPid: number | undefined,
  label: string,
  maxSeconds: number,
) {
  const attributor = services.capture.attribution;
  const before = attributor.stats();
  const cpu0 = process.cpuUsage();
  const dbCpu0 = processCpuMs(dbPid);
  const t0 = performance.now();
  const timer = setInterval(() => {
    const s = attributor.stats();
    const done =
      s.attributedEvents + s.attributedExposures - before.attributedEvents - before.attributedExposures;
    log(
      `  ${label}: ${done} attributed, ${s.pending} pending (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }, 30_000);
  let finished = false;
  let stalled: string | null = null;
  let failuresInRow = 0;
  try {
    while (performance.now() - t0 < maxSeconds * 1000) {
      try {
        if ((await attributor.drainOnce()) === 0) {
          finished = true;
          break;
        }
        failuresInRow = 0;
      } catch (err) {
        // The service's loop would retry with a backoff; three failed passes in a row is a stall.
        const message = err instanceof Error ? err.message : String(err);
        log(`  ${label}: pass failed after ${((performance.now() - t0) / 1000).toFixed(0)} s: ${message}`);
        if (++failuresInRow >= 3) {
          stalled = message;
          break;
        }
      }
    }
  } finally {
    clearInterval(timer);
  }
  const after = attributor.stats();
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds: (performance.now() - t0) / 1000,
    events: after.attributedEvents - before.attributedEvents,
    exposures: after.attributedExposures - before.attributedExposures,
    finished,
    stalled,
    serviceCpuS: (cpu.user + cpu.system) / 1e6,
    dbCpuS: (processCpuMs(dbPid) - dbCpu0) / 1000,
  };
}

/** What a paced capture run saw. */
export interface PacedCapture {
  sent: number;
  seconds: number;
  attributed: number;
  /** Largest backlog seen at a request's answer, and the backlog when the run ended. */
  maxBacklog: number;
  backlogAfter: number;
}

/**
 * Capture at a fixed arrival rate (open model: a request of `batch` events is started every
 * `batch / rate` seconds whether or not the earlier ones have answered, at most 8 in flight), for
 * `seconds`, with the attributor running: does attribution keep pace with that arrival rate?
 */
export async function pacedCapture(opts: {
  rate: number;
  seconds: number;
  batch: number;
  send: (b: number) => Promise<void>;
  attributed: () => number;
  backlog: () => number;
}): Promise<PacedCapture> {
  const interval = (opts.batch / opts.rate) * 1000;
  const count = Math.max(1, Math.round((opts.seconds * 1000) / interval));
  const before = opts.attributed();
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  let maxBacklog = 0;
  for (let b = 0; b < count; b++) {
    const due = t0 + b * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= 8) await Promise.race(inFlight);
    const p = opts.send(b).then(() => {
      maxBacklog = Math.max(maxBacklog, opts.backlog());
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - t0) / 1000;
  return {
    sent: count * opts.batch,
    seconds,
    attributed: opts.attributed() - before,
    maxBacklog,
    backlogAfter: opts.backlog(),
  };
}

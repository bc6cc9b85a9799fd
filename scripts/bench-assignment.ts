/**
 * Assignment benchmark: autocannon, 50 connections, 20 s, POST /v1/assignments on a touchpoint
 * with 5 running experiments (exclusive: each customer is in one, so a new customer makes one
 * exposure) and exposures on, against a bare Express 5 JSON endpoint in the same run. Targets: at
 * least 0.7x the bare endpoint's requests per second, p99 at most 10 ms.
 * New customers run twice, with durable exposures (the default: answered after the exposure log's
 * fdatasync) and without; then both at a fixed arrival rate of half the durable maximum with
 * vegeta (open model; target p99 at most 10 ms with durability on). Just before and after the
 * durable fixed-rate run, the disk's own sync times are probed for 4 s each (`bench-disk.ts`), and
 * the bare endpoint runs at the same fixed rate just before it: the floor the machine sets.
 * Run alone with `npx tsx scripts/bench-assignment.ts` (BENCH_SECONDS shortens it; BENCH_FATIGUE=1
 * runs it with a global fatigue cap active).
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { diskSummary, diskSyncProbe } from './bench-disk.ts';
import { ensureVegeta, fixedRate } from './bench-fixed-rate.ts';
import { runIfMain } from './bench-output.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = 50;
const CAP = process.env.BENCH_FATIGUE ? ', fatigue cap active' : '';

interface Ready {
  port: number;
  key?: string;
  rss: number;
}

export function startServer(
  mode: 'bare' | 'nudgelab',
  durable = true,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(path.join(here, 'bench-assignment-server.ts'), [mode], {
    env: { ...process.env, BENCH_DURABLE: String(durable), ...env },
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-prof'] : []),
      // Diagnosis: V8 or Node flags for the server only, e.g. BENCH_SERVER_FLAGS=--max-semi-space-size=32.
      ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m as Ready }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

export function ask(
  child: ChildProcess,
  what: 'rss' | 'count' | 'eld' | 'eld-reset' | 'settle' = 'rss',
): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.send(what);
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

/**
 * `returning`: customers drawn from a pool of 20,000 that were all assigned once before the run
 * (their exposures are stored), so every request is a re-exposure, as at a touchpoint most visitors
 * have seen before. `new`: every request a customer never seen, so every request writes an
 * exposure (the worst case for the exposure pipeline).
 */
type Mix = 'returning' | 'new';
const POOL = 20_000;

export function assignmentBody(customerId: string): string {
  return JSON.stringify({
    customerId,
    touchpoint: 'checkout.banner',
    channel: 'web',
    attributes: { country: 'FR', segment: 'gold' },
  });
}

function headers(key: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
}

/** `amount` requests when given (warm-up), else `duration` seconds at 50 connections. */
export async function load(
  port: number,
  key: string | undefined,
  customer: (n: number) => string,
  opts: { amount?: number; connections?: number } = {},
): Promise<autocannon.Result> {
  let n = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: opts.connections ?? CONNECTIONS,
    ...(opts.amount ? { amount: opts.amount } : { duration: SECONDS }),
    requests: [
      {
        method: 'POST',
        path: '/v1/assignments',
        headers: headers(key),
        setupRequest: (req) => ({ ...req, body: assignmentBody(customer(n++)) }),
      },
    ],
  });
  if (opts.amount && result.non2xx + result.errors > 0) {
    throw new Error(`warm-up got ${result.non2xx} non-2xx answers ${JSON.stringify(result.statusCodeStats)}`);
  }
  return result;
}

const customers: Record<Mix, (n: number) => string> = {
  returning: () => `cust-${Math.floor(Math.random() * POOL)}`,
  new: (n) => `new-${n}`,
};

interface Run {
  label: string;
  result: autocannon.Result;
  row: Record<string, string | number>;
}

async function measure(
  label: string,
  child: ChildProcess,
  ready: Ready,
  customer: (n: number) => string,
): Promise<Run> {
  // What earlier load left is stored first, so the count below is this run's alone.
  await ask(child, 'settle');
  const storedBefore = (await ask(child, 'count')).stored;
  const start = await ask(child);
  const clientCpu = process.cpuUsage();
  const result = await load(ready.port, ready.key, customer);
  const client = process.cpuUsage(clientCpu);
  const after = await ask(child);
  const storedAfter = (await ask(child, 'count')).stored;
  const perRequest = (ms: number): number => Math.round((ms * 1000) / Math.max(1, result.requests.total));
  const stats = after.stats as { enqueued?: number } | undefined;
  const startStats = start.stats as { enqueued?: number } | undefined;
  return {
    label,
    result,
    row: {
      endpoint: label,
      'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p90 ms': result.latency.p90,
      'p99 ms': result.latency.p99,
      'max ms': result.latency.max,
      requests: result.requests.total,
      'non-2xx': result.non2xx + result.errors,
      // Counted for this run only: the server keeps its database between runs.
      exposures: stats
        ? `${Number(storedAfter) - Number(storedBefore ?? 0)} stored of ${(stats.enqueued ?? 0) - (startStats?.enqueued ?? 0)} queued`
        : '-',
      // CPU per answered request: where the 2 cores went (load generator, service, database).
      'client CPU µs/req': perRequest((client.user + client.system) / 1000),
      'service CPU µs/req': perRequest(Number(after.cpuMs) - Number(start.cpuMs)),
      'db CPU µs/req':
        after.dbCpuMs === undefined ? '-' : perRequest(Number(after.dbCpuMs) - Number(start.dbCpuMs)),
      'rss before MB': start.rss as number,
      'rss after MB': after.rss as number,
    },
  };
}

/**
 * The bare endpoint (the service's HTTP server, as the service serves) at a fixed rate: what the
 * machine, its kernel and the load generator alone cost at that rate, beside the service's run.
 */
async function bareFixedRate(
  rate: number,
  body: (c: string) => string,
): Promise<ReturnType<typeof fixedRate>> {
  const { child, ready } = await startServer('bare', true, { BENCH_BARE_SERVER: 'app' });
  await load(ready.port, undefined, (n) => `warm-${n}`, { amount: 2000, connections: 10 });
  const result = fixedRate({
    port: ready.port,
    key: '',
    rate,
    seconds: RATE_SECONDS,
    body,
    customerPrefix: 'rate-bare-',
  });
  await stop(child);
  return result;
}

async function bareRun(label: string): Promise<Run> {
  const { child, ready } = await startServer('bare');
  await load(ready.port, undefined, (n) => `warm-${n}`, { amount: 2000, connections: 10 });
  const run = await measure(label, child, ready, customers.returning);
  await stop(child);
  return run;
}

/**
 * The bare endpoint runs before and after Nudgelab and the ratio uses the mean of the two, so a
 * change in the machine's speed during the run (it is shared) weighs on both sides alike.
 */
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 15);

/** A row in the same columns as autocannon's, for the fixed-rate run. */
function rateRow(label: string, r: ReturnType<typeof fixedRate>): Record<string, string | number> {
  return {
    endpoint: label,
    'req/s': r.throughput,
    'p50 ms': r.p50,
    'p90 ms': r.p90,
    'p99 ms': r.p99,
    'max ms': r.max,
    requests: r.requests,
    'non-2xx': r.otherCodes ? `${r.non2xx} (${r.otherCodes})` : r.non2xx,
    exposures: '-',
    'client CPU µs/req': '-',
    'service CPU µs/req': '-',
    'db CPU µs/req': '-',
    'rss before MB': '-',
    'rss after MB': '-',
  };
}

export async function runAssignmentBench(): Promise<{
  title: string;
  rows: Record<string, string | number>[];
}> {
  ensureVegeta();
  const bareBefore = await bareRun('bare Express 5 JSON (before)');
  const { child, ready } = await startServer('nudgelab');
  await load(ready.port, ready.key, (n) => `warm-${n}`, { amount: 2000, connections: 10 });
  // Every customer of the returning pool gets assigned (and exposed) once before the run.
  await load(ready.port, ready.key, (n) => `cust-${n}`, { amount: POOL, connections: 10 });
  const runs: Record<Mix, Run> = {
    returning: await measure(
      `POST /v1/assignments, 5 experiments${CAP}, returning customers`,
      child,
      ready,
      customers.returning,
    ),
    new: await measure(
      `POST /v1/assignments, 5 experiments${CAP}, new customers, durable`,
      child,
      ready,
      customers.new,
    ),
  };
  const rate = Math.max(1, Math.round(runs.new.result.requests.average / 2));
  const body = (c: string) => assignmentBody(c);
  // The fixed rate is measured in steady state: first the exposures the autocannon runs left
  // (about 90,000) are stored and attributed, which takes the service tens of seconds.
  await ask(child, 'settle');
  // The disk's own sync times just before and after, with nothing else running: the floor under
  // the durable tail in this run (the machine's disk varies from hour to hour).
  const diskBefore = diskSyncProbe();
  // The machine's own floor at this rate, just before: the bare endpoint at the same fixed rate.
  const rateBare = await bareFixedRate(rate, body);
  const rateOn = fixedRate({
    ...ready,
    key: ready.key ?? '',
    rate,
    seconds: RATE_SECONDS,
    body,
    customerPrefix: 'rate-on-',
  });
  await ask(child, 'settle');
  const diskAfter = diskSyncProbe();
  await stop(child);
  const off = await startServer('nudgelab', false);
  await load(off.ready.port, off.ready.key, (n) => `warm-${n}`, { amount: 2000, connections: 10 });
  const newOff = await measure(
    'POST /v1/assignments, 5 experiments, new customers, not durable',
    off.child,
    off.ready,
    customers.new,
  );
  await ask(off.child, 'settle');
  const rateOff = fixedRate({
    ...off.ready,
    key: off.ready.key ?? '',
    rate,
    seconds: RATE_SECONDS,
    body,
    customerPrefix: 'rate-off-',
  });
  await stop(off.child);
  const bareAfter = await bareRun('bare Express 5 JSON (after)');
  const bare = (bareBefore.result.requests.average + bareAfter.result.requests.average) / 2;
  const verdict = (['returning', 'new'] as const)
    .map((mix) => {
      const ratio = runs[mix].result.requests.average / bare;
      const p99 = runs[mix].result.latency.p99;
      return `${mix}: ${ratio.toFixed(2)}x the bare endpoint (target >= 0.7x: ${ratio >= 0.7 ? 'met' : 'MISSED'}), p99 ${p99} ms (target <= 10 ms: ${p99 <= 10 ? 'met' : 'MISSED'})`;
    })
    .join('; ');
  const cost = 1 - runs.new.result.requests.average / Math.max(1, newOff.result.requests.average);
  const fixed = `fixed rate ${rate}/s (half the durable maximum, vegeta, ${RATE_SECONDS} s): p99 ${rateOn.p99} ms durable (target <= 10 ms: ${rateOn.p99 <= 10 ? 'met' : 'MISSED'}), ${rateOff.p99} ms not durable, ${rateBare.p99} ms for the bare endpoint just before the durable run; the disk alone just before: ${diskSummary(diskBefore)}; just after: ${diskSummary(diskAfter)}`;
  return {
    title: `Assignment: autocannon ${CONNECTIONS} connections, ${SECONDS} s; ${verdict}; durability costs ${(cost * 100).toFixed(0)}% of new-customer throughput; ${fixed}`,
    rows: [
      bareBefore.row,
      runs.returning.row,
      runs.new.row,
      newOff.row,
      rateRow(`vegeta ${rate}/s, bare endpoint on the service's HTTP server (the machine's floor)`, rateBare),
      rateRow(`vegeta ${rate}/s, new customers, durable`, rateOn),
      rateRow(`vegeta ${rate}/s, new customers, not durable`, rateOff),
      bareAfter.row,
    ],
  };
}

runIfMain(import.meta.url, runAssignmentBench);

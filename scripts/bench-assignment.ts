/**
 * Assignment benchmark: autocannon, 50 connections, 20 s, POST /v1/assignments on a touchpoint
 * with 5 running experiments and exposures on, against a bare Express 5 JSON endpoint in the same
 * run. Targets: at least 0.7x the bare endpoint's requests per second, p99 at most 10 ms.
 * Run alone with `npx tsx scripts/bench-assignment.ts` (BENCH_SECONDS shortens it; BENCH_FATIGUE=1
 * runs it with a global fatigue cap active).
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
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

function startServer(mode: 'bare' | 'nudgelab'): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(path.join(here, 'bench-assignment-server.ts'), [mode], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-prof'] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m as Ready }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

function ask(child: ChildProcess, what: 'rss' | 'count' = 'rss'): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.send(what);
  });
}

function stop(child: ChildProcess): Promise<void> {
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

function assignmentBody(customerId: string): string {
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
async function load(
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
export async function runAssignmentBench(): Promise<{
  title: string;
  rows: Record<string, string | number>[];
}> {
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
      `POST /v1/assignments, 5 experiments${CAP}, new customers`,
      child,
      ready,
      customers.new,
    ),
  };
  await stop(child);
  const bareAfter = await bareRun('bare Express 5 JSON (after)');
  const bare = (bareBefore.result.requests.average + bareAfter.result.requests.average) / 2;
  const verdict = (['returning', 'new'] as const)
    .map((mix) => {
      const ratio = runs[mix].result.requests.average / bare;
      const p99 = runs[mix].result.latency.p99;
      return `${mix}: ${ratio.toFixed(2)}x the bare endpoint (target >= 0.7x: ${ratio >= 0.7 ? 'met' : 'MISSED'}), p99 ${p99} ms (target <= 10 ms: ${p99 <= 10 ? 'met' : 'MISSED'})`;
    })
    .join('; ');
  return {
    title: `Assignment: autocannon ${CONNECTIONS} connections, ${SECONDS} s; ${verdict}`,
    rows: [bareBefore.row, runs.returning.row, runs.new.row, bareAfter.row],
  };
}

runIfMain(import.meta.url, runAssignmentBench);

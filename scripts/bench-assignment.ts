/**
 * Assignment benchmark: autocannon, 50 connections, 20 s, POST /v1/assignments on a touchpoint
 * with 5 running experiments and exposures on, against a bare Express 5 JSON endpoint in the same
 * run. Targets: at least 0.7x the bare endpoint's requests per second, p99 at most 10 ms.
 * Run alone with `npx tsx scripts/bench-assignment.ts` (BENCH_SECONDS shortens it).
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { runIfMain } from './bench-output.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = 50;

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

function ask(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.send('rss');
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

/**
 * `returning`: customers drawn from a pool of 20,000, so the first visits write exposures and later
 * ones are re-exposures (as at a real touchpoint). `new`: every request a customer never seen, so
 * every request writes an exposure (the worst case for the exposure pipeline).
 */
type Mix = 'returning' | 'new';

async function load(port: number, key: string | undefined, mix: Mix): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path: '/v1/assignments',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        setupRequest: (req) => {
          n++;
          const customer = mix === 'new' ? `new-${n}` : `cust-${Math.floor(Math.random() * 20_000)}`;
          return {
            ...req,
            body: JSON.stringify({
              customerId: customer,
              touchpoint: 'checkout.banner',
              channel: 'web',
              attributes: { country: 'FR', segment: 'gold' },
            }),
          };
        },
      },
    ],
  });
}

export async function runAssignmentBench(): Promise<{
  title: string;
  rows: Record<string, string | number>[];
}> {
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, autocannon.Result> = {};
  for (const mode of ['bare', 'nudgelab'] as const) {
    const { child, ready } = await startServer(mode);
    for (const mix of mode === 'bare' ? (['returning'] as const) : (['returning', 'new'] as const)) {
      // Warm up the JIT and the connection pool before measuring.
      const warm = await autocannon({
        url: `http://127.0.0.1:${ready.port}/v1/assignments`,
        connections: 10,
        amount: 2000,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(ready.key ? { authorization: `Bearer ${ready.key}` } : {}),
        },
        body: JSON.stringify({ customerId: 'warm', touchpoint: 'checkout.banner', channel: 'web' }),
      });
      if (warm.non2xx > 0)
        throw new Error(
          `${mode}: warm-up got ${warm.non2xx} non-2xx answers ${JSON.stringify(warm.statusCodeStats)}`,
        );
      const start = await ask(child);
      const before = start.rss;
      const startStats = start.stats as { enqueued?: number } | undefined;
      const clientCpu = process.cpuUsage();
      const result = await load(ready.port, ready.key, mix);
      const client = process.cpuUsage(clientCpu);
      const after = await ask(child);
      const perRequest = (ms: number): number => Math.round((ms * 1000) / Math.max(1, result.requests.total));
      results[mode === 'bare' ? 'bare' : mix] = result;
      const stats = after.stats as { enqueued?: number; journaled?: number } | undefined;
      rows.push({
        endpoint:
          mode === 'bare' ? 'bare Express 5 JSON' : `POST /v1/assignments, 5 experiments, ${mix} customers`,
        'req/s': Math.round(result.requests.average),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        'max ms': result.latency.max,
        requests: result.requests.total,
        'non-2xx': result.non2xx + result.errors,
        // Counted for this run only: the server keeps its database between the two mixes.
        exposures: stats
          ? `${Number(after.stored) - Number(start.stored ?? 0)} stored of ${(stats.enqueued ?? 0) - (startStats?.enqueued ?? 0)} queued`
          : '-',
        // CPU per answered request: where the 2 cores went (load generator, service, database).
        'client CPU µs/req': perRequest((client.user + client.system) / 1000),
        'service CPU µs/req': perRequest(Number(after.cpuMs) - Number(start.cpuMs)),
        'db CPU µs/req':
          after.dbCpuMs === undefined ? '-' : perRequest(Number(after.dbCpuMs) - Number(start.dbCpuMs)),
        'rss before MB': before as number,
        'rss after MB': after.rss as number,
      });
    }
    await stop(child);
  }
  const verdict = (['returning', 'new'] as const)
    .map((mix) => {
      const ratio = (results[mix]?.requests.average ?? 0) / (results.bare?.requests.average ?? 1);
      const p99 = results[mix]?.latency.p99 ?? Infinity;
      return `${mix}: ${ratio.toFixed(2)}x the bare endpoint (target >= 0.7x: ${ratio >= 0.7 ? 'met' : 'MISSED'}), p99 ${p99} ms (target <= 10 ms: ${p99 <= 10 ? 'met' : 'MISSED'})`;
    })
    .join('; ');
  return { title: `Assignment: autocannon ${CONNECTIONS} connections, ${SECONDS} s; ${verdict}`, rows };
}

runIfMain(import.meta.url, runAssignmentBench);

/**
 * Latency at a fixed arrival rate (open model) with vegeta: requests are sent on schedule whether
 * or not earlier ones were answered, so the figures show the service's own latency rather than
 * the queueing that a closed loop of busy connections (autocannon) measures. Every request is a
 * new customer. vegeta is built by `npm run build:vegeta` into .cache/vegeta.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const vegetaBinary = path.join(root, '.cache', 'vegeta');

export interface FixedRateResult {
  rate: number;
  requests: number;
  /** Answers per second actually received. */
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  /** The answers other than 200 by status (0: no answer, e.g. a timeout), e.g. `0: 6`; empty when none. */
  otherCodes: string;
}

/** Builds vegeta when missing (Go must be installed). */
export function ensureVegeta(): void {
  if (!existsSync(vegetaBinary)) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-vegeta.mjs')], { stdio: 'inherit' });
  }
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

export function fixedRate(opts: {
  port: number;
  /** The app key sent as a bearer token (empty: none, for the bare endpoint). */
  key: string;
  rate: number;
  seconds: number;
  body: (customerId: string) => string;
  customerPrefix: string;
}): FixedRateResult {
  ensureVegeta();
  const dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-vegeta-'));
  try {
    const targets = path.join(dir, 'targets.json');
    const header = {
      'Content-Type': ['application/json'],
      ...(opts.key ? { Authorization: [`Bearer ${opts.key}`] } : {}),
    };
    const lines: string[] = [];
    // One target per request: vegeta cycles through the file, so each customer is asked once.
    for (let i = 0; i < opts.rate * opts.seconds; i++) {
      lines.push(
        JSON.stringify({
          method: 'POST',
          url: `http://127.0.0.1:${opts.port}/v1/assignments`,
          header,
          body: Buffer.from(opts.body(`${opts.customerPrefix}${i}`)).toString('base64'),
        }),
      );
    }
    writeFileSync(targets, `${lines.join('\n')}\n`);
    const out = path.join(dir, 'results.bin');
    // The load generator on one core (Go's default is every core): on a small machine it would
    // otherwise take the cores the service and its database need, and the figures would be its own.
    // BENCH_VEGETA_PROCS sets another count.
    const vegetaEnv = { ...process.env, GOMAXPROCS: process.env.BENCH_VEGETA_PROCS ?? '1' };
    // BENCH_VEGETA_CPUS (a taskset list, e.g. 1): the load generator held to those cores.
    const pin = process.env.BENCH_VEGETA_CPUS;
    const attack = [
      'attack',
      '-format=json',
      `-targets=${targets}`,
      `-rate=${opts.rate}/s`,
      `-duration=${opts.seconds}s`,
      '-timeout=10s',
      `-output=${out}`,
    ];
    const [command, args] = pin ? ['taskset', ['-c', pin, vegetaBinary, ...attack]] : [vegetaBinary, attack];
    execFileSync(command, args, { env: vegetaEnv });
    const report = JSON.parse(
      execFileSync(vegetaBinary, ['report', '-type=json', out], { encoding: 'utf8' }),
    ) as {
      requests: number;
      throughput: number;
      latencies: Record<string, number>;
      status_codes: Record<string, number>;
      errors?: string[] | null;
    };
    const lat = report.latencies;
    return {
      rate: opts.rate,
      requests: report.requests,
      throughput: Math.round(report.throughput),
      p50: ms(lat['50th'] ?? 0),
      p90: ms(lat['90th'] ?? 0),
      p99: ms(lat['99th'] ?? 0),
      max: ms(lat.max ?? 0),
      non2xx: report.requests - (report.status_codes['200'] ?? 0),
      otherCodes: [
        ...Object.entries(report.status_codes)
          .filter(([code]) => code !== '200')
          .map(([code, n]) => `${code}: ${n}`),
        // Code 0 is a request that got no answer; vegeta lists why (reset, timeout).
        ...(report.errors ?? []).map((e) => `"${e}"`),
      ].join(', '),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

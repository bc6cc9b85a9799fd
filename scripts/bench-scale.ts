/**
 * Scale benchmark: one experiment (3 variants; conversion, CSAT mean and NPS; 4 segment attributes)
 * holding 10,000, 100,000 and 1,000,000 exposures with about as many events, loaded in bulk into
 * the embedded database the way capture stores them (queued in entries of 1,000 items, then
 * inserted 5,000 per insertMany) and worked off by the attributor. Per size it measures that drain,
 * `POST /v1/events` (batches of 500 for exposed customers) with attribution running behind it, the
 * backlog left after it, `POST /v1/experiments/:key/refresh`, `POST /v1/assignments` for new
 * customers against a bare Express endpoint, and the service's and the database's RSS.
 * Targets: attribution >= 2,000 events/s and refresh < 1 s at every size, every figure at the
 * largest size within 1.5x of the smallest, memory flat.
 * Run alone with `npx tsx scripts/bench-scale.ts`; `BENCH_SCALE_SIZES=10000,100000` picks sizes,
 * `BENCH_SCALE_BATCHES` (event batches of 500) and `BENCH_SCALE_SECONDS` (autocannon) shorten it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createComposition } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase } from '../src/db/connection.ts';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.ts';
import { systemActor } from '../src/domain/roles.ts';
import { createApp } from '../src/http/app.ts';
import { createHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/logger.ts';
import { type BenchResult, runIfMain } from './bench-output.ts';

import { ATTRIBUTES, attributesOf, load, seed, TOUCHPOINT } from './bench-scale-data.ts';
import {
  describeTimings,
  drainWithProgress,
  log,
  mb,
  median,
  pacedCapture,
  timeAttributorSteps,
  vmRssMb,
} from './bench-scale-probes.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10000,100000,1000000').split(',').map((s) => Number(s));
const EVENT_BATCH = 500;
const EVENT_BATCHES = Number(process.env.BENCH_SCALE_BATCHES ?? 20);
const ASSIGN_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 5);
const ASSIGN_CONNECTIONS = 20;
const REFRESHES = 5;
/** Longest the bulk drain may take; what is left then is dropped (and the row says so). */
const DRAIN_MAX_S = Number(process.env.BENCH_SCALE_DRAIN_MAX_S ?? 600);
/** Arrival rate (events/s) and length of the paced capture run. */
const PACED_RATE = Number(process.env.BENCH_SCALE_PACED_RATE ?? 2000);
const PACED_SECONDS = Number(process.env.BENCH_SCALE_PACED_SECONDS ?? 30);
/** The attributor's batch (its default `batchItems`). */
const ATTRIBUTOR_BATCH = 2000;
/** The child process that runs autocannon, so the load generator does not share the service's loop. */
const LOAD_MODE = '--autocannon';

interface LoadResult {
  rps: number;
  p99: number;
  non2xx: number;
}

/** Runs autocannon in a child process against `url` and returns its figures. */
function cannon(url: string, key: string | undefined, opts: { amount?: number; seconds?: number }) {
  const child = fork(fileURLToPath(import.meta.url), [LOAD_MODE, JSON.stringify({ url, key, ...opts })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => code !== 0 && reject(new Error(`autocannon child exited with ${code}`)));
  });
}

async function loadChild(): Promise<void> {
  const { url, key, amount, seconds } = JSON.parse(process.argv[3] ?? '{}') as {
    url: string;
    key?: string;
    amount?: number;
    seconds?: number;
  };
  const run = `${process.pid}-${Date.now().toString(36)}`;
  let n = 0;
  const result = await autocannon({
    url,
    connections: ASSIGN_CONNECTIONS,
    ...(amount ? { amount } : { duration: seconds ?? ASSIGN_SECONDS }),
    requests: [
      {
        method: 'POST',
        path: '/v1/assignments',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            body: JSON.stringify({
              customerId: `new-${run}-${i}`,
              touchpoint: TOUCHPOINT,
              channel: 'web',
              attributes: attributesOf(i),
            }),
          };
        },
      },
    ],
  });
  process.send?.({
    rps: Math.round(result.requests.average),
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  } satisfies LoadResult);
  process.disconnect?.();
}

/** The bare Express endpoint of the assignment benchmark, in its own process. */
function startBare(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(here, 'bench-assignment-server.ts'), ['bare'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
}

async function bareAssignments(): Promise<LoadResult> {
  const { child, port } = await startBare();
  const url = `http://127.0.0.1:${port}`;
  await cannon(url, undefined, { amount: 1000 });
  const result = await cannon(url, undefined, { seconds: ASSIGN_SECONDS });
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
  return result;
}

async function runSize(size: number): Promise<Record<string, string | number>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-bench-scale-'));
  const port = await freePort();
  const db = await startEmbeddedDatabase({ dataDir, port });
  try {
    const connection = await connectDatabase(`mongodb://127.0.0.1:${port}/bench_scale`);
    const logger = createLogger('warn');
    // No database URI: attribution runs in this thread, so its steps can be timed (timeAttributorSteps).
    const root = createComposition({
      config: loadConfig({ JOBS_ENABLED: 'false', EXPOSURE_ATTRIBUTES: ATTRIBUTES.join(',') }),
      connection,
      logger,
      dataDir,
    });
    const { services } = root;
    await services.ensureIndexes();
    const app = await services.apiKeys.create(systemActor, { name: 'bench-scale-app', role: 'app' });
    const strategist = await services.apiKeys.create(systemActor, {
      name: 'bench-scale',
      role: 'strategist',
    });
    const exp = await seed(connection);
    await services.capture.assignments.refresh();
    const server = createHttpServer(
      createApp({ services, logger, bodyLimit: '1mb', version: 'bench' }),
    ).listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const attributor = services.capture.attribution;
      const timings = timeAttributorSteps(services);

      // Bulk load with the attributor stopped, then its drain measured on its own.
      await attributor.stop();
      log(`${size}: loading ${size} exposures and ${size} events`);
      const loadSeconds = await load(services, connection, exp, size);
      log(`${size}: loaded in ${loadSeconds.toFixed(1)} s; draining the attribution queue`);
      const drain = await drainWithProgress(services, db.process.pid, `${size} drain`, DRAIN_MAX_S);
      const drainRate = Math.round((drain.events + drain.exposures) / drain.seconds);
      log(
        `${size}: ${drain.finished ? 'drained' : drain.stalled ? 'STALLED:' : `STOPPED after ${DRAIN_MAX_S} s:`} ${drain.events + drain.exposures} items in ${drain.seconds.toFixed(1)} s (${drainRate}/s); CPU service ${drain.serviceCpuS.toFixed(1)} s, database ${drain.dbCpuS.toFixed(1)} s`,
      );
      const attributedLoad = drain.exposures;
      if (!drain.finished) {
        // Bounded run time: the rest of the backlog is dropped so the later figures are not its catch-up.
        // Counted, not read: reading the queue's heads is the scan that grows with the backlog.
        log(`${size}: dropping the ${2 * size - drain.events - drain.exposures} unattributed items`);
        await services.capture.queue.collection.drop();
      }
      log(`${size}: drain steps: ${describeTimings(timings, drain.seconds)}`);
      const rssAfterLoad = mb(process.memoryUsage().rss);
      const dbRssAfterLoad = vmRssMb(db.process.pid);

      // Capture over HTTP with the attributor running behind it.
      timings.clear();
      attributor.start();
      const events = `${base}/v1/events`;
      const send = async (b: number, run: string) => {
        const occurredAt = new Date(Date.now() - 60_000).toISOString();
        const body = Array.from({ length: EVENT_BATCH }, (_, k) => {
          const i = (b * EVENT_BATCH + k) * 7919;
          const customerId = `c${i % size}`;
          const e = { eventId: `${run}-${b}-${k}`, customerId, occurredAt, channel: 'web' };
          if (k % 3 === 0) return { ...e, type: 'conversion', name: 'applied' };
          return { ...e, type: k % 3 === 1 ? 'csat' : 'nps', value: k % 3 === 1 ? 4 : 9 };
        });
        const res = await fetch(events, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${app.secret}` },
          body: JSON.stringify({ events: body }),
        });
        const answer = (await res.json()) as { accepted?: number };
        if (res.status !== 200 || answer.accepted !== EVENT_BATCH) {
          throw new Error(`events batch answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
        }
      };
      for (let b = 0; b < 2; b++) await send(b, 'warm');
      await attributor.drain(10 * 60_000);
      timings.clear();
      const attributedBefore = attributor.stats().attributedEvents;
      const c0 = performance.now();
      for (let b = 0; b < EVENT_BATCHES; b++) await send(b, 'capture');
      const captureSeconds = (performance.now() - c0) / 1000;
      const attributedDuring = attributor.stats().attributedEvents - attributedBefore;
      const backlog = await services.capture.queue.backlog();
      const catchUp = await drainWithProgress(services, db.process.pid, `${size} catch-up`, 30 * 60);
      log(
        `${size}: capture ${EVENT_BATCHES * EVENT_BATCH} events in ${captureSeconds.toFixed(1)} s, ${attributedDuring} attributed meanwhile, backlog ${backlog.items}, catch-up ${catchUp.seconds.toFixed(1)} s`,
      );
      log(
        `${size}: catch-up CPU service ${catchUp.serviceCpuS.toFixed(1)} s, database ${catchUp.dbCpuS.toFixed(1)} s`,
      );
      log(`${size}: capture-phase steps: ${describeTimings(timings, captureSeconds + catchUp.seconds)}`);

      // Capture at a fixed arrival rate: does attribution keep pace while capture goes on?
      const paced = await pacedCapture({
        rate: PACED_RATE,
        seconds: PACED_SECONDS,
        batch: EVENT_BATCH,
        send: (b) => send(b, 'paced'),
        attributed: () => attributor.stats().attributedEvents,
        backlog: () => attributor.stats().pending,
      });
      const pacedBacklog = (await services.capture.queue.backlog()).items;
      await attributor.drain(10 * 60_000);
      log(
        `${size}: paced capture of ${paced.sent} events at ${PACED_RATE}/s took ${paced.seconds.toFixed(1)} s; ${paced.attributed} attributed meanwhile; backlog at most ${paced.maxBacklog} (as the attributor last saw it), ${pacedBacklog} at the end`,
      );

      // Refresh: the queue is empty, so this is the read of the counters, the analysis and the snapshot.
      const refreshMs: number[] = [];
      let exposed = 0;
      for (let r = 0; r < REFRESHES; r++) {
        const t = performance.now();
        const res = await fetch(`${base}/v1/experiments/${exp.key}/refresh`, {
          method: 'POST',
          headers: { authorization: `Bearer ${strategist.secret}` },
        });
        const snapshot = (await res.json()) as { counts?: { exposures?: Record<string, number> } };
        refreshMs.push(performance.now() - t);
        if (res.status !== 200)
          throw new Error(`refresh answered ${res.status}: ${JSON.stringify(snapshot)}`);
        exposed = Object.values(snapshot.counts?.exposures ?? {}).reduce((s, n) => s + n, 0);
      }
      log(
        `${size}: refresh ${refreshMs.map((m) => m.toFixed(0)).join(', ')} ms; exposures in the readout ${exposed}`,
      );

      // Assignments for new customers: the bare endpoint, then Nudgelab, from the same child load generator.
      const bare = await bareAssignments();
      await cannon(base, app.secret, { amount: 1000 });
      const assigned = await cannon(base, app.secret, { seconds: ASSIGN_SECONDS });
      log(`${size}: assignments ${assigned.rps} req/s (p99 ${assigned.p99} ms) vs bare ${bare.rps} req/s`);
      await services.capture.exposures.flush();
      await attributor.drain(10 * 60_000);

      const row = {
        exposures: size,
        'load s': Number(loadSeconds.toFixed(1)),
        'drain items/s': drainRate,
        'exposures attributed': drain.finished
          ? attributedLoad
          : `${attributedLoad} (drain ${drain.stalled ? 'stalled, 3 passes failed' : `stopped at ${DRAIN_MAX_S} s`}; rest dropped)`,
        'capture events/s': Math.round((EVENT_BATCHES * EVENT_BATCH) / captureSeconds),
        'attributed events/s during capture': Math.round(attributedDuring / captureSeconds),
        'backlog after': backlog.items,
        [`attributed events/s with capture at ${PACED_RATE}/s`]: Math.round(paced.attributed / paced.seconds),
        [`backlog after the ${PACED_RATE}/s run`]: pacedBacklog,
        'catch-up s': Number(catchUp.seconds.toFixed(1)),
        'refresh median ms': Math.round(median(refreshMs)),
        'readout exposures': exposed,
        'assign req/s': assigned.rps,
        'assign p99 ms': assigned.p99,
        'bare req/s': bare.rps,
        'assign/bare': Number((assigned.rps / Math.max(1, bare.rps)).toFixed(2)),
        'non-2xx': assigned.non2xx,
        'service RSS MB (loaded / end)': `${rssAfterLoad} / ${mb(process.memoryUsage().rss)}`,
        'db RSS MB (loaded / end)': `${dbRssAfterLoad} / ${vmRssMb(db.process.pid)}`,
      };
      return row;
    } finally {
      server.close();
      server.closeAllConnections();
      await root.close();
      await connection.close();
    }
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const machine = (): string =>
  `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${Math.round(os.totalmem() / 2 ** 30)} GB, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;

/** Targets checked on the rows: throughput and refresh at every size, largest within 1.5x of smallest. */
function verdict(rows: Record<string, string | number>[]): string {
  const num = (r: Record<string, string | number> | undefined, k: string) => Number(r?.[k] ?? 0);
  const parts: string[] = [];
  const slowest = Math.min(...rows.map((r) => num(r, 'attributed events/s during capture')));
  const backlogged = rows.some((r) => num(r, 'backlog after') > 0);
  parts.push(
    `attribution >= 2,000 events/s while capture floods: ${slowest >= 2000 ? 'met' : 'MISSED'} (lowest ${slowest}${backlogged ? ', with a backlog' : ''})`,
  );
  const pacedKey = `attributed events/s with capture at ${PACED_RATE}/s`;
  const pacedSlowest = Math.min(...rows.map((r) => num(r, pacedKey)));
  const pacedLag = Math.max(...rows.map((r) => num(r, `backlog after the ${PACED_RATE}/s run`)));
  // Keeping pace: at the end of the run the attributor is no more than two of its batches behind
  // (what is in flight), however long the run; a slower attributor's backlog grows with the run.
  parts.push(
    `attribution keeps pace with capture at ${PACED_RATE} events/s: ${pacedLag <= 2 * ATTRIBUTOR_BATCH ? 'met' : 'MISSED'} (backlog at the end at most ${pacedLag}; attributed ${pacedSlowest}/s at the lowest, the run's last seconds still in flight)`,
  );
  const refresh = Math.max(...rows.map((r) => num(r, 'refresh median ms')));
  parts.push(`refresh < 1 s: ${refresh < 1000 ? 'met' : 'MISSED'} (highest ${refresh} ms)`);
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first && last && rows.length > 1) {
    const higherIsBetter = [
      'drain items/s',
      'capture events/s',
      'attributed events/s during capture',
      'assign req/s',
    ];
    const off = [...higherIsBetter, 'refresh median ms', 'assign p99 ms'].filter((k) => {
      const ratio = higherIsBetter.includes(k) ? num(first, k) / num(last, k) : num(last, k) / num(first, k);
      return !(ratio <= 1.5);
    });
    parts.push(
      `${last.exposures} within 1.5x of ${first.exposures}: ${off.length === 0 ? 'met' : `MISSED (${off.join(', ')})`}`,
    );
  }
  return parts.join('; ');
}

export async function runScaleBench(): Promise<BenchResult> {
  const startMachine = machine();
  const rows: Record<string, string | number>[] = [];
  for (const size of SIZES) {
    const t = performance.now();
    rows.push(await runSize(size));
    log(
      `${size}: done in ${((performance.now() - t) / 1000).toFixed(0)} s; load average ${os.loadavg()[0]?.toFixed(1)}`,
    );
  }
  return {
    title: `Scale: 1 experiment (3 variants, 3 metrics, 4 segment attributes), ${EVENT_BATCHES} event batches of ${EVENT_BATCH}, autocannon ${ASSIGN_CONNECTIONS} connections ${ASSIGN_SECONDS} s; ${verdict(rows)}. Machine at start: ${startMachine}; at end: load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    rows,
  };
}

if (process.argv[2] === LOAD_MODE) void loadChild();
else runIfMain(import.meta.url, runScaleBench);

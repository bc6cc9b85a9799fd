/**
 * Server side of the assignment benchmark, run in its own process so the load generator does not
 * share its event loop: `nudgelab` (the real app on the embedded database, 5 running experiments on
 * one touchpoint, exposures on) or `bare` (an Express 5 JSON endpoint). Reports its port over IPC.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  constants as perf,
} from 'node:perf_hooks';
import express from 'express';
import { createComposition } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase } from '../src/db/connection.ts';
import { DefinitionRepository, type Stored } from '../src/db/definition.repository.ts';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.ts';
import type { Definitions } from '../src/domain/assignment/compiled.types.ts';
import { ExposureLog } from '../src/domain/assignment/exposure-log.ts';
import { toLine } from '../src/domain/assignment/exposure-writer.ts';
import { systemActor } from '../src/domain/roles.ts';
import { createApp } from '../src/http/app.ts';
import { LANE } from '../src/http/fast-lane.ts';
import { DEFAULT_RATE_LIMITS } from '../src/http/rate-limit.middleware.ts';
import { createHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/logger.ts';
import { applyRuntimeFlags } from '../src/runtime-flags.ts';
import { benchDefinitions } from './bench-evaluation.ts';

const rssMb = (): number => Math.round(process.memoryUsage().rss / 1e5) / 10;

/** CPU time (user + system, ms) this process has used. */
const ownCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** CPU time (ms) of another process on this machine, from /proc (Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

async function seed(connection: Parameters<typeof createComposition>[0]['connection'], defs: Definitions) {
  const now = new Date().toISOString();
  const stamp = (id: string) => ({ id, version: 1, createdAt: now, updatedAt: now });
  const tps = new DefinitionRepository<Stored>(connection, 'touchpoint');
  for (const t of defs.touchpoints) {
    await tps.insert({
      ...stamp(`tpt_${t.key}`),
      ...t,
      journey: 'checkout',
      stage: 'apply',
      channel: 'web',
      name: t.key,
    } as Stored);
  }
  const nudges = new DefinitionRepository<Stored>(connection, 'nudge');
  for (const n of defs.nudges)
    await nudges.insert({ ...stamp(`ndg_${n.key}`), ...n, name: n.key, principle: 'framing' } as Stored);
  const exps = new DefinitionRepository<Stored>(connection, 'experiment');
  for (const e of defs.experiments) {
    await exps.insert({
      ...stamp(e.id),
      ...e,
      touchpoint: 'checkout.banner',
      control: 'control',
      unit: 'customerId',
      qaOverrides: [],
      // Attribution runs behind the exposures as in production; without metrics it fails every pass.
      metrics: [{ key: 'applied', kind: 'conversion', role: 'primary', event: 'applied', windowHours: 24 }],
    } as unknown as Stored);
  }
}

/**
 * How long the event loop was held up (ms): every request waits behind whatever synchronous work
 * runs when it arrives, so its maximum bounds the tail of an otherwise idle server. Beside it, the
 * time each request spent in the server (from its 'request' event to its 'finish'), so a run can
 * tell the service's own latency from what the load generator and the machine add.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const inServer = createHistogram();
/** Garbage-collection pauses in the window: how many, their total and the longest (ms). */
const gc = { count: 0, totalMs: 0, maxMs: 0, majors: 0 };
/** The share of the window the event loop was busy (not waiting in epoll), from Node's counter. */
let eluStart = performance.eventLoopUtilization();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
    const detail = (e as unknown as { detail?: { kind?: number } }).detail;
    if (detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR) gc.majors++;
  }
}).observe({ entryTypes: ['gc'] });
function answerLoopDelay(m: unknown): void {
  if (m === 'eld-reset') {
    loopDelay.reset();
    inServer.reset();
    Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, majors: 0 });
    eluStart = performance.eventLoopUtilization();
    process.send?.({});
  }
  if (m === 'eld') {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    process.send?.({
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
      serverP50: ms(inServer.percentile(50)),
      serverP99: ms(inServer.percentile(99)),
      gc: { ...gc, totalMs: Math.round(gc.totalMs), maxMs: Math.round(gc.maxMs * 10) / 10 },
      busy: Math.round(performance.eventLoopUtilization(eluStart).utilization * 100),
    });
  }
}

function timeRequests(server: Server): void {
  server.prependListener('request', (_req, res) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => inServer.record(Math.max(1, Number(process.hrtime.bigint() - start))));
  });
}

async function main() {
  const mode = process.argv[2];
  // The service's V8 settings (src/main.ts applies them at start); BENCH_V8_DEFAULTS=1 leaves V8's own.
  if (mode === 'nudgelab' && !process.env.BENCH_V8_DEFAULTS) applyRuntimeFlags();
  process.on('message', answerLoopDelay);
  if (mode === 'bare') {
    const app = express();
    app.use(express.json());
    app.post('/v1/assignments', (req, res) => {
      res.json({ customerId: req.body.customerId, assignments: [] });
    });
    // As `app.listen` makes it; BENCH_BARE_SERVER=app: with the service's own HTTP server (the app's
    // prototypes for requests and responses, src/http/server.ts) and no ETag, as the service runs.
    const own = process.env.BENCH_BARE_SERVER === 'app';
    if (own) app.set('etag', false);
    const server = (own ? createHttpServer(app) : app).listen(0, '127.0.0.1');
    server.once('listening', () => {
      process.send?.({ port: (server.address() as AddressInfo).port, rss: rssMb() });
    });
    timeRequests(server);
    process.on('message', (m) => {
      if (m === 'rss') process.send?.({ rss: rssMb(), cpuMs: ownCpuMs() });
      if (m === 'count' || m === 'settle') process.send?.({});
      if (m === 'stop') server.close(() => process.exit(0));
    });
    return;
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-bench-db-'));
  const port = await freePort();
  // As the service starts it: at EMBEDDED_DB_NICE below the service (10); BENCH_DB_NICE=0: the same
  // priority. BENCH_DB_GOGC: another garbage-collection target for it (EMBEDDED_DB_GOGC; Go's own: 100).
  const dbConfig = loadConfig({
    EMBEDDED_DB_NICE: process.env.BENCH_DB_NICE,
    EMBEDDED_DB_GOGC: process.env.BENCH_DB_GOGC,
  });
  const db = await startEmbeddedDatabase({
    dataDir,
    port,
    nice: dbConfig.EMBEDDED_DB_NICE,
    gcPercent: dbConfig.EMBEDDED_DB_GOGC,
  });
  const uri = `mongodb://127.0.0.1:${port}/bench`;
  const connection = await connectDatabase(uri);
  const logger = createLogger('warn');
  // BENCH_DURABLE=false: answer before the exposure is synced to the local log (the cost of durability).
  const config = loadConfig({
    JOBS_ENABLED: 'false',
    EXPOSURE_DURABLE: process.env.BENCH_DURABLE === 'false' ? 'false' : 'true',
    // BENCH_SYNC=false: the exposure is written to the log before the answer, not fdatasync'ed.
    EXPOSURE_SYNC: process.env.BENCH_SYNC === 'false' ? 'false' : 'true',
    // BENCH_LOG_WRITES=inline|pool|thread: who writes the exposure log (EXPOSURE_LOG_WRITES).
    ...(process.env.BENCH_LOG_WRITES ? { EXPOSURE_LOG_WRITES: process.env.BENCH_LOG_WRITES } : {}),
    // BENCH_GROUP_MS: extra wait that gathers log appends into one synced write (EXPOSURE_GROUP_COMMIT_MS).
    ...(process.env.BENCH_GROUP_MS ? { EXPOSURE_GROUP_COMMIT_MS: process.env.BENCH_GROUP_MS } : {}),
    // BENCH_ATTRIBUTION_NICE: the attribution thread's niceness (ATTRIBUTION_THREAD_NICE; 0: the service's).
    ...(process.env.BENCH_ATTRIBUTION_NICE
      ? { ATTRIBUTION_THREAD_NICE: process.env.BENCH_ATTRIBUTION_NICE }
      : {}),
    // BENCH_EXPOSURE_LAYOUT=fields|packed: how exposures are stored (EXPOSURE_LAYOUT; packed here by default).
    ...(process.env.BENCH_EXPOSURE_LAYOUT ? { EXPOSURE_LAYOUT: process.env.BENCH_EXPOSURE_LAYOUT } : {}),
    // BENCH_FLUSH_MS: how long exposures wait in memory before they are stored (EXPOSURE_FLUSH_MS).
    ...(process.env.BENCH_FLUSH_MS ? { EXPOSURE_FLUSH_MS: process.env.BENCH_FLUSH_MS } : {}),
    // BENCH_PREALLOCATE: the most zeros written ahead into a log segment (EXPOSURE_LOG_PREALLOCATE_BYTES; 0: none).
    ...(process.env.BENCH_PREALLOCATE
      ? { EXPOSURE_LOG_PREALLOCATE_BYTES: process.env.BENCH_PREALLOCATE }
      : {}),
  });
  // BENCH_ATTRIBUTION_BATCH: queued items per attribution batch (default 2,000).
  const batchItems = Number(process.env.BENCH_ATTRIBUTION_BATCH) || undefined;
  // BENCH_LOG_DIR (diagnosis): the exposure log in a folder there (e.g. tmpfs: no disk flush), the
  // database where it always is.
  const logDir = process.env.BENCH_LOG_DIR
    ? mkdtempSync(path.join(process.env.BENCH_LOG_DIR, 'nudgelab-bench-log-'))
    : undefined;
  const root = createComposition({
    config,
    connection,
    logger,
    ...(logDir ? { dataDir: logDir } : {}),
    // BENCH_ATTRIBUTION_THREAD=false: attribution in the service's thread (ATTRIBUTION_THREAD=false).
    ...(process.env.BENCH_ATTRIBUTION_THREAD === 'false' ? {} : { databaseUri: uri }),
    ...(batchItems ? { tuning: { attributionBatchItems: batchItems } } : {}),
  });
  const { services } = root;
  await services.ensureIndexes();
  const { secret } = await services.apiKeys.create(systemActor, { name: 'bench-app', role: 'app' });
  await seed(connection, benchDefinitions(5));
  // BENCH_FATIGUE: a global cap is active, so every answer checks (and new customers write) contacts.
  if (process.env.BENCH_FATIGUE) {
    const policies = new DefinitionRepository<Stored>(connection, 'fatigue');
    const now = new Date().toISOString();
    await policies.insert({
      id: 'ftg_bench',
      version: 1,
      createdAt: now,
      updatedAt: now,
      key: 'bench-cap',
      name: 'bench cap',
      maxContacts: 3,
      windowDays: 7,
      active: true,
    } as Stored);
  }
  await services.capture.assignments.refresh();
  // Diagnosis only: measure without attribution, or without exposures at all.
  if (process.env.BENCH_NO_SINK) await services.capture.attribution.stop();
  if (process.env.BENCH_NO_EXPOSURES) services.capture.exposures.enqueueAll = () => Promise.resolve();
  // BENCH_LOG_ONLY (diagnosis): each answer's exposures are appended to a log of their own and synced
  // before the answer, as durable exposures are, but never stored nor attributed: what the log alone
  // adds to the tail, without the database's work.
  const logOnly = process.env.BENCH_LOG_ONLY
    ? new ExposureLog(mkdtempSync(path.join(tmpdir(), 'nudgelab-bench-log-only-')), 'bench')
    : null;
  if (logOnly) services.capture.exposures.enqueueAll = (docs) => logOnly.append(docs.map(toLine));
  // Rate limits as the service runs them (on by default), with a per-key limit no run reaches, so
  // their cost is measured and nothing is refused; BENCH_RATE_LIMITS=0: none.
  const limits = process.env.BENCH_RATE_LIMITS === '0' ? undefined : { ...DEFAULT_RATE_LIMITS, perKey: 1e9 };
  const app = createApp({
    services,
    logger,
    bodyLimit: '1mb',
    version: 'bench',
    ...(limits ? { security: { rateLimits: limits } } : {}),
  });
  // BENCH_LANE=0: the assignment route through Express's router, as before its lane (fastLane).
  if (process.env.BENCH_LANE === '0') delete app.locals[LANE];
  const server = createHttpServer(app).listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port, key: secret, rss: rssMb() });
  });
  timeRequests(server);
  process.on('message', async (m) => {
    if (m === 'rss') {
      // CPU is read once the run's exposures are written.
      await services.capture.exposures.flush();
      const stats = services.capture.exposures.stats();
      const attribution = services.capture.attribution.stats();
      process.send?.({
        rss: rssMb(),
        stats,
        attribution,
        cpuMs: ownCpuMs(),
        dbCpuMs: processCpuMs(db.process.pid),
      });
    }
    // Before a measured window: what earlier load left is stored and attributed.
    if (m === 'settle') {
      await services.capture.exposures.flush();
      if (!process.env.BENCH_NO_SINK) await services.capture.attribution.drain(120_000);
      process.send?.({});
    }
    // Asked outside the measured window: a count scans the whole collection on FerretDB.
    if (m === 'count') {
      process.send?.({ stored: await connection.collection('exposures').countDocuments({}) });
    }
    if (m === 'stop') {
      server.close();
      await root.close();
      await connection.close();
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (logDir) rmSync(logDir, { recursive: true, force: true });
      if (logOnly) {
        await logOnly.close(true);
        rmSync(logOnly.dir, { recursive: true, force: true });
      }
      process.exit(0);
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

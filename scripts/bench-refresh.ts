/**
 * Benchmark of one snapshot refresh: an experiment with N exposures (default 1,000,000) and N
 * events, loaded in bulk first (timed separately), then refreshed through the real RefreshService
 * (exposure counts + tally pipeline + analysis + segment breakdowns + alerts). Prints load time,
 * refresh time and the process RSS. Uses MONGODB_URI when set, else a fresh embedded FerretDB in a
 * temporary folder.
 *
 *   npx tsx scripts/bench-refresh.ts [--n 1000000] [--refreshes 3] [--segments] [--aggregation auto|pipeline|stream]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectDatabase } from '../src/db/connection.js';
import { DefinitionRepository } from '../src/db/definition.repository.js';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.js';
import { ImportRepository } from '../src/db/import.repository.js';
import type { EventDoc } from '../src/db/models/event.model.js';
import { type ExposureDoc, exposureId } from '../src/db/models/exposure.model.js';
import { OutcomeRepository } from '../src/db/outcome.repository.js';
import { SnapshotRepository } from '../src/db/snapshot.repository.js';
import { computeOutcomeState } from '../src/domain/outcomes/outcome-state.js';
import { RefreshService } from '../src/domain/refresh.service.js';
import type { Experiment } from '../src/domain/schemas/experiment.schema.js';
import { createServices } from '../src/domain/services.js';
import { createLogger } from '../src/logger.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    refreshes: { type: 'string', default: '3' },
    segments: { type: 'boolean', default: false },
    batch: { type: 'string', default: '10000' },
    aggregation: { type: 'string', default: 'auto' },
  },
});
const N = Number(values.n);
const REFRESHES = Number(values.refreshes);
const BATCH = Number(values.batch);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** A small deterministic generator, so every run loads the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main() {
  let stop = async () => {};
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    const dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-bench-db-'));
    const port = await freePort();
    const db = await startEmbeddedDatabase({ dataDir: dir, port });
    uri = `mongodb://127.0.0.1:${port}/bench_refresh`;
    stop = async () => {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const connection = await connectDatabase(uri);
  const logger = createLogger('silent');
  const services = createServices({
    connection,
    logger,
    readouts: { segmentAttributes: values.segments ? ['channel'] : [] },
  });
  // The composition root picks the aggregation automatically; this one can be forced for comparison.
  const refresh = new RefreshService({
    experiments: new DefinitionRepository<Experiment>(connection, 'experiment'),
    outcomes: new OutcomeRepository(connection),
    snapshots: new SnapshotRepository(connection),
    alerts: services.alerts,
    segmentAttributes: values.segments ? ['channel'] : [],
    aggregation: values.aggregation as 'auto' | 'pipeline' | 'stream',
  });
  try {
    await services.ensureIndexes();
    const now = new Date().toISOString();
    const exp = {
      id: 'exp_bench',
      key: 'bench-refresh',
      version: 1,
      createdAt: now,
      updatedAt: now,
      name: 'Refresh benchmark',
      nudge: 'bench-nudge',
      touchpoint: 'bench.touchpoint',
      owner: 'bench',
      hypothesis: 'none',
      control: 'control',
      variants: [
        { key: 'control', weight: 0.5 },
        { key: 'treatment', weight: 0.5 },
      ],
      coverage: 1,
      unit: 'customerId',
      overlap: false,
      qaOverrides: [],
      metrics: [
        {
          key: 'applied',
          kind: 'conversion',
          role: 'primary',
          event: 'applied',
          windowHours: 168,
          lowerIsBetter: false,
          margin: 0,
        },
        {
          key: 'csat',
          kind: 'mean',
          role: 'guardrail',
          event: 'csat',
          windowHours: 168,
          lowerIsBetter: false,
          margin: 0.1,
        },
      ],
      decision: {},
      status: 'running',
      phase: 1,
    } as Experiment;
    await new DefinitionRepository<Experiment>(connection, 'experiment').insert(exp);

    // Half the events are conversions, half CSAT answers, one per customer.
    const repo = new ImportRepository(connection);
    const random = rng(42);
    const t0 = Date.now();
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < N; i += BATCH) {
      const exposures: ExposureDoc[] = [];
      const events: EventDoc[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        const customer = `c${j}`;
        const variant = random() < 0.5 ? 'control' : 'treatment';
        const exposedAt = new Date(start + j * 1000);
        const isCsat = j % 2 === 1;
        const event: EventDoc = {
          _id: `bench-${j}`,
          customerId: customer,
          type: isCsat ? 'csat' : 'conversion',
          name: isCsat ? 'csat' : 'applied',
          ...(isCsat ? { value: 1 + Math.floor(random() * 5) } : {}),
          occurredAt: new Date(exposedAt.getTime() + 3_600_000),
          receivedAt: exposedAt,
        };
        const counted = isCsat || random() < (variant === 'control' ? 0.2 : 0.21);
        const state = computeOutcomeState(
          { variant, exposedAt },
          exp.metrics,
          counted
            ? [
                {
                  id: event._id,
                  name: event.name,
                  type: event.type,
                  value: event.value,
                  occurredAt: event.occurredAt,
                },
              ]
            : [],
        );
        exposures.push({
          _id: exposureId(exp.id, 1, customer),
          experiment: exp.key,
          experimentId: exp.id,
          phase: 1,
          variant,
          unit: 'customerId',
          unitId: customer,
          customerId: customer,
          touchpoint: exp.touchpoint,
          channel: j % 3 === 0 ? 'app' : 'web',
          exposedAt,
          attributes: { channel: j % 3 === 0 ? 'app' : 'web' },
          qa: false,
          outcomes: state.outcomes,
          tally: state.tally,
        });
        events.push(event);
      }
      await Promise.all([repo.insertExposures(exposures), repo.insertEvents(events)]);
      if ((i / BATCH) % 10 === 0) {
        process.stderr.write(
          `loaded ${(i + exposures.length).toLocaleString('en-US')} / ${N.toLocaleString('en-US')} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
        );
      }
    }
    const loadMs = Date.now() - t0;

    const times: number[] = [];
    let peakRss = process.memoryUsage().rss;
    let last: Awaited<ReturnType<typeof refresh.refresh>> | undefined;
    for (let r = 0; r < REFRESHES; r++) {
      const t = Date.now();
      last = await refresh.refresh(exp.key, 'manual');
      times.push(Date.now() - t);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    times.sort((a, b) => a - b);
    const server = process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded FerretDB 1.24 (SQLite)';
    console.log(`server: ${server}, aggregation: ${values.aggregation}`);
    console.log(
      `exposures: ${N.toLocaleString('en-US')}, events: ${N.toLocaleString('en-US')}, segments: ${values.segments ? 'channel' : 'none'}`,
    );
    console.log(`load (bulk insert, both collections): ${(loadMs / 1000).toFixed(1)} s`);
    console.log(
      `refresh: median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(2)} s, min ${(times[0]! / 1000).toFixed(2)} s, max ${(times[times.length - 1]! / 1000).toFixed(2)} s over ${REFRESHES}`,
    );
    console.log(`RSS after refreshes (this process): ${mb(peakRss)}`);
    console.log(
      `exposures counted: ${JSON.stringify(last?.counts?.exposures)}; decision: ${last?.readout?.decision.action}`,
    );
  } finally {
    await services.capture.close();
    await connection.close();
    await stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

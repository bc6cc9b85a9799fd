/**
 * Events benchmark: batches of 500 through POST /v1/events (auth, per-item validation, durable
 * unordered insert) into the embedded database, against the MongoDB driver's own insertMany of the
 * same documents in the same run; then outcome attribution, which runs behind the response (alone,
 * and while events keep arriving). Target: at least 0.5x the driver's events
 * per second. Run alone with `npx tsx scripts/bench-events.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createComposition } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase, isFerretDb } from '../src/db/connection.ts';
import { freePort, startEmbeddedDatabase } from '../src/db/embedded.ts';
import { systemActor } from '../src/domain/roles.ts';
import { createApp } from '../src/http/app.ts';
import { createHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/logger.ts';
import { runIfMain } from './bench-output.ts';

const BATCH = 500;
const BATCHES = Number(process.env.BENCH_EVENT_BATCHES ?? 40);
const rssMb = (): number => Math.round(process.memoryUsage().rss / 1e5) / 10;

function batchOf(b: number, run: string) {
  const types = ['conversion', 'csat', 'nps', 'revenue'] as const;
  const occurredAt = new Date(Date.now() - 60_000).toISOString();
  return Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    const type = types[n % 4];
    const base = { eventId: `${run}-${n}`, customerId: `cust-${n % 5000}`, occurredAt, channel: 'web' };
    if (type === 'conversion') return { ...base, type, name: 'applied' };
    if (type === 'revenue') return { ...base, type, amount: 49.9, currency: 'EUR' };
    return { ...base, type, value: type === 'csat' ? 4 : 9 };
  });
}

/** The documents the service stores for a batch, for the driver's own insertMany. */
function docsOf(events: ReturnType<typeof batchOf>) {
  const receivedAt = new Date();
  return events.map((e) => ({
    _id: e.eventId,
    customerId: e.customerId,
    type: e.type,
    name: 'name' in e ? e.name : e.type,
    ...('value' in e ? { value: e.value } : {}),
    ...('amount' in e ? { value: e.amount, currency: e.currency } : {}),
    occurredAt: new Date(e.occurredAt),
    receivedAt,
    channel: e.channel,
  }));
}

export async function runEventsBench(): Promise<{ title: string; rows: Record<string, string | number>[] }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-bench-events-'));
  const port = await freePort();
  const db = await startEmbeddedDatabase({ dataDir, port });
  const rows: Record<string, string | number>[] = [];
  try {
    const connection = await connectDatabase(`mongodb://127.0.0.1:${port}/bench_events`);
    const logger = createLogger('warn');
    const root = createComposition({ config: loadConfig({ JOBS_ENABLED: 'false' }), connection, logger });
    const { services } = root;
    await services.ensureIndexes();
    const { secret } = await services.apiKeys.create(systemActor, { name: 'bench-events', role: 'app' });
    const app = createApp({ services, logger, bodyLimit: '1mb', version: 'bench' });
    const server = createHttpServer(app).listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;

    // The driver: same documents, same indexes as the events collection gets on this server (on
    // FerretDB only unique ones, see src/db/indexes.ts), a collection of its own.
    const raw = connection.collection('events_driver');
    if (!(await isFerretDb(connection))) {
      await raw.createIndex({ customerId: 1, occurredAt: 1 });
      await raw.createIndex({ name: 1, occurredAt: 1 });
    }

    // No attribution while the capture rows are measured: it would work through the warm-up
    // events on the same cores during the driver's row (it restarts for the rows that want it).
    await services.capture.attribution.stop();
    // Warm-up for both paths: a few batches each, since the first writes to a new collection
    // are several times slower on FerretDB and would otherwise count against the driver only.
    for (let b = 0; b < 4; b++) {
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ events: batchOf(b, 'warm') }),
      });
      await raw.insertMany(docsOf(batchOf(b, 'warm')) as never[], { ordered: false });
    }

    const measure = async (name: string, send: (b: number) => Promise<number>) => {
      const before = rssMb();
      let stored = 0;
      const t0 = performance.now();
      for (let b = 0; b < BATCHES; b++) stored += await send(b);
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        path: name,
        events: BATCH * BATCHES,
        stored,
        seconds: Number(seconds.toFixed(2)),
        'events/s': Math.round((BATCH * BATCHES) / seconds),
        'ms per batch of 500': Number(((seconds * 1000) / BATCHES).toFixed(1)),
        'rss before MB': before,
        'rss after MB': rssMb(),
      });
    };
    await measure('driver insertMany (ordered: false)', async (b) => {
      const res = await raw.insertMany(docsOf(batchOf(b, 'driver')) as never[], { ordered: false });
      return res.insertedCount;
    });
    const api = (run: string) => async (b: number) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ events: batchOf(b, run) }),
      });
      const body = (await res.json()) as { accepted: number };
      return body.accepted;
    };
    const attributor = services.capture.attribution;
    const drained = async (name: string) => {
      const before = rssMb();
      const t0 = performance.now();
      const attributedBefore = attributor.stats().attributedEvents;
      await attributor.drain();
      // Counted from the attributor: drain() also waits for passes the background loop had started.
      const n = attributor.stats().attributedEvents - attributedBefore;
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        path: name,
        events: n,
        stored: n,
        seconds: Number(seconds.toFixed(2)),
        'events/s': Math.round(n / seconds),
        'ms per batch of 500': Number(((seconds * 1000 * BATCH) / Math.max(n, 1)).toFixed(1)),
        'rss before MB': before,
        'rss after MB': rssMb(),
      });
    };
    // Capture alone (what the target is about): the attributor is stopped and the events stay pending.
    await attributor.stop();
    await measure('POST /v1/events: HTTP, validation, durable write', api('api'));
    await drained('attributing those pending events afterwards (drain)');
    // As served: attribution runs behind the responses, competing for the same two cores.
    attributor.start();
    await measure('POST /v1/events with the attributor running behind it', api('attributed'));
    await drained('attribution catching up after the last response (drain)');
    server.close();
    await root.close();
    await connection.close();
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const driver = Number(rows[0]?.['events/s'] ?? 1);
  const ratio = Number(rows[1]?.['events/s'] ?? 0) / driver;
  const withAttribution = Number(rows[3]?.['events/s'] ?? 0) / driver;
  return {
    title: `Events: ${BATCHES} batches of ${BATCH} into the embedded database; capture ${ratio.toFixed(2)}x the driver (target >= 0.5x: ${ratio >= 0.5 ? 'met' : 'MISSED'}), with the attributor running ${withAttribution.toFixed(2)}x`,
    rows,
  };
}

runIfMain(import.meta.url, runEventsBench);

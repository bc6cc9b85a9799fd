/**
 * The attribution thread's program: a connection of its own to the service's database and the
 * attributor working the queue on it, so the batches' decoding, arithmetic and encoding never
 * hold up the event loop that answers assignments. It does what the service's messages ask (see
 * attribution.protocol.ts) and reports its figures after each request and twice a second.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Connection } from 'mongoose';
import { connectDatabase } from '../db/connection.js';
import { ExposureRepository } from '../db/exposure.repository.js';
import type { Attributor } from '../domain/attribution/attributor.js';
import { saveExposures } from '../domain/attribution/save-exposures.js';
import { DomainError } from '../domain/errors.js';
import type { LogSink } from '../logger.js';
import type {
  AttributionThreadData,
  FromThread,
  LogLevel,
  ThreadError,
  ToThread,
} from './attribution.protocol.js';
import { type AttributionStores, attributionStores, attributorOn } from './attributor-setup.js';

const STATS_EVERY_MS = 500;

const port = parentPort;
if (!port) throw new Error('attribution.worker runs as a worker thread');
const data = workerData as AttributionThreadData;

const post = (m: FromThread) => port.postMessage(m);

/** Log records go to the service's logger; an error is sent as its message and stack. */
const forward =
  (level: LogLevel) =>
  (fields: object, msg = ''): void => {
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) {
      plain[k] = v instanceof Error ? { message: v.message, stack: v.stack, name: v.name } : v;
    }
    try {
      post({ type: 'log', level, fields: plain, msg });
    } catch {
      post({ type: 'log', level, fields: {}, msg });
    }
  };
const logger: LogSink = { info: forward('info'), warn: forward('warn'), error: forward('error') };

function asThreadError(err: unknown): ThreadError {
  if (err instanceof DomainError) return { message: err.message, code: err.code };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** Exclusive runs waiting for the service to finish its part, by request id. */
const gates = new Map<number, () => void>();

function answer(attributor: Attributor, id: number, work: Promise<number>): void {
  work.then(
    (value) => post({ type: 'done', id, value, stats: attributor.stats() }),
    (err: unknown) => post({ type: 'failed', id, error: asThreadError(err), stats: attributor.stats() }),
  );
}

/** What the thread works with: its attributor, its connection and the stores on it. */
interface Own {
  attributor: Attributor;
  connection: Connection;
  queue: AttributionStores['queue'];
  exposures: ExposureRepository;
}

function handle({ attributor, connection, queue, exposures }: Own, m: ToThread): void {
  switch (m.type) {
    case 'start':
      attributor.start();
      return;
    case 'wake':
      attributor.wake();
      return;
    case 'drain':
      answer(attributor, m.id, attributor.drain(m.timeoutMs));
      return;
    case 'drain-once':
      answer(attributor, m.id, attributor.drainOnce());
      return;
    case 'exclusive': {
      const run = attributor.exclusive(async (seq) => {
        const released = new Promise<void>((resolve) => gates.set(m.id, resolve));
        post({ type: 'exclusive-ready', id: m.id, seq });
        await released;
        return 0;
      });
      answer(attributor, m.id, run);
      return;
    }
    case 'save-exposures': {
      const saving = saveExposures({ queue, exposures, wake: () => attributor.wake() }, m.docs);
      answer(
        attributor,
        m.id,
        saving.then(() => m.docs.length),
      );
      return;
    }
    case 'exclusive-done':
      gates.get(m.id)?.();
      gates.delete(m.id);
      return;
    case 'stop':
      answer(
        attributor,
        m.id,
        attributor.stop().then(async () => {
          await connection.close();
          return 0;
        }),
      );
      return;
  }
}

/**
 * Lowers this thread's priority. On Linux a priority set for "the caller" (pid 0) applies to the
 * calling thread alone; elsewhere it would lower the whole service, so it is left as it is.
 */
function lowerPriority(nice: number | undefined): void {
  if (!nice || process.platform !== 'linux') return;
  try {
    setPriority(nice);
  } catch (err) {
    logger.warn({ err, nice }, 'attribution thread priority not lowered');
  }
}

async function run(): Promise<void> {
  lowerPriority(data.nice);
  // Messages that arrive while the connection opens are kept and handled in order.
  const early: ToThread[] = [];
  let ready: ((m: ToThread) => void) | null = null;
  port?.on('message', (m: ToThread) => (ready ? ready(m) : early.push(m)));
  const connection = await connectDatabase(data.uri);
  const stores = attributionStores(connection);
  const exposures = new ExposureRepository(connection, data.exposureLayout);
  const attributor = attributorOn(stores, {
    attributes: data.attributes,
    logger,
    gatherMs: data.gatherMs,
    ...(data.idleMs ? { idleMs: data.idleMs } : {}),
    ...(data.batchItems ? { batchItems: data.batchItems } : {}),
    ...(data.leaseMs ? { leaseMs: data.leaseMs } : {}),
  });
  const own: Own = { attributor, connection, queue: stores.queue, exposures };
  ready = (m) => handle(own, m);
  for (const m of early.splice(0)) ready(m);
  let last = '';
  setInterval(() => {
    const stats = attributor.stats();
    const text = JSON.stringify(stats);
    if (text !== last) post({ type: 'stats', stats });
    last = text;
  }, STATS_EVERY_MS).unref();
}

// A failure to connect ends the thread; the service starts another after a pause.
run().catch((err: unknown) => {
  logger.error({ err }, 'attribution thread could not start');
  process.exit(1);
});

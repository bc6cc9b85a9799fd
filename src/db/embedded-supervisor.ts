import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger.js';
import type { EmbeddedDatabase } from './embedded.js';

/**
 * `ready`: the last probe answered. `starting`: restarted, no probe answered yet. `down`: the
 * server exited or stopped answering; a restart is scheduled. `failed`: restarts gave up.
 */
export type EmbeddedState = 'ready' | 'starting' | 'down' | 'failed' | 'stopped';

export interface EmbeddedHealth {
  ready: boolean;
  state: EmbeddedState;
  /** Why the server is not ready, when it is not. */
  reason?: string;
  /** Restarts since the service started. */
  restarts: number;
}

export interface SupervisionOptions {
  /** Time between probes, and the most a probe may take before it counts as unanswered. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Unanswered probes in a row after which the server is killed and restarted. */
  failuresBeforeRestart: number;
  /** More restarts than this within `restartWindowMs` and the supervisor gives up. */
  maxRestarts: number;
  restartWindowMs: number;
  /** Wait before the first restart in the window, doubled for each further one. */
  backoffMs: number;
}

export interface SuperviseParams {
  /** The running server, started by this process. */
  first: EmbeddedDatabase;
  /** Starts the server again, on the same data folder and port (the service's connection stays). */
  restart: () => Promise<EmbeddedDatabase>;
  /** The service's database on that server; probes read it (see `probe`). */
  uri: string;
  logger: Logger;
  options: SupervisionOptions;
  /** Called once when the server cannot be kept running: the service must not run on without it. */
  onGiveUp: (err: Error) => void;
}

export interface EmbeddedSupervisor {
  health(): EmbeddedHealth;
  /** Stops watching and stops the server. */
  stop(): Promise<void>;
}

/** Collection the probes read: it lives in the service's database, so it shares its SQLite pool. */
const PROBE_COLLECTION = 'embedded_probe';

/**
 * Watches an embedded server this process started: its exit, and a probe every
 * `pingIntervalMs`. A server that exits, or misses `failuresBeforeRestart` probes in a row, is
 * reported not ready, logged, killed if still running, and started again with backoff.
 */
export async function superviseEmbeddedDatabase(params: SuperviseParams): Promise<EmbeddedSupervisor> {
  const { logger, options } = params;
  // A connection of its own with short timeouts: the service's pool may be the thing that hangs.
  const probes: Connection = mongoose.createConnection(params.uri, {
    bufferCommands: false,
    autoIndex: false,
    maxPoolSize: 1,
    serverSelectionTimeoutMS: options.pingTimeoutMs,
    socketTimeoutMS: options.pingTimeoutMs * 2,
  });
  await probes.asPromise();
  // The read below needs a stored document: FerretDB answers a read of a missing collection
  // without opening the database file at all.
  await probes.collection(PROBE_COLLECTION).updateOne(
    { _id: 'probe' as never },
    { $set: { at: new Date() } },
    {
      upsert: true,
    },
  );

  let current = params.first;
  let state: EmbeddedState = 'ready';
  let reason: string | undefined;
  let restarts = 0;
  let failures = 0;
  // Bumped on every restart, so a late exit or probe result of an earlier server is ignored.
  let generation = 0;
  const attempts: number[] = [];
  let timer: NodeJS.Timeout | undefined;

  const schedule = (fn: () => void, ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
    timer.unref();
  };

  const watchExit = (db: EmbeddedDatabase, gen: number) => {
    db.process.once('exit', (code, signal) => {
      if (gen !== generation || state === 'stopped' || state === 'failed') return;
      // The server's last words go to the log; /readyz gets the short reason.
      fail(`embedded database exited (code ${code}, signal ${signal})`, db.output().trim().slice(-2000));
    });
  };

  /** A ping, which the server's network loop answers, and a point read, which needs SQLite. */
  const probe = async (): Promise<void> => {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          await probes.db!.admin().command({ ping: 1 });
          await probes.collection(PROBE_COLLECTION).findOne({ _id: 'probe' as never });
        })(),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`no answer in ${options.pingTimeoutMs} ms`)),
            options.pingTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  };

  const tick = async () => {
    const gen = generation;
    try {
      await probe();
      if (gen !== generation || (state !== 'ready' && state !== 'starting')) return;
      if (state === 'starting') logger.info({ restarts }, 'embedded database restarted and answering');
      state = 'ready';
      reason = undefined;
      failures = 0;
    } catch (err) {
      if (gen !== generation || (state !== 'ready' && state !== 'starting')) return;
      failures++;
      logger.warn({ err, failures }, 'embedded database probe failed');
      if (failures >= options.failuresBeforeRestart) {
        fail(`embedded database did not answer ${failures} probes in a row (${String(err)})`);
        return;
      }
    }
    schedule(() => void tick(), options.pingIntervalMs);
  };

  const fail = (why: string, output?: string) => {
    if (state === 'down' || state === 'failed' || state === 'stopped') return;
    state = 'down';
    reason = why;
    failures = 0;
    generation++;
    logger.error(
      { reason: why, ...(output ? { output } : {}) },
      'embedded database unavailable; restarting it',
    );
    // A server that hangs still holds the data folder and the port.
    current.kill();
    restartLater();
  };

  const restartLater = () => {
    const now = Date.now();
    while (attempts.length > 0 && (attempts[0] ?? 0) < now - options.restartWindowMs) attempts.shift();
    if (attempts.length >= options.maxRestarts) {
      giveUp(
        new Error(
          `${attempts.length} restarts within ${options.restartWindowMs} ms, none kept it running; last: ${reason}`,
        ),
      );
      return;
    }
    attempts.push(now);
    schedule(() => void restart(), options.backoffMs * 2 ** (attempts.length - 1));
  };

  const restart = async () => {
    try {
      await exited(current);
      const db = await params.restart();
      if (state === 'stopped') {
        await db.stop();
        return;
      }
      current = db;
      restarts++;
      state = 'starting';
      reason = 'embedded database restarted; waiting for it to answer';
      watchExit(db, generation);
      schedule(() => void tick(), 0);
    } catch (err) {
      if (state === 'stopped') return;
      logger.error({ err }, 'embedded database restart failed');
      reason = `restart failed: ${err instanceof Error ? err.message : String(err)}`;
      restartLater();
    }
  };

  const giveUp = (err: Error) => {
    state = 'failed';
    reason = err.message;
    clearTimeout(timer);
    logger.fatal({ err }, 'embedded database could not be kept running');
    params.onGiveUp(err);
  };

  watchExit(current, generation);
  schedule(() => void tick(), options.pingIntervalMs);

  return {
    health: () => ({ ready: state === 'ready', state, ...(reason ? { reason } : {}), restarts }),
    async stop() {
      state = 'stopped';
      clearTimeout(timer);
      await probes.close(true).catch(() => undefined);
      await current.stop();
    },
  };
}

function exited(db: EmbeddedDatabase): Promise<void> {
  if (db.process.exitCode !== null || db.process.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => db.process.once('exit', () => resolve()));
}

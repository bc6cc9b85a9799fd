import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type { Connection } from 'mongoose';
import type { Logger } from '../logger.js';
import { connectDatabase } from './connection.js';
import { type EmbeddedDatabase, repoRoot, startEmbeddedDatabase } from './embedded.js';
import {
  type EmbeddedHealth,
  type EmbeddedSupervisor,
  type SupervisionOptions,
  superviseEmbeddedDatabase,
} from './embedded-supervisor.js';

/**
 * Where the embedded database of a data folder listens: a port in 27100-28099 chosen from the
 * folder's absolute path, so two checkouts on one machine do not meet on one port.
 */
export function embeddedPort(dbDir: string): number {
  return 27100 + (createHash('sha256').update(path.resolve(dbDir)).digest().readUInt32BE(0) % 1000);
}

/** Written beside the data while this folder's server runs: which port and process serve it. */
const MARKER = 'server.json';

function servesThisFolder(dbDir: string, port: number): boolean {
  try {
    const marker = JSON.parse(readFileSync(path.join(dbDir, MARKER), 'utf8')) as {
      port?: number;
      pid?: number;
    };
    if (marker.port !== port || typeof marker.pid !== 'number') return false;
    process.kill(marker.pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface OpenedDatabase {
  uri: string;
  connection: Connection;
  /** The supervised embedded server's state, when this process started and watches one. */
  embeddedHealth?: () => EmbeddedHealth;
  /** Closes the connection and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/** Watch the embedded server this process starts; `onGiveUp` when it cannot be kept running. */
export interface SuperviseEmbedded {
  options: SupervisionOptions;
  onGiveUp: (err: Error) => void;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * `MONGODB_URI` wins when set and nothing is started. Otherwise the embedded FerretDB serves the
 * data folder; when it already runs (a CLI beside `npm start`), this process connects to it
 * rather than opening the same SQLite files from a second server.
 */
export async function openDatabase(
  opts: {
    mongodbUri?: string | undefined;
    dataDir: string;
    supervise?: SuperviseEmbedded;
    /** The embedded server's niceness (EMBEDDED_DB_NICE for the service; CLIs start it at 0). */
    nice?: number;
    /** Its `GOGC` (EMBEDDED_DB_GOGC for the service; CLIs start it at the default). */
    gcPercent?: number;
  },
  logger: Logger,
): Promise<OpenedDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let supervisor: EmbeddedSupervisor | undefined;
  let uri = opts.mongodbUri;
  if (!uri) {
    const dataDir = path.resolve(repoRoot, opts.dataDir, 'db');
    const port = embeddedPort(dataDir);
    uri = `mongodb://127.0.0.1:${port}/nudgelab`;
    if (await portAnswers(port)) {
      // Only this folder's own server is reused; anything else on the port is not our data.
      if (!servesThisFolder(dataDir, port)) {
        throw new Error(
          `Port ${port} answers, but not with the embedded database of ${dataDir}. Stop that server or set MONGODB_URI.`,
        );
      }
      logger.info({ uri }, 'embedded database already running; connecting to it');
    } else {
      // A restart by the supervisor gets a new process: the marker follows it.
      const start = async () => {
        const started = await startEmbeddedDatabase({
          dataDir,
          port,
          nice: opts.nice ?? 0,
          ...(opts.gcPercent === undefined ? {} : { gcPercent: opts.gcPercent }),
        });
        writeFileSync(path.join(dataDir, MARKER), JSON.stringify({ port, pid: started.process.pid }), {
          mode: 0o600,
        });
        return started;
      };
      embedded = await start();
      logger.info(
        { dataDir, uri, nice: embedded.nice, gcPercent: embedded.gcPercent },
        'embedded database started (FerretDB, SQLite)',
      );
      if (opts.supervise) {
        try {
          supervisor = await superviseEmbeddedDatabase({
            first: embedded,
            restart: start,
            uri,
            logger,
            options: opts.supervise.options,
            onGiveUp: opts.supervise.onGiveUp,
          });
        } catch (err) {
          await embedded.stop();
          throw err;
        }
      }
    }
  }
  const marker = embedded ? path.join(path.resolve(repoRoot, opts.dataDir, 'db'), MARKER) : undefined;
  const stopEmbedded = async () => {
    if (supervisor) await supervisor.stop();
    else await embedded?.stop();
    if (marker) rmSync(marker, { force: true });
  };
  let connection: Connection;
  try {
    connection = await connectDatabase(uri);
  } catch (err) {
    await stopEmbedded();
    throw err;
  }
  return {
    uri,
    connection,
    ...(supervisor ? { embeddedHealth: supervisor.health } : {}),
    async close() {
      await connection.close();
      await stopEmbedded();
    },
  };
}

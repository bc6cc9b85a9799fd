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

/** Where the embedded database listens when `npm start` (or a CLI) runs it. */
export const EMBEDDED_PORT = 27018;

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
  opts: { mongodbUri?: string | undefined; dataDir: string; supervise?: SuperviseEmbedded },
  logger: Logger,
): Promise<OpenedDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let supervisor: EmbeddedSupervisor | undefined;
  let uri = opts.mongodbUri;
  if (!uri) {
    uri = `mongodb://127.0.0.1:${EMBEDDED_PORT}/nudgelab`;
    if (await portAnswers(EMBEDDED_PORT)) {
      logger.info({ uri }, 'embedded database already running; connecting to it');
    } else {
      const dataDir = path.resolve(repoRoot, opts.dataDir, 'db');
      const start = () => startEmbeddedDatabase({ dataDir, port: EMBEDDED_PORT });
      embedded = await start();
      logger.info({ dataDir, uri }, 'embedded database started (FerretDB, SQLite)');
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
  const stopEmbedded = async () => {
    if (supervisor) await supervisor.stop();
    else await embedded?.stop();
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

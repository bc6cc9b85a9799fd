import { connect } from 'node:net';
import path from 'node:path';
import type { Connection } from 'mongoose';
import type { Logger } from '../logger.js';
import { connectDatabase } from './connection.js';
import { type EmbeddedDatabase, repoRoot, startEmbeddedDatabase } from './embedded.js';

/** Where the embedded database listens when `npm start` (or a CLI) runs it. */
export const EMBEDDED_PORT = 27018;

export interface OpenedDatabase {
  uri: string;
  connection: Connection;
  /** Closes the connection and stops the embedded server if this process started it. */
  close(): Promise<void>;
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
  opts: { mongodbUri?: string | undefined; dataDir: string },
  logger: Logger,
): Promise<OpenedDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let uri = opts.mongodbUri;
  if (!uri) {
    uri = `mongodb://127.0.0.1:${EMBEDDED_PORT}/nudgelab`;
    if (await portAnswers(EMBEDDED_PORT)) {
      logger.info({ uri }, 'embedded database already running; connecting to it');
    } else {
      const dataDir = path.resolve(repoRoot, opts.dataDir, 'db');
      embedded = await startEmbeddedDatabase({ dataDir, port: EMBEDDED_PORT });
      logger.info({ dataDir, uri }, 'embedded database started (FerretDB, SQLite)');
    }
  }
  let connection: Connection;
  try {
    connection = await connectDatabase(uri);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return {
    uri,
    connection,
    async close() {
      await connection.close();
      await embedded?.stop();
    },
  };
}

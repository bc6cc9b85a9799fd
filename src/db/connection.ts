import mongoose, { type Connection } from 'mongoose';

/**
 * Opens the Mongoose connection the repositories share. Commands are never buffered: when the
 * database is down a query fails at once instead of hanging the request.
 */
export async function connectDatabase(uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    bufferCommands: false,
    autoIndex: false,
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: 20,
  });
  await connection.asPromise();
  return connection;
}

/** True when a ping reaches the server within the driver's selection timeout. */
export async function pingDatabase(connection: Connection): Promise<boolean> {
  try {
    if (!connection.db) return false;
    await connection.db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}

const ferretByConnection = new WeakMap<Connection, Promise<boolean>>();

/** True when the server is FerretDB (its buildInfo carries `ferretdbVersion`); asked once per connection. */
export function isFerretDb(connection: Connection): Promise<boolean> {
  let known = ferretByConnection.get(connection);
  if (!known) {
    known = (async () => {
      const info = await connection.db!.admin().command({ buildInfo: 1 });
      return 'ferretdbVersion' in info;
    })().catch(() => false);
    ferretByConnection.set(connection, known);
  }
  return known;
}

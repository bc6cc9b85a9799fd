import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ferretBinary = path.join(repoRoot, '.cache', 'ferretdb');
/** The system's `nice`, to start the server at a lower CPU priority (none on Windows). */
const niceBinary = ['/usr/bin/nice', '/bin/nice'].find((p) => existsSync(p));

/**
 * The embedded server's Go garbage-collection target (`GOGC`): a collection once the heap has
 * grown this many percent over what the last one kept. Go's own 100 made a quarter of the
 * server's CPU garbage collection while it stored exposures; at 400 its heap grows to about five
 * times its live data (tens of MB) and the collections take far less (scripts/README.md).
 */
export const DEFAULT_DB_GC_PERCENT = 400;

/** A start-up failure with a message that says what to do; printed as one line, without a stack. */
export class StartupError extends Error {}

export interface EmbeddedDatabase {
  uri: string;
  stop(): Promise<void>;
  /** Kills the server without a clean shutdown (used to test database outages). */
  kill(): void;
  /** The last few KB the server wrote to stderr (why it stopped, when it did). */
  output(): string;
  process: ChildProcess;
  /** The niceness the server was started with (0 when none was asked for or `nice` is missing). */
  nice: number;
  /** Its `GOGC`. */
  gcPercent: number;
}

/**
 * Starts the embedded FerretDB (SQLite) server and resolves once it accepts connections. `nice`
 * (1-19) starts it at a lower CPU priority, every thread of it: on a machine it shares with the
 * service, the database's work (storing exposures, attribution's reads) then waits for the
 * service's answers instead of taking turns with them.
 */
export async function startEmbeddedDatabase(opts: {
  dataDir: string;
  host?: string;
  port: number;
  nice?: number;
  /** `GOGC` for the server (default DEFAULT_DB_GC_PERCENT). */
  gcPercent?: number;
}): Promise<EmbeddedDatabase> {
  if (!existsSync(ferretBinary)) {
    throw new StartupError(
      `The embedded database is not built (${ferretBinary}): run "npm run build:db" (needs Go 1.22+), or set MONGODB_URI to a MongoDB server.`,
    );
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const listen = `${opts.host ?? '127.0.0.1'}:${opts.port}`;
  const args = ['--listen', listen, '--data', opts.dataDir];
  // `nice` sets the priority and execs the server in the same process, before its first thread starts.
  const nice = opts.nice && niceBinary ? opts.nice : 0;
  const gcPercent = opts.gcPercent ?? DEFAULT_DB_GC_PERCENT;
  const spawnOptions = {
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GOGC: String(gcPercent) },
  };
  const child =
    nice > 0 && niceBinary
      ? spawn(niceBinary, ['-n', String(nice), ferretBinary, ...args], spawnOptions)
      : spawn(ferretBinary, args, spawnOptions);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded database did not start:\n${stderr}`)), 30000);
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /ready (\S+)/.exec(chunk.toString());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded database exited with ${code}:\n${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    uri,
    process: child,
    nice,
    gcPercent,
    kill: () => child.kill('SIGKILL'),
    output: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

import { type Config, ConfigError, loadConfig } from '../config.js';
import { DomainError } from '../domain/errors.js';
import type { Actor } from '../domain/roles.js';
import type { Services } from '../domain/services.js';
import { createLogger } from '../logger.js';

/** Changes made from the command line are audited under this actor name. */
export function cliActor(name: string): Actor {
  return { keyId: name, name, role: 'admin', source: 'cli' };
}

/**
 * Runs `fn` with the real services on the database `npm start` uses (MONGODB_URI, or the
 * embedded one), then closes everything. Logs go to stderr only at warn and above, so stdout
 * carries just the command's own output.
 */
export async function withServices<R>(fn: (services: Services, config: Config) => Promise<R>): Promise<R> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  // Loaded here, not at the top: the driver and every service are most of a command's start-up,
  // and a usage error or --help needs neither.
  const [{ openDatabase }, { createComposition }] = await Promise.all([
    import('../db/open-database.js'),
    import('../composition.js'),
  ]);
  const database = await openDatabase({ mongodbUri: config.MONGODB_URI, dataDir: config.DATA_DIR }, logger);
  // Command lines assign nothing, so no data folder: their exposure journal is a throw-away one,
  // never the one a running service uses.
  const root = createComposition({ config, connection: database.connection, logger, database });
  try {
    await root.services.ensureIndexes();
    return await fn(root.services, config);
  } finally {
    await root.close();
  }
}

function fail(lines: string[]): never {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(2);
}

/**
 * The process around a command: prints its output lines on stdout; refused input (a domain error
 * with its fields, or bad arguments with the usage) goes to stderr with exit code 2; anything else
 * is a crash with exit code 1.
 */
export function runCommand(run: (services: Services) => Promise<string[]>, usage: string): void {
  withServices(run)
    .then((lines) => {
      process.stdout.write(`${lines.join('\n')}\n`);
    })
    .catch((err: unknown) => {
      if (err instanceof DomainError) {
        const fields =
          (err.details as { fields?: { path: string; reason: string }[] } | undefined)?.fields ?? [];
        fail([err.message, ...fields.map((f) => `  ${f.path}: ${f.reason}`)]);
      }
      if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
        fail([err.message, usage]);
      }
      console.error(err);
      process.exit(1);
    });
}

import type { Server } from 'node:http';
import path from 'node:path';
import { createComposition } from './composition.js';
import { ConfigError, loadConfig } from './config.js';
import { repoRoot, StartupError } from './db/embedded.js';
import { openDatabase } from './db/open-database.js';
import { systemActor } from './domain/roles.js';
import { syncOnFirstStart } from './domain/sync/first-start.js';
import { createApp } from './http/app.js';
import { closeHttpServer, createHttpServer } from './http/server.js';
import { startBanner } from './http/start-banner.js';
import { createLogger } from './logger.js';
import { installCrashHandlers } from './process-guards.js';
import { applyRuntimeFlags } from './runtime-flags.js';

async function main(): Promise<void> {
  applyRuntimeFlags();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);

  // Until the service is up, losing the embedded database ends start-up; then, a clean shutdown.
  let onDatabaseLost: (err: Error) => void = (err) => {
    logger.fatal({ err }, 'embedded database lost during start-up');
    process.exit(1);
  };
  const database = await openDatabase(
    {
      mongodbUri: config.MONGODB_URI,
      dataDir: config.DATA_DIR,
      nice: config.EMBEDDED_DB_NICE,
      gcPercent: config.EMBEDDED_DB_GOGC,
      supervise: {
        options: {
          pingIntervalMs: config.EMBEDDED_PING_INTERVAL_MS,
          pingTimeoutMs: config.EMBEDDED_PING_TIMEOUT_MS,
          failuresBeforeRestart: config.EMBEDDED_PING_FAILURES,
          maxRestarts: config.EMBEDDED_MAX_RESTARTS,
          restartWindowMs: config.EMBEDDED_RESTART_WINDOW_MS,
          backoffMs: config.EMBEDDED_RESTART_BACKOFF_MS,
        },
        onGiveUp: (err) => onDatabaseLost(err),
      },
    },
    logger,
  );
  const root = createComposition({
    config,
    connection: database.connection,
    databaseUri: database.uri,
    logger,
    dataDir: path.resolve(repoRoot, config.DATA_DIR),
    database,
  });
  const { services } = root;
  await services.ensureIndexes();
  if (config.BOOTSTRAP_ADMIN_KEY) {
    const outcome = await services.apiKeys.ensureBootstrapKey(systemActor, config.BOOTSTRAP_ADMIN_KEY);
    if (outcome === 'created') logger.info('bootstrap admin key created; earlier bootstrap keys revoked');
    if (outcome === 'revoked') {
      logger.warn(
        'BOOTSTRAP_ADMIN_KEY names a key that was revoked; it stays revoked. Unset it or set a new one.',
      );
    }
  }
  await syncOnFirstStart(services, path.resolve(repoRoot, config.EXPERIMENTS_DIR), logger);

  if (!config.SESSION_SECRET) {
    logger.info('SESSION_SECRET unset: dashboard sessions use a random key and end when the process stops');
  }
  const app = createApp({
    services,
    logger,
    bodyLimit: config.BODY_LIMIT,
    version: '0.1.0',
    dashboard: {
      sessionSecret: config.SESSION_SECRET,
      sessionTtlMinutes: config.SESSION_TTL_MINUTES,
      pdf: root.pdf,
    },
    ...(database.embeddedHealth ? { embeddedDatabase: database.embeddedHealth } : {}),
    security: {
      trustProxy: config.TRUST_PROXY,
      rateLimits: {
        windowMs: config.RATE_LIMIT_WINDOW_MS,
        perKey: config.RATE_LIMIT_PER_KEY,
        failedAuth: config.RATE_LIMIT_FAILED_AUTH,
        signIn: config.RATE_LIMIT_SIGN_IN,
      },
      ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    },
  });
  const server: Server = createHttpServer(app, { keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS }).listen(
    config.PORT,
    config.HOST,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  logger.info({ port: config.PORT, url: `http://localhost:${config.PORT}` }, 'nudgelab listening');
  const firstKey = config.BOOTSTRAP_ADMIN_KEY
    ? null
    : await services.apiKeys.ensureFirstAdminKey(systemActor);
  if (firstKey) logger.info({ key: firstKey.key.name }, 'first admin key created (printed once on stdout)');
  // Plain text on stdout rather than a log line: the secret must not end up in collected logs.
  process.stdout.write(
    startBanner({
      host: config.HOST,
      port: (server.address() as { port: number }).port,
      ...(firstKey ? { firstAdminSecret: firstKey.secret } : {}),
    }),
  );
  root.startJobs();

  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardLimit = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    hardLimit.unref();
    // Requests in flight finish first; then jobs, buffers, deliveries and the database, in order.
    await closeHttpServer(server);
    await root.close();
    logger.info('stopped');
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Never a service that runs on without its database: stop (buffered exposures go to the journal).
  onDatabaseLost = () => void shutdown('embedded database lost', 1);
  // The same close path as a signal, with exit code 1 (shutdown exits the process itself).
  installCrashHandlers(process, logger, () => shutdown('crash', 1));
}

main().catch((err) => {
  // A start-up failure a person can act on is one line; anything else keeps its stack.
  if (err instanceof StartupError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});

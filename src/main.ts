import type { Server } from 'node:http';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';
import { repoRoot, StartupError } from './db/embedded.js';
import { openDatabase } from './db/open-database.js';
import { systemActor } from './domain/roles.js';
import { createServices } from './domain/services.js';
import { syncOnFirstStart } from './domain/sync/first-start.js';
import { createApp } from './http/app.js';
import { createPdfPrinter } from './http/dashboard/pdf-printer.js';
import { startBanner } from './http/start-banner.js';
import * as recomputeReadouts from './jobs/recompute-readouts.job.js';
import * as refreshSnapshots from './jobs/refresh-snapshots.job.js';
import { type RunningJobs, startJobs } from './jobs/registry.js';
import { createLogger } from './logger.js';
import { installCrashHandlers } from './process-guards.js';

async function main(): Promise<void> {
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
  const connection = database.connection;
  const services = createServices({
    connection,
    logger,
    capture: {
      dataDir: path.resolve(repoRoot, config.DATA_DIR),
      journalMaxBytes: config.JOURNAL_MAX_BYTES,
      pollMs: config.PAYLOAD_POLL_MS,
      exposureAttributes: config.EXPOSURE_ATTRIBUTES,
    },
    readouts: { webhookUrls: config.WEBHOOK_URLS, segmentAttributes: config.EXPOSURE_ATTRIBUTES },
  });
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

  // Chromium is launched on the first PDF export only, and closed at shutdown.
  const pdf = createPdfPrinter({
    logger,
    ...(config.CHROMIUM_PATH ? { executablePath: config.CHROMIUM_PATH } : {}),
  });
  if (!config.SESSION_SECRET) {
    logger.info('SESSION_SECRET unset: dashboard sessions use a random key and end when the process stops');
  }
  const app = createApp({
    services,
    logger,
    bodyLimit: config.BODY_LIMIT,
    version: '0.1.0',
    dashboard: { sessionSecret: config.SESSION_SECRET, sessionTtlMinutes: config.SESSION_TTL_MINUTES, pdf },
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
  const server: Server = app.listen(config.PORT, config.HOST);
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
  let jobs: RunningJobs | undefined;
  if (config.JOBS_ENABLED) {
    const refreshDeps: refreshSnapshots.RefreshSnapshotsDeps = {
      experiments: services.experiments,
      refresh: services.refresh,
      defaultSchedule: config.REFRESH_SCHEDULE,
      logger,
    };
    const recomputeDeps: recomputeReadouts.RecomputeReadoutsDeps = {
      experiments: services.experiments,
      recompute: (key) => services.recompute(key),
      logger,
    };
    jobs = startJobs(
      [
        { job: refreshSnapshots, deps: () => refreshDeps },
        { job: recomputeReadouts, deps: () => recomputeDeps },
      ],
      logger,
    );
  } else {
    logger.info('JOBS_ENABLED=false: scheduled jobs are off');
  }

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
    await jobs?.stop();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    // Buffered exposures are written (or journaled) before the connection goes.
    await services.capture.close();
    await pdf.close().catch((err) => logger.warn({ err }, 'closing the PDF browser failed'));
    await database.close();
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

import { z } from 'zod';
import { DEFAULT_DB_GC_PERCENT } from './db/embedded.js';
import { nudgeTypes } from './domain/schemas/nudge.schema.js';

/** A comma-separated variable as its non-empty, trimmed items. */
const commaList = (s: string): string[] =>
  s
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  MONGODB_URI: z.string().startsWith('mongodb').optional(),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  EXPERIMENTS_DIR: z.string().default('experiments'),
  JOBS_ENABLED: bool.default(true),
  REFRESH_SCHEDULE: z.string().default('0 * * * *'),
  WEBHOOK_URLS: z.string().default('').transform(commaList).pipe(z.array(z.url())),
  EXPOSURE_ATTRIBUTES: z.string().default('segment,channel,country,plan,device').transform(commaList),
  PAST_NUDGE_PRIORS: z
    .string()
    .default('')
    .transform(commaList)
    .pipe(z.array(z.enum(nudgeTypes))),
  JOURNAL_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /**
   * Answer an assignment only once its new exposures are synced to the local exposure log
   * under DATA_DIR (replayed at the next start); false answers first (a crash loses up to ~50 ms).
   */
  EXPOSURE_DURABLE: bool.default(true),
  /**
   * With EXPOSURE_DURABLE, how far an answered exposure is kept: true (default) syncs each group
   * of appends to disk before the answer (fdatasync, or O_DSYNC writes; see EXPOSURE_LOG_WRITES),
   * so it survives a power loss or a crash of the machine; false answers once the lines are
   * written to the operating system, which survives the service being killed (kill -9, out of
   * memory) but not the machine going down, and saves the sync's wait.
   */
  EXPOSURE_SYNC: bool.default(true),
  /**
   * How exposures are stored: packed (`_id`, `experimentId`, `phase` and the rest as one JSON
   * string, which the embedded database inserts for about half the CPU) or fields (one field per value,
   * for MongoDB users who query the collection). Absent: packed on the embedded database, fields
   * with MONGODB_URI. Readers take both, so it can be changed at any time.
   */
  EXPOSURE_LAYOUT: z.enum(['packed', 'fields']).optional(),
  /**
   * Who syncs the exposure log: thread (default), a thread of the log's own, while the event loop
   * puts each group into the file and serves requests (a thread that dies hands its syncs to the
   * pool); inline, the event loop itself, which waits for the local disk but for no thread to be
   * scheduled (an inline write slower than 20 ms sends the next 10 s of writes to the pool); pool,
   * libuv's thread pool, for slow or network disks.
   */
  EXPOSURE_LOG_WRITES: z.enum(['inline', 'thread', 'pool']).default('thread'),
  /**
   * How often buffered exposures are inserted into the database (ms). Unset: 250 with
   * EXPOSURE_DURABLE (they are on disk in the exposure log meanwhile), 50 without (what a crash
   * of the process can lose).
   */
  EXPOSURE_FLUSH_MS: z.coerce.number().int().min(10).max(5000).optional(),
  /**
   * After a batch less than a quarter full, the attributor waits this long (ms) before the next,
   * so light traffic is attributed in fewer, larger batches; 0: at once.
   */
  ATTRIBUTION_GATHER_MS: z.coerce.number().int().min(0).max(10000).default(1000),
  /**
   * Attribution runs in a worker thread with a database connection of its own (default), so its
   * batches never hold up the event loop that answers assignments, and that thread stores the
   * exposures too; false: both in the service's thread.
   */
  ATTRIBUTION_THREAD: bool.default(true),
  /**
   * The attribution thread's CPU priority below the event loop's (0-19, Linux only; default 10):
   * on a busy machine its batches yield to answering assignments instead of taking turns with them.
   */
  ATTRIBUTION_THREAD_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Extra wait (ms) that gathers more exposure log appends into one synced write; 0: none. */
  EXPOSURE_GROUP_COMMIT_MS: z.coerce.number().int().min(0).max(50).default(0),
  /**
   * The most bytes of zeros written into a new exposure log segment ahead of its first append,
   * when syncing (0: none): a synced write over them only makes its data durable, with no file
   * size to update. A segment gets twice what the last sealed one held (at least 4 KiB; the first
   * ones 1 MiB), so the zeros follow the rate.
   */
  EXPOSURE_LOG_PREALLOCATE_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  PAYLOAD_POLL_MS: z.coerce.number().int().positive().default(2000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
  SESSION_SECRET: z.string().min(16).optional(),
  SESSION_TTL_MINUTES: z.coerce.number().int().positive().default(480),
  BODY_LIMIT: z.string().default('1mb'),
  /**
   * How long an idle kept-alive connection stays open (ms). Longer than the idle timeout of the
   * proxies and clients in front (60 s for AWS load balancers and nginx), so the service is never
   * the side that closes a connection a request is being sent on (the client would see a reset).
   */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(65_000),
  // Supervision of the embedded database this process starts (unused with MONGODB_URI).
  /**
   * The embedded database's CPU priority below the service's (0-19, `nice`; default 10): its work
   * (storing exposures, attribution's reads) yields to answering assignments on a shared machine.
   */
  EMBEDDED_DB_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /**
   * The embedded database's Go garbage-collection target (`GOGC`, 25-2000; default 400): higher
   * spends less CPU on collections and more memory on heap.
   */
  EMBEDDED_DB_GOGC: z.coerce.number().int().min(25).max(2000).default(DEFAULT_DB_GC_PERCENT),
  EMBEDDED_PING_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  EMBEDDED_PING_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  EMBEDDED_PING_FAILURES: z.coerce.number().int().positive().default(3),
  EMBEDDED_MAX_RESTARTS: z.coerce.number().int().min(0).default(5),
  EMBEDDED_RESTART_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  EMBEDDED_RESTART_BACKOFF_MS: z.coerce.number().int().positive().default(500),
  /**
   * Express `trust proxy`: `false` (default) uses the socket's address; `true`, a hop count or a
   * comma-separated list of proxy addresses/subnets trusts X-Forwarded-* from those.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string =>
      v === 'false' || v === '0' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v,
    ),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  /** Requests per window for one API key (or one address without a key); 0 turns it off. */
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(0).default(60_000),
  /** Requests answered 401 per window from one address before it is refused; 0 turns it off. */
  RATE_LIMIT_FAILED_AUTH: z.coerce.number().int().min(0).default(30),
  /** Failed dashboard sign-ins per window from one address; 0 turns it off. */
  RATE_LIMIT_SIGN_IN: z.coerce.number().int().min(0).default(10),
  /** A bearer token that may read /metrics (admin keys always may). */
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** A system Chromium for PDF exports; unset: the one shipped in the @sparticuz/chromium package. */
  CHROMIUM_PATH: z.string().min(1).optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment once; the only place that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

import type { NextFunction, Request, Response } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ExposureWriterStats } from '../domain/assignment/exposure-writer.js';
import type { AttributorStats } from '../domain/attribution/attributor.js';
import type { UnmatchedEvents } from '../domain/events/unmatched-events.js';
import type { Services } from '../domain/services.js';

/** The label of every request that matched no route, so scanners cannot grow the series count. */
export const UNMATCHED_ROUTE = '(unmatched)';

export interface AppMetrics {
  /** This app's own registry: several apps in one process (tests) never share series. */
  registry: Registry;
  /** Times every request and counts it by method, route template and status. */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
}

type Figure<S> = readonly ['counter' | 'gauge', string, string, (s: S) => number];

// The capture pipeline's own figures, read from its counters at each scrape.
const exposureFigures: readonly Figure<ExposureWriterStats>[] = [
  ['counter', 'nudgelab_exposures_enqueued_total', 'Exposures queued for writing', (s) => s.enqueued],
  [
    'counter',
    'nudgelab_exposures_stored_total',
    'Exposures written to the database (with replays)',
    (s) => s.stored,
  ],
  [
    'counter',
    'nudgelab_exposures_journaled_total',
    'Exposures written to the local journal',
    (s) => s.journaled,
  ],
  [
    'counter',
    'nudgelab_exposures_replayed_total',
    'Journaled exposures replayed to the database',
    (s) => s.replayed,
  ],
  [
    'counter',
    'nudgelab_exposures_dropped_total',
    'Exposures lost: journal and memory hold full',
    (s) => s.dropped,
  ],
  [
    'counter',
    'nudgelab_exposure_write_failures_total',
    'Failed exposure batch writes',
    (s) => s.writeFailures,
  ],
  ['gauge', 'nudgelab_exposure_buffer_size', 'Exposures waiting in memory', (s) => s.buffered],
  [
    'gauge',
    'nudgelab_exposure_held_size',
    'Exposures held in memory because the journal is full',
    (s) => s.held,
  ],
  ['gauge', 'nudgelab_exposure_journal_bytes', 'Size of the exposure journal', (s) => s.journalBytes],
  ['gauge', 'nudgelab_exposure_journal_max_bytes', 'Bound of the exposure journal', (s) => s.journalMaxBytes],
  ['gauge', 'nudgelab_exposure_journal_full', '1 when the journal is full', (s) => (s.journalFull ? 1 : 0)],
  ['counter', 'nudgelab_exposures_logged_total', 'Exposures synced to the exposure log', (s) => s.logged],
  [
    'counter',
    'nudgelab_exposure_log_syncs_total',
    'syncs of the exposure log (fdatasync calls of its thread, or O_DSYNC writes)',
    (s) => s.logSyncs,
  ],
  ['counter', 'nudgelab_exposure_log_failures_total', 'Failed exposure log appends', (s) => s.logFailures],
  [
    'counter',
    'nudgelab_exposure_log_slow_writes_total',
    'Inline exposure log writes slower than 20 ms (the next 10 s of writes then go to the thread pool)',
    (s) => s.logSlowWrites,
  ],
  [
    'counter',
    'nudgelab_exposure_log_zero_bytes_total',
    'Bytes of zeros written ahead into new exposure log segments',
    (s) => s.logZeroBytes,
  ],
  [
    'gauge',
    'nudgelab_exposure_writer_degraded',
    '1 while the database refuses writes',
    (s) => (s.degraded ? 1 : 0),
  ],
];

const attributionFigures: readonly Figure<AttributorStats>[] = [
  [
    'gauge',
    'nudgelab_attribution_pending',
    'Exposures and events queued but not yet attributed, as of the last look (-1 before it)',
    (a) => a.pending,
  ],
  ['gauge', 'nudgelab_attribution_lease_held', '1 while this process attributes', (a) => (a.holder ? 1 : 0)],
  [
    'counter',
    'nudgelab_events_attributed_total',
    'Events attributed by this process',
    (a) => a.attributedEvents,
  ],
  [
    'counter',
    'nudgelab_exposures_attributed_total',
    'Exposures attributed by this process',
    (a) => a.attributedExposures,
  ],
  [
    'counter',
    'nudgelab_attribution_batches_replayed_total',
    'Attribution batches replayed',
    (a) => a.replayed,
  ],
  ['counter', 'nudgelab_event_attribution_failures_total', 'Failed attribution batches', (a) => a.failures],
];

const unmatchedFigures: readonly Figure<UnmatchedEvents>[] = [
  [
    'counter',
    'nudgelab_events_unmatched_total',
    'Valid events stored whose name no running or recent experiment reads',
    (u) => u.count(),
  ],
];

function register<S>(registry: Registry, figures: readonly Figure<S>[], read: () => S): void {
  for (const [type, name, help, value] of figures) {
    if (type === 'gauge') {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(value(read()));
        },
      });
    } else {
      // The pipeline keeps the running total itself; the counter mirrors it at each scrape.
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value(read()));
        },
      });
    }
  }
}

/**
 * The route template a request matched (`/v1/experiments/:key/readout`), never its URL: a label
 * per distinct URL would let callers create series without bound.
 */
function routeOf(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (route === undefined) return UNMATCHED_ROUTE;
  return `${req.baseUrl}${String(route)}`;
}

/** Process metrics (event loop lag, heap, GC, CPU), request metrics and the capture figures. */
export function createMetrics(services: Services): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status_code'] as const;
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its response, by route template',
    labelNames,
    // Assignments answer in about a millisecond; readouts, exports and refreshes take seconds.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by route template, method and status',
    labelNames,
    registers: [registry],
  });
  register(registry, exposureFigures, () => services.capture.exposures.stats());
  register(registry, attributionFigures, () => services.capture.attribution.stats());
  register(registry, unmatchedFigures, () => services.capture.unmatched);
  return {
    registry,
    middleware(req, res, next) {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const labels = { method: req.method, route: routeOf(req), status_code: res.statusCode };
        duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
        requests.inc(labels);
      });
      next();
    },
  };
}

import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Services } from '../../domain/services.js';
import { presentedKey, requireRole } from '../auth.middleware.js';
import { safeEqual } from '../dashboard/session.js';
import { documentRoute } from '../route-docs.js';

/**
 * `GET /metrics`: Prometheus text with the exposure pipeline's counters and gauges. It tells how
 * busy the service is, so it needs an admin key or the configured METRICS_TOKEN.
 */
export function metricsRoutes(services: Services, metricsToken?: string): Router {
  const router = Router();
  documentRoute({
    method: 'get',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics (exposure buffer, journal, event attribution)',
    produces: 'text/plain',
    roles: [],
  });
  const admin = requireRole(services.apiKeys);
  const allowed = (req: Request, res: Response, next: NextFunction) => {
    const presented = presentedKey(req);
    if (metricsToken && presented && safeEqual(presented, metricsToken)) return next();
    return admin(req, res, next);
  };
  router.get('/metrics', allowed, (_req, res) => {
    const s = services.capture.exposures.stats();
    const a = services.capture.attribution.stats();
    const lines = [
      ['counter', 'nudgelab_exposures_enqueued_total', s.enqueued, 'Exposures queued for writing'],
      [
        'counter',
        'nudgelab_exposures_stored_total',
        s.stored,
        'Exposures written to the database (with replays)',
      ],
      [
        'counter',
        'nudgelab_exposures_journaled_total',
        s.journaled,
        'Exposures written to the local journal',
      ],
      [
        'counter',
        'nudgelab_exposures_replayed_total',
        s.replayed,
        'Journaled exposures replayed to the database',
      ],
      [
        'counter',
        'nudgelab_exposures_dropped_total',
        s.dropped,
        'Exposures lost: journal and memory hold full',
      ],
      ['counter', 'nudgelab_exposure_write_failures_total', s.writeFailures, 'Failed exposure batch writes'],
      ['gauge', 'nudgelab_exposure_buffer_size', s.buffered, 'Exposures waiting in memory'],
      [
        'gauge',
        'nudgelab_exposure_held_size',
        s.held,
        'Exposures held in memory because the journal is full',
      ],
      ['gauge', 'nudgelab_exposure_journal_bytes', s.journalBytes, 'Size of the exposure journal'],
      ['gauge', 'nudgelab_exposure_journal_max_bytes', s.journalMaxBytes, 'Bound of the exposure journal'],
      ['gauge', 'nudgelab_exposure_journal_full', s.journalFull ? 1 : 0, '1 when the journal is full'],
      [
        'gauge',
        'nudgelab_exposure_writer_degraded',
        s.degraded ? 1 : 0,
        '1 while the database refuses writes',
      ],
      [
        'gauge',
        'nudgelab_attribution_pending',
        a.pending,
        'Exposures and events queued but not yet attributed, as of the last look (-1 before it)',
      ],
      ['gauge', 'nudgelab_attribution_lease_held', a.holder ? 1 : 0, '1 while this process attributes'],
      [
        'counter',
        'nudgelab_events_attributed_total',
        a.attributedEvents,
        'Events attributed by this process',
      ],
      [
        'counter',
        'nudgelab_exposures_attributed_total',
        a.attributedExposures,
        'Exposures attributed by this process',
      ],
      ['counter', 'nudgelab_attribution_batches_replayed_total', a.replayed, 'Attribution batches replayed'],
      ['counter', 'nudgelab_event_attribution_failures_total', a.failures, 'Failed attribution batches'],
      [
        'counter',
        'nudgelab_events_unmatched_total',
        services.capture.unmatched.count(),
        'Valid events stored whose name no running or recent experiment reads',
      ],
    ] as const;
    const text = lines.map(
      ([type, name, value, help]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`,
    );
    res.type('text/plain; version=0.0.4').send(`${text.join('\n')}\n`);
  });
  return router;
}

import { createHash } from 'node:crypto';
import { fingerprintOf } from '../../metrics/registry.js';
import type { AttributableMetric } from '../outcomes/outcome-state.js';
import type { ExperimentMetrics } from './apply-batch.js';

/** Finds an experiment's metrics by experiment id; null when the experiment is gone. */
export type MetricsLookup = (experimentId: string) => Promise<ExperimentMetrics | null>;

/** Fingerprint of what attribution reads from metric definitions. */
export function metricsFingerprint(metrics: readonly AttributableMetric[]): string {
  const shape = metrics.map(fingerprintOf);
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * Caches experiments' metrics by id for a few seconds: every batch would otherwise read the
 * definitions. An unknown id reloads at once, so a new experiment is seen on its first exposure.
 */
export function cachedMetricsLookup(
  load: () => Promise<{ id: string; metrics: readonly AttributableMetric[] }[]>,
  ttlMs = 5000,
): MetricsLookup {
  let cache = new Map<string, ExperimentMetrics>();
  let loadedAt = 0;
  const reload = async () => {
    const all = await load();
    cache = new Map(all.map((e) => [e.id, { metrics: e.metrics, defs: metricsFingerprint(e.metrics) }]));
    loadedAt = Date.now();
  };
  return async (id) => {
    if (Date.now() - loadedAt > ttlMs || (!cache.has(id) && Date.now() - loadedAt > 200)) await reload();
    return cache.get(id) ?? null;
  };
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/db/embedded.js';
import type { EventDoc } from '../../src/db/models/event.model.js';
import type { ExposureDoc } from '../../src/db/models/exposure.model.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import {
  event,
  exposure,
  hours,
  insertExperiment,
  storeEvents,
  storeExposures,
} from '../helpers/readout-fixtures.js';

/**
 * The Hillstrom e-mail test (64,000 customers) through attribution, the counters, the refresh and
 * the readout API, with each customer's pre-period `history` as the covariate kept with the
 * exposure, against the least-squares figures of scripts/reference/metric_kinds.py.
 */
const csv = path.resolve(repoRoot, '../shared/data/hillstrom.csv');
const ref = JSON.parse(readFileSync(new URL('../fixtures/stats/metric-kinds.json', import.meta.url), 'utf8'))
  .cupedHillstrom as { theta: number; varianceReduction: number; adjustedMeans: Record<string, number> };
const ARMS: Record<string, string> = {
  'No E-Mail': 'no-email',
  'Mens E-Mail': 'mens',
  'Womens E-Mail': 'womens',
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
}, 60_000);
afterAll(async () => {
  await h.close();
});

describe('CUPED on the Hillstrom data through the API path', () => {
  it('when spend is adjusted by pre-period history, then the readout reports the reference slope and its 0.05% variance reduction', async () => {
    // The shared data sits beside the checkout (CI puts it there); without it this test fails.
    expect(existsSync(csv), `${csv} is missing`).toBe(true);
    const exp = await insertExperiment(h.connection, 'hillstrom', {
      control: 'no-email',
      variants: [
        { key: 'no-email', weight: 1 / 3 },
        { key: 'mens', weight: 1 / 3 },
        { key: 'womens', weight: 1 / 3 },
      ],
      metrics: [
        {
          key: 'purchase',
          kind: 'conversion',
          role: 'primary',
          event: 'purchase',
          windowHours: 24,
          lowerIsBetter: false,
        },
        {
          key: 'spend',
          kind: 'revenue',
          role: 'secondary',
          event: 'revenue',
          windowHours: 24,
          lowerIsBetter: false,
          split: false,
          covariate: { attribute: 'history' },
        },
      ],
    });
    const rows = parseCsv(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    const exposures: ExposureDoc[] = [];
    const events: EventDoc[] = [];
    rows.forEach((r, i) => {
      const id = `h${i}`;
      const history = Number(r.history);
      exposures.push(exposure(exp, id, ARMS[r.segment ?? '']!, hours(0), { covariates: { history } }));
      if (r.conversion === '1') events.push(event(id, 'purchase', hours(1)));
      if (Number(r.spend) > 0) events.push(event(id, 'revenue', hours(1), Number(r.spend)));
    });
    expect(exposures).toHaveLength(64_000);
    for (let i = 0; i < exposures.length; i += 8000)
      await storeExposures(h.connection, exposures.slice(i, i + 8000));
    await storeEvents(h.connection, events);
    const refresh = await h.request().post('/v1/experiments/hillstrom/refresh').set(auth(h.keys.strategist));
    expect(refresh.status).toBe(200);
    const res = await h.request().get('/v1/experiments/hillstrom/readout').set(auth(h.keys.viewer));
    const m = res.body.latest.readout.metrics.spend;
    expect(res.body.latest.counts.exposures).toEqual({ 'no-email': 21306, mens: 21307, womens: 21387 });
    const close = (a: number, b: number, rel: number) =>
      expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.abs(b));
    close(m.cuped.theta, ref.theta, 1e-8);
    close(m.cuped.varianceReduction, ref.varianceReduction, 1e-6);
    for (const [k, v] of Object.entries(ref.adjustedMeans)) close(m.variants[k].estimate, v, 1e-9);
  }, 300_000);
});

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDefinitions } from '../../src/domain/sync/sync-definitions.js';
import { signedIn } from '../helpers/dashboard-session.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * An ordinal and a ratio metric from the sample experiment file (experiments/telecom-onboarding.yaml,
 * `data-usage-norm-service-load`: CSAT top-2-box and support contacts per data top-up) through to
 * the readout, the CSV export and the dashboard page. The folder is synced as `npm run sync` does;
 * customers are assigned and their events posted over HTTP; every count is checked against what
 * this file sent.
 */
let h: Harness;
let dir: string;
const KEY = 'data-usage-norm-service-load';
const TOUCHPOINT = 'mobile-onboarding.use.data-usage';
const N = 300;
const VARIANTS = ['control', 'social-norm'];

interface Unit {
  variant: string;
  topUps: number;
  contacts: number;
  csat?: number;
}
const units = new Map<string, Unit>();

async function simulate() {
  const ids = Array.from({ length: N }, (_, i) => `sub-${i}`);
  for (let i = 0; i < N; i += 50) {
    const replies = await Promise.all(
      ids.slice(i, i + 50).map((customerId) =>
        h
          .request()
          .post('/v1/assignments')
          .set(auth(h.keys.app))
          // The experiment targets prepaid plans.
          .send({ customerId, touchpoint: TOUCHPOINT, channel: 'push', attributes: { plan: 'prepaid-s' } }),
      ),
    );
    replies.forEach((r, j) => {
      expect(r.status).toBe(200);
      const mine = (r.body.assignments as { experiment: string; variant: string | null }[]).find(
        (a) => a.experiment === KEY,
      );
      // The journey's programme holdout keeps 5% of customers out of every nudge: not exposed here.
      if (mine?.variant) units.set(ids[i + j]!, { variant: mine.variant, topUps: 0, contacts: 0 });
    });
  }
  await h.services.capture.exposures.flush();
  for (const v of VARIANTS) expect(arm(v).length).toBeGreaterThan(100);
  const u = seededRandom(1207);
  const at = new Date().toISOString();
  const events: Record<string, unknown>[] = [];
  const add = (customerId: string, id: string, e: Record<string, unknown>) =>
    events.push({ eventId: `${customerId}-${id}`, customerId, occurredAt: at, ...e });
  for (const [id, unit] of units) {
    const treated = unit.variant !== 'control';
    unit.topUps = Math.floor(u() * 4);
    unit.contacts = Math.floor(u() * (treated ? 2 : 3));
    for (let t = 0; t < unit.topUps; t++) add(id, `t${t}`, { type: 'conversion', name: 'data_top_up' });
    for (let t = 0; t < unit.contacts; t++) add(id, `c${t}`, { type: 'conversion', name: 'support_contact' });
    if (u() < 0.6) {
      unit.csat = 1 + Math.floor(u() * 5);
      add(id, 'csat', { type: 'csat', value: unit.csat });
    }
  }
  for (let i = 0; i < events.length; i += 500) {
    const res = await h
      .request()
      .post('/v1/events')
      .set(auth(h.keys.app))
      .send({ events: events.slice(i, i + 500) });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([]);
  }
  const refresh = await h.request().post(`/v1/experiments/${KEY}/refresh`).set(auth(h.keys.strategist));
  expect(refresh.status, JSON.stringify(refresh.body)).toBe(200);
}

const arm = (v: string) => [...units.values()].filter((x) => x.variant === v);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
/** Answers per point 1-5, lowest first. */
const pointsOf = (v: string) => [1, 2, 3, 4, 5].map((p) => arm(v).filter((x) => x.csat === p).length);

let latest: ReturnType<typeof JSON.parse>;

beforeAll(async () => {
  h = await createHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'nudgelab-kinds-'));
  cpSync(path.resolve(import.meta.dirname, '../../experiments'), dir, { recursive: true });
  const synced = await syncDefinitions(h.services, { dir, dryRun: false, displayBase: dir });
  expect(synced.issues, JSON.stringify(synced.issues)).toEqual([]);
  expect(synced.written).toBe(true);
  await h.services.capture.assignments.refresh();
  await simulate();
  const res = await h.request().get(`/v1/experiments/${KEY}/readout`).set(auth(h.keys.viewer));
  expect(res.status).toBe(200);
  latest = res.body.latest;
}, 180_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h.close();
});

describe('ordinal and ratio metrics from an experiment file', () => {
  it('when the file is synced and customers answer, then the readout counts every CSAT point and the top-2-box posterior is the Beta of those counts', () => {
    const m = latest.readout.metrics['csat-top-2'];
    expect(m).toMatchObject({ kind: 'ordinal', summary: 'top2', name: 'CSAT top-2-box' });
    for (const v of VARIANTS) {
      const points = pointsOf(v);
      expect(latest.counts.metrics['csat-top-2'].variants[v].categories).toEqual(points);
      // Flat Dirichlet over 5 points: the top-2 share is Beta(2 + top, 3 + rest), mean (2 + top) / (5 + n).
      const n = sum(points);
      const top = points[3]! + points[4]!;
      expect(m.ordinal.arms[v].top2.estimate).toBeCloseTo((2 + top) / (5 + n), 10);
      expect(m.variants[v].n).toBe(n);
    }
  });

  it('when contacts and top-ups are posted, then the ratio per arm is total contacts over total top-ups, every exposed customer counted', () => {
    const m = latest.readout.metrics['contacts-per-top-up'];
    expect(m).toMatchObject({ kind: 'ratio', lowerIsBetter: true });
    for (const v of VARIANTS) {
      const c = latest.counts.metrics['contacts-per-top-up'].variants[v];
      expect(c.n).toBe(arm(v).length);
      expect(c.numerator).toBe(sum(arm(v).map((x) => x.contacts)));
      expect(c.denominator).toBe(sum(arm(v).map((x) => x.topUps)));
      expect(m.variants[v].estimate).toBeCloseTo(c.numerator / c.denominator, 10);
    }
  });

  it('when the readout is exported and the page opened, then the CSV and the dashboard carry both metrics with the same counts', async () => {
    const res = await h.request().get(`/v1/experiments/${KEY}/readout.csv`).set(auth(h.keys.viewer));
    expect(res.status).toBe(200);
    const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
    const row = (metric: string, v: string) => rows.find((r) => r.metric === metric && r.variant === v)!;
    for (const v of VARIANTS) {
      const points = pointsOf(v);
      expect(row('csat-top-2', v).categories).toBe(points.join(';'));
      expect(Number(row('csat-top-2', v).top2_share)).toBeCloseTo((points[3]! + points[4]!) / sum(points), 6);
      expect(row('contacts-per-top-up', v).numerator).toBe(String(sum(arm(v).map((x) => x.contacts))));
      expect(row('contacts-per-top-up', v).denominator).toBe(String(sum(arm(v).map((x) => x.topUps))));
    }
    const { agent } = await signedIn(h.app, h.keys.viewer);
    const page = await agent.get(`/dashboard/experiments/${KEY}`);
    expect(page.status).toBe(200);
    for (const id of ['metric-csat-top-2', 'distribution-csat-top-2', 'metric-contacts-per-top-up']) {
      expect(page.text).toContain(`data-testid="${id}"`);
    }
    for (const v of VARIANTS) {
      expect(page.text).toContain(`data-testid="share-csat-top-2-${v}-5"`);
      expect(page.text).toContain(`data-testid="n-contacts-per-top-up-${v}">${arm(v).length}<`);
    }
  });
});

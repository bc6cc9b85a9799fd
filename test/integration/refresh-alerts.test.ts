import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRepository } from '../../src/db/alert.repository.js';
import { DefinitionRepository } from '../../src/db/definition.repository.js';
import { LeaseRepository } from '../../src/db/lease.repository.js';
import { SnapshotRepository } from '../../src/db/snapshot.repository.js';
import { AlertsService } from '../../src/domain/alerts.service.js';
import { RefreshService } from '../../src/domain/refresh.service.js';
import type { Experiment } from '../../src/domain/schemas/experiment.schema.js';
import { WebhookNotifier } from '../../src/domain/webhooks.js';
import * as refreshJob from '../../src/jobs/refresh-snapshots.job.js';
import type { tryAnalyze } from '../../src/stats/index.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { exposure, hours, insertExperiment, storeExposures } from '../helpers/readout-fixtures.js';

let h: Harness;
let receiver: Server;
let receiverUrl: string;
const received: { status: number; body: { type: string; alert: { kind: string; condition: string } } }[] = [];
/** Statuses the receiver answers with, in order; 200 once they run out. */
let script: number[] = [];

beforeAll(async () => {
  h = await createHarness();
  receiver = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      const status = script.shift() ?? 200;
      received.push({ status, body: JSON.parse(data) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((r) => receiver.close(r));
  await h.close();
});

/** A refresh service on the harness database with its own webhook notifier and analysis. */
function refreshWith(opts: { analyze?: typeof tryAnalyze; urls?: string[] } = {}) {
  const alertRepo = new AlertRepository(h.connection);
  const webhooks = new WebhookNotifier({
    urls: opts.urls ?? [],
    baseDelayMs: 5,
    attempts: 4,
    log: (d) => alertRepo.logDelivery(d),
  });
  const alerts = new AlertsService(alertRepo, webhooks);
  const snapshots = new SnapshotRepository(h.connection);
  const service = new RefreshService({
    experiments: new DefinitionRepository<Experiment>(h.connection, 'experiment'),
    stats: h.services.capture.stats,
    leases: h.services.capture.leases,
    settle: () => h.services.capture.attribution.drain(),
    snapshots,
    alerts,
    segmentAttributes: [],
    ...(opts.analyze ? { analyze: opts.analyze } : {}),
  });
  return { service, alerts, alertRepo, webhooks, snapshots };
}

async function seedExposures(exp: Experiment, control: number, treatment: number) {
  const docs = [
    ...Array.from({ length: control }, (_, i) => exposure(exp, `${exp.key}-c${i}`, 'control', hours(0))),
    ...Array.from({ length: treatment }, (_, i) => exposure(exp, `${exp.key}-t${i}`, 'treatment', hours(0))),
  ];
  await storeExposures(h.connection, docs);
}

describe('scheduled refresh job', () => {
  it('refreshes running experiments in the minutes their schedule (or its override) fires', async () => {
    await insertExperiment(h.connection, 'job-hourly');
    await insertExperiment(h.connection, 'job-five', { refreshSchedule: '*/5 * * * *' });
    await insertExperiment(h.connection, 'job-draft', { status: 'draft', phase: 0 });
    const deps = {
      experiments: new DefinitionRepository<Experiment>(h.connection, 'experiment'),
      refresh: h.services.refresh,
      defaultSchedule: '0 * * * *',
    };
    const at5 = await refreshJob.run({ ...deps, now: new Date(2026, 2, 2, 10, 5) });
    expect(at5.refreshed.filter((k) => k.startsWith('job-'))).toEqual(['job-five']);
    expect(at5.notDue).toContain('job-hourly');
    const at0 = await refreshJob.run({ ...deps, now: new Date(2026, 2, 2, 11, 0) });
    expect(at0.refreshed.filter((k) => k.startsWith('job-')).sort()).toEqual(['job-five', 'job-hourly']);
    const snaps = new SnapshotRepository(h.connection);
    expect((await snaps.recent('job-five', 10)).length).toBe(2);
    expect((await snaps.recent('job-hourly', 10)).length).toBe(1);
    expect((await snaps.recent('job-draft', 10)).length).toBe(0);
    expect(refreshJob.name).toBe('refresh-snapshots');
  });
});

describe('refresh lease', () => {
  it('refuses a refresh while another instance holds the lease, and takes it once expired', async () => {
    const exp = await insertExperiment(h.connection, 'lease-held');
    await seedExposures(exp, 3, 3);
    const snaps = new SnapshotRepository(h.connection);
    const leases = new LeaseRepository(h.connection);
    const epoch = await leases.claim('refresh:lease-held', 'other-instance', 60_000);
    expect(epoch).not.toBeNull();
    const res = await h.request().post('/v1/experiments/lease-held/refresh').set(auth(h.keys.strategist));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('refresh_in_progress');
    expect(await snaps.recent('lease-held', 5)).toEqual([]);
    // An expired lease (its holder died) is taken over.
    expect(await leases.claim('refresh:lease-held', 'another-instance', 60_000)).toBeNull();
    await h.connection
      .collection('leases')
      .updateOne({ _id: `refresh:lease-held#${epoch}` as never }, { $set: { until: new Date(0) } });
    const ok = await h.request().post('/v1/experiments/lease-held/refresh').set(auth(h.keys.strategist));
    expect(ok.status).toBe(200);
    expect(ok.body.counts.exposures).toEqual({ control: 3, treatment: 3 });
  });

  it('lets exactly one of two simultaneous refreshes of one experiment run', async () => {
    const exp = await insertExperiment(h.connection, 'lease-race');
    await seedExposures(exp, 2, 2);
    const a = refreshWith();
    const b = refreshWith();
    const results = await Promise.allSettled([
      a.service.refresh('lease-race', 'manual'),
      b.service.refresh('lease-race', 'manual'),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'refresh_in_progress',
    );
    // The first to take the lease runs; the other is refused unless the first had already finished.
    expect(ok.length + refused.length).toBe(2);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect((await a.snapshots.recent('lease-race', 5)).length).toBe(ok.length);
  });
});

describe('failing refresh', () => {
  it('keeps the previous snapshot, records each failure and raises one alert after three in a row', async () => {
    const exp = await insertExperiment(h.connection, 'failing');
    await seedExposures(exp, 4, 4);
    const good = refreshWith();
    const first = await good.service.refresh('failing', 'manual');
    const broken = refreshWith({
      analyze: () => {
        throw new Error('stats engine unavailable');
      },
    });
    const failOnce = () =>
      expect(broken.service.refresh('failing', 'schedule')).rejects.toMatchObject({ code: 'refresh_failed' });
    await failOnce();
    await failOnce();
    expect(await good.alerts.list({ status: 'all', experiment: 'failing', limit: 10 })).toEqual([]);
    await failOnce();
    await failOnce();
    expect((await good.snapshots.latestOk('failing'))?.id).toBe(first.id);
    const recent = await good.snapshots.recent('failing', 10);
    expect(recent.map((s) => s.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'ok']);
    expect(recent[0]?.error).toContain('stats engine unavailable');
    const open = await good.alerts.list({ status: 'open', experiment: 'failing', limit: 10 });
    expect(open.map((a) => a.kind)).toEqual(['refresh-failing']);
    expect(open[0]?.details.streak).toBe(4);

    const readout = await h.request().get('/v1/experiments/failing/readout').set(auth(h.keys.viewer));
    expect(readout.body.latest.id).toBe(first.id);
    expect(readout.body.lastFailure.error).toContain('stats engine unavailable');

    await good.service.refresh('failing', 'manual');
    expect(await good.alerts.list({ status: 'open', experiment: 'failing', limit: 10 })).toEqual([]);
    const cleared = await good.alerts.list({ status: 'cleared', experiment: 'failing', limit: 10 });
    expect(cleared.map((a) => a.kind)).toEqual(['refresh-failing']);
  });
});

describe('alerts and webhooks', () => {
  it('opens one SRM alert per condition and delivers it to the webhook with retries', async () => {
    const exp = await insertExperiment(h.connection, 'srm-split');
    // 300 vs 200 on a 50/50 split: chi-square 20, p about 8e-6, well under 0.001.
    await seedExposures(exp, 300, 200);
    script = [500, 503];
    received.length = 0;
    const r = refreshWith({ urls: [receiverUrl] });
    const snap = await r.service.refresh('srm-split', 'manual');
    expect(snap.readout?.srm.mismatch).toBe(true);
    await r.webhooks.drain();
    expect(received.map((x) => x.status)).toEqual([500, 503, 200]);
    const opened = received.map((x) => x.body);
    expect(opened.every((b) => b.type === 'alert.opened' && b.alert.kind === 'srm')).toBe(true);
    const alerts = await r.alerts.list({ status: 'open', experiment: 'srm-split', limit: 10 });
    expect(alerts.map((a) => a.kind)).toEqual(['srm']);
    const log = await r.alertRepo.deliveriesOf(alerts[0]!.id);
    expect(log.map((d) => [d.attempt, d.ok, d.httpStatus])).toEqual([
      [1, false, 500],
      [2, false, 503],
      [3, true, 200],
    ]);

    // The condition still holds: no second alert, no second delivery.
    await r.service.refresh('srm-split', 'manual');
    await r.webhooks.drain();
    expect(received).toHaveLength(3);
    expect(await r.alerts.list({ status: 'all', experiment: 'srm-split', limit: 10 })).toHaveLength(1);

    const viewer = await h.request().get('/v1/alerts?experiment=srm-split').set(auth(h.keys.viewer));
    expect(viewer.status).toBe(200);
    expect(viewer.body.items.map((a: { kind: string }) => a.kind)).toEqual(['srm']);
    const app = await h.request().get('/v1/alerts').set(auth(h.keys.app));
    expect(app.status).toBe(403);
    const anon = await h.request().get('/v1/alerts');
    expect(anon.status).toBe(401);
  });

  it('gives up after the last attempt and logs every failed one', async () => {
    const exp = await insertExperiment(h.connection, 'srm-down');
    await seedExposures(exp, 300, 200);
    script = [500, 500, 500, 500];
    received.length = 0;
    const r = refreshWith({ urls: [receiverUrl] });
    await r.service.refresh('srm-down', 'manual');
    await r.webhooks.drain();
    const [alert] = await r.alerts.list({ status: 'open', experiment: 'srm-down', limit: 10 });
    const log = await r.alertRepo.deliveriesOf(alert!.id);
    expect(log.map((d) => d.ok)).toEqual([false, false, false, false]);
    expect(received).toHaveLength(4);
  });
});

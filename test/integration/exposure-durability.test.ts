import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connection.js';
import { type EmbeddedDatabase, freePort, startEmbeddedDatabase } from '../../src/db/embedded.js';
import { exposureModel } from '../../src/db/models/exposure.model.js';
import { ExposureJournal } from '../../src/domain/assignment/exposure-journal.js';
import { systemActor } from '../../src/domain/roles.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { auth, composeOn, createHarness, testConfig } from '../helpers/harness.js';
import { storedExposures } from '../helpers/stored-exposures.js';

const folders: string[] = [];
const databases: EmbeddedDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.stop();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function folder(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `nudgelab-${name}-`));
  folders.push(dir);
  return dir;
}

async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('exposure durability', () => {
  it('stores every answered exposure exactly once when the database dies mid-burst and comes back', {
    timeout: 180_000,
  }, async () => {
    const dataDir = folder('outage-db');
    const port = await freePort();
    databases.push(await startEmbeddedDatabase({ dataDir, port }));
    const connection = await connectDatabase(`mongodb://127.0.0.1:${port}/durability`);
    const logger = createLogger('silent');
    const root = composeOn(connection, {
      logger,
      dataDir: folder('outage-journal'),
      tuning: { flushMs: 20 },
    });
    const { services } = root;
    await services.ensureIndexes();
    const { secret } = await services.apiKeys.create(systemActor, { name: 'outage-app', role: 'app' });
    await seedTouchpoint(connection, 'pay.plan');
    await seedNudge(connection, 'plan-a', 'pay.plan');
    await seedNudge(connection, 'plan-b', 'pay.plan');
    await seedNudge(connection, 'plan-free', 'pay.plan');
    const ids: Record<string, string> = {
      'plan-a': await seedExperiment(connection, 'plan-a', 'pay.plan', { key: 'plan-a' }),
      'plan-b': await seedExperiment(connection, 'plan-b', 'pay.plan', { key: 'plan-b' }),
      'plan-free': await seedExperiment(connection, 'plan-free', 'pay.plan', {
        key: 'plan-free',
        overlap: true,
      }),
    };
    await services.capture.assignments.refresh();
    const app = createApp({ services, logger, bodyLimit: '1mb', version: 'test' });
    const answered = new Set<string>();
    const burst = async (from: number, to: number) => {
      for (let i = from; i < to; i += 20) {
        const batch = Array.from({ length: Math.min(20, to - i) }, (_, k) => `cust-${i + k}`);
        await Promise.all(
          batch.map(async (customerId) => {
            const res = await supertest(app)
              .post('/v1/assignments')
              .set(auth(secret))
              .send({ customerId, touchpoint: 'pay.plan', channel: i % 2 ? 'web' : 'app' });
            expect(res.status).toBe(200);
            for (const a of res.body.assignments) {
              if (a.inExperiment) answered.add(`${ids[a.experiment]}|1|${customerId}`);
            }
          }),
        );
      }
    };
    await burst(0, 600);
    databases[0]?.kill();
    // Re-exposures of the first customers while the database is down must not add anything.
    await burst(300, 1500);
    await until(() => services.capture.exposures.stats().journaled > 0, 20_000);
    await services.capture.exposures.flush();
    expect(services.capture.exposures.stats()).toMatchObject({ degraded: true, dropped: 0 });

    databases.push(await startEmbeddedDatabase({ dataDir, port }));
    await until(
      () => services.capture.exposures.idle && !services.capture.exposures.stats().degraded,
      60_000,
    );
    const exposures = exposureModel(connection);
    expect(await exposures.countDocuments({})).toBe(answered.size);
    expect(await exposures.countDocuments({ _id: { $in: [...answered] } })).toBe(answered.size);
    expect(answered.size).toBeGreaterThan(2000);
    const stats = services.capture.exposures.stats();
    expect(stats.replayed).toBeGreaterThan(0);
    expect(stats.journalBytes).toBe(0);
    await root.close();
    await connection.close();
  });

  it('replays a journal left by an earlier process, skipping what is already stored', async () => {
    const h = await createHarness();
    await h.root.close();
    const journalRoot = folder('left-journal');
    const journal = new ExposureJournal(
      path.join(journalRoot, 'journal'),
      1 << 20,
      `exposures.${h.connection.name}`,
    );
    const doc = (i: number) => ({
      _id: `exp_x|1|c${i}`,
      experiment: 'x',
      experimentId: 'exp_x',
      phase: 1,
      variant: 'control',
      unit: 'customerId',
      unitId: `c${i}`,
      customerId: `c${i}`,
      touchpoint: 'tp',
      channel: 'web',
      exposedAt: new Date('2026-01-01T00:00:00Z'),
      attributes: {},
      qa: false,
      outcomes: {},
      tally: [{ k: 'control|exposures', v: 1 }],
    });
    await exposureModel(h.connection).collection.insertOne(doc(0) as never);
    expect(journal.append([0, 1, 2, 1].map((i) => JSON.stringify(doc(i))))).toBe(true);
    const root = composeOn(h.connection, { dataDir: journalRoot });
    const { services } = root;
    await until(() => services.capture.exposures.idle, 20_000);
    const stored = await storedExposures(h.connection);
    expect(stored.map((d) => d._id).sort()).toEqual(['exp_x|1|c0', 'exp_x|1|c1', 'exp_x|1|c2']);
    expect(stored.find((d) => d._id === 'exp_x|1|c2')?.exposedAt).toEqual(new Date('2026-01-01T00:00:00Z'));
    await root.close();
    await h.close();
  });

  it('reports a full journal in /readyz (503) and /metrics', async () => {
    const h = await createHarness();
    await h.root.close();
    const logger = createLogger('silent');
    const root = composeOn(h.connection, {
      logger,
      config: testConfig({ JOURNAL_MAX_BYTES: '100' }),
      dataDir: folder('tiny-journal'),
    });
    const { services } = root;
    const writer = services.capture.exposures as unknown as { degraded: boolean };
    // Simulate an outage: the writer journals without trying the database, and 100 bytes hold nothing.
    writer.degraded = true;
    services.capture.exposures.enqueue({
      _id: 'exp_y|1|c1',
      experiment: 'y',
      experimentId: 'exp_y',
      phase: 1,
      variant: 'control',
      unit: 'customerId',
      unitId: 'c1',
      customerId: 'c1',
      touchpoint: 'tp',
      channel: 'web',
      exposedAt: new Date(),
      attributes: {},
      qa: false,
    });
    await services.capture.exposures.flush();
    const app = createApp({ services, logger, bodyLimit: '1mb', version: 'test' });
    const ready = await supertest(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.journal).toMatchObject({ ok: false, maxBytes: 100 });
    const metrics = await supertest(app).get('/metrics').set(auth(h.keys.admin));
    expect(metrics.text).toContain('nudgelab_exposure_journal_full 1');
    expect(metrics.text).toContain('nudgelab_exposure_held_size 1');
    // Once the database answers, the held exposure is written and the instance is ready again.
    await services.capture.exposures.recover();
    expect(await exposureModel(h.connection).countDocuments({ _id: 'exp_y|1|c1' })).toBe(1);
    expect((await supertest(app).get('/readyz')).status).toBe(200);
    await root.close();
    await h.close();
  });
});

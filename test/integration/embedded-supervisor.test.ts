import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import supertest from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectDatabase } from '../../src/db/connection.js';
import { type EmbeddedDatabase, freePort, startEmbeddedDatabase } from '../../src/db/embedded.js';
import {
  type EmbeddedSupervisor,
  type SupervisionOptions,
  superviseEmbeddedDatabase,
} from '../../src/db/embedded-supervisor.js';
import { systemActor } from '../../src/domain/roles.js';
import { createApp } from '../../src/http/app.js';
import { auth, composeOn } from '../helpers/harness.js';

/**
 * The supervision of an embedded server this process started: each test starts its own server on
 * a free port and a temporary folder, so killing it does not touch the shared test server.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

// Short probes, and a restart delay long enough for the down state to be seen from outside.
const fast: SupervisionOptions = {
  pingIntervalMs: 200,
  pingTimeoutMs: 1000,
  failuresBeforeRestart: 3,
  maxRestarts: 3,
  restartWindowMs: 60_000,
  backoffMs: 1500,
};

interface LogLine {
  level: number;
  msg: string;
  reason?: string;
}

async function supervisedService(
  options: SupervisionOptions = fast,
  restart?: () => Promise<EmbeddedDatabase>,
) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nudgelab-supervised-db-'));
  const port = await freePort();
  const start = () => startEmbeddedDatabase({ dataDir, port });
  const first = await start();
  const uri = `mongodb://127.0.0.1:${port}/supervised`;
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  const gaveUp: Error[] = [];
  const supervisor: EmbeddedSupervisor = await superviseEmbeddedDatabase({
    first,
    restart: restart ?? start,
    uri,
    logger,
    options,
    onGiveUp: (err) => void gaveUp.push(err),
  });
  const connection = await connectDatabase(uri);
  const root = composeOn(connection);
  const { services } = root;
  await services.ensureIndexes();
  const app = createApp({
    services,
    logger: pino({ level: 'silent' }),
    bodyLimit: '1mb',
    version: 'test',
    embeddedDatabase: supervisor.health,
  });
  cleanups.push(async () => {
    await root.close();
    await connection.close(true).catch(() => undefined);
    await supervisor.stop();
    first.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const { secret } = await services.apiKeys.create(systemActor, { name: 'supervised-admin', role: 'admin' });
  return { first, supervisor, app, lines, gaveUp, adminKey: secret };
}

const readyz = async (app: Parameters<typeof supertest>[0]) => {
  const res = await supertest(app).get('/readyz');
  return {
    status: res.status,
    embedded: res.body.checks?.embeddedDatabase as Record<string, unknown> | undefined,
  };
};

describe('embedded database supervision', () => {
  it('when the embedded server is killed, then /readyz says so, the loss is logged and the restarted server serves reads and writes', {
    timeout: 60_000,
  }, async () => {
    const { first, app, lines, adminKey, gaveUp } = await supervisedService();
    expect((await readyz(app)).status).toBe(200);

    first.process.kill('SIGKILL');

    await vi.waitFor(
      async () => {
        const r = await readyz(app);
        expect(r.status).toBe(503);
        expect(r.embedded).toMatchObject({ ready: false, state: 'down' });
        expect(String(r.embedded?.reason)).toContain('exited');
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'embedded database unavailable; restarting it' }),
    );

    await vi.waitFor(
      async () => {
        const r = await readyz(app);
        expect(r.status).toBe(200);
        expect(r.embedded).toMatchObject({ ready: true, state: 'ready', restarts: 1 });
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'embedded database restarted and answering' }),
    );

    // Written before the kill (the admin key) is still there, and new writes are stored.
    const created = await supertest(app)
      .post('/v1/keys')
      .set(auth(adminKey))
      .send({ name: 'after-restart', role: 'viewer' });
    expect(created.status).toBe(201);
    const listed = await supertest(app).get('/v1/keys').set(auth(adminKey));
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('after-restart');
    expect(gaveUp).toEqual([]);
  });

  it('when the embedded server stops answering, then after the missed probes it is killed, reported and restarted', {
    timeout: 60_000,
  }, async () => {
    const { first, app, lines, supervisor } = await supervisedService();
    // Frozen, not dead: the port stays open and nothing answers.
    first.process.kill('SIGSTOP');

    await vi.waitFor(
      () => {
        const health = supervisor.health();
        expect(health).toMatchObject({ ready: false, state: 'down' });
        expect(health.reason).toContain('did not answer 3 probes');
      },
      { timeout: 20_000, interval: 50 },
    );
    const during = await readyz(app);
    expect(during.status).toBe(503);
    expect(lines.filter((l) => l.msg === 'embedded database probe failed').length).toBeGreaterThanOrEqual(3);

    await vi.waitFor(
      async () => {
        expect(await readyz(app)).toMatchObject({ status: 200, embedded: { state: 'ready', restarts: 1 } });
      },
      { timeout: 30_000, interval: 200 },
    );
  });

  it('when the server cannot be started again, then the supervisor gives up once and stays not ready', {
    timeout: 60_000,
  }, async () => {
    const broken = async (): Promise<EmbeddedDatabase> => {
      throw new Error('embedded database exited with 1: address already in use');
    };
    const { first, app, lines, gaveUp, supervisor } = await supervisedService(
      { ...fast, maxRestarts: 2, backoffMs: 50 },
      broken,
    );
    first.process.kill('SIGKILL');

    await vi.waitFor(() => expect(gaveUp).toHaveLength(1), { timeout: 20_000, interval: 50 });
    expect(gaveUp[0]?.message).toContain('2 restarts within');
    expect(supervisor.health()).toMatchObject({ ready: false, state: 'failed' });
    expect(lines.filter((l) => l.msg === 'embedded database restart failed')).toHaveLength(2);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 60, msg: 'embedded database could not be kept running' }),
    );
    expect((await readyz(app)).status).toBe(503);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImportCommand } from '../../src/cli/import-command.js';
import { apiKeyModel } from '../../src/db/models/api-key.model.js';
import { eventModel } from '../../src/db/models/event.model.js';
import { embeddedPort, openDatabase } from '../../src/db/open-database.js';
import { systemActor } from '../../src/domain/roles.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { experimentBody, seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { insertExperiment } from '../helpers/readout-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
  const c = h.connection;
  await seedTouchpoint(c, 'checkout.banner');
  await seedNudge(c, 'banner-frame', 'checkout.banner');
  await seedExperiment(c, 'banner-frame', 'checkout.banner', {
    key: 'banner-test',
    qaOverrides: [{ customerId: 'qa.person@example.com', variant: 'treatment' }],
  });
  await seedTouchpoint(c, 'apply.reminder', 'email');
  await seedNudge(c, 'reminder-frame', 'apply.reminder');
  await seedExperiment(c, 'reminder-frame', 'apply.reminder', { key: 'reminder-test' });
  await h.services.capture.assignments.refresh();
});
afterAll(async () => {
  await h.close();
});

const deep = (d: number) => `{"a":${'['.repeat(d)}${']'.repeat(d)}}`;
const expectErrorShape = (body: { error?: { code?: string; message?: string; requestId?: string } }) => {
  expect(body.error?.code).toEqual(expect.any(String));
  expect(body.error?.message).toEqual(expect.any(String));
  expect(body.error?.requestId).toEqual(expect.any(String));
};

describe('bodies nested or wide beyond the limits', () => {
  it('refuses a body nested 5,000 levels deep with 400 on any path, unauthenticated, and keeps serving', async () => {
    for (const url of ['/v1/journeys', '/v1/assignments', '/v1/events', '/anything']) {
      const res = await h
        .request()
        .post(url)
        .set(url === '/v1/events' ? auth(h.keys.app) : {})
        .set('content-type', 'application/json')
        .send(deep(5000));
      expect(res.status, url).toBeLessThan(500);
      expectErrorShape(res.body);
    }
    const deepJourney = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .set('content-type', 'application/json')
      .send(deep(5000));
    expect(deepJourney.status).toBe(400);
    expect(deepJourney.body.error.details.fields[0].reason).toMatch(/deeper than 32/);
    expect((await h.request().get('/healthz')).status).toBe(200);
  });

  it('refuses a body with more members than the limit before parsing it, and stores nothing', async () => {
    const wide = JSON.stringify({ ...experimentBody, key: 'wide-one', extra: new Array(25_000).fill(0) });
    const res = await h
      .request()
      .post('/v1/experiments')
      .set(auth(h.keys.strategist))
      .set('content-type', 'application/json')
      .send(wide);
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields[0].reason).toMatch(/more than 20000/);
    expect((await h.request().get('/v1/experiments/wide-one').set(auth(h.keys.strategist))).status).toBe(404);
  });
});

describe('targeting that could stall the process', () => {
  it('refuses an exponential pattern and an unknown operator when the experiment is saved', async () => {
    for (const [targeting, field] of [
      [{ segment: { $regex: '^(a+)+$' } }, 'targeting.segment.$regex'],
      [{ segment: { $regex: '^(a|a)*$' } }, 'targeting.segment.$regex'],
      [{ segment: { $like: 'gold%' } }, 'targeting.segment.$like'],
      [{ $where: 'true' }, 'targeting.$where'],
      [{ segment: { $inGroup: 'vip' } }, 'targeting.segment.$inGroup'],
    ] as const) {
      const res = await h
        .request()
        .post('/v1/experiments')
        .set(auth(h.keys.strategist))
        .send({ ...experimentBody, key: 'regex-test', targeting });
      expect(res.status, JSON.stringify(targeting)).toBe(400);
      expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
    expect((await h.request().get('/v1/experiments/regex-test').set(auth(h.keys.strategist))).status).toBe(
      404,
    );
    const fine = await h
      .request()
      .post('/v1/experiments')
      .set(auth(h.keys.strategist))
      .send({ ...experimentBody, key: 'regex-fine', targeting: { segment: { $regex: '^gold' } } });
    expect(fine.status).toBe(201);
  });

  it('evaluates a stored unsafe pattern as matching nobody, without running it', async () => {
    await seedTouchpoint(h.connection, 'checkout.redos');
    await seedNudge(h.connection, 'redos-frame', 'checkout.redos');
    await seedExperiment(h.connection, 'redos-frame', 'checkout.redos', {
      key: 'redos-test',
      targeting: { segment: { $regex: '^(a+)+$' } },
    });
    await h.services.capture.assignments.refresh();
    const res = await h
      .request()
      .post('/v1/assignments')
      .set(auth(h.keys.app))
      .send({
        customerId: 'c-redos',
        touchpoint: 'checkout.redos',
        channel: 'web',
        attributes: { segment: `${'a'.repeat(40)}!` },
      });
    expect(res.status).toBe(200);
    expect(res.body.assignments[0]).toMatchObject({ inExperiment: false, reason: 'targeting' });
  });
});

describe('bad input answers 4xx with the error shape', () => {
  it('answers an unknown Content-Encoding with 415', async () => {
    const res = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .set('content-type', 'application/json')
      .set('content-encoding', 'x-foo')
      .send('{}');
    expect(res.status).toBe(415);
    expectErrorShape(res.body);
  });

  it('answers malformed percent-encoding in a path with 400', async () => {
    const res = await h.request().get('/v1/experiments/%E0%A4%A/readout').set(auth(h.keys.viewer));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expectErrorShape(res.body);
  });

  it('answers prototype names under /dashboard/assets with 404, without a session', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await h.request().get(`/dashboard/assets/${name}`);
      expect(res.status, name).toBe(404);
    }
    expect((await h.request().get('/dashboard/assets/dashboard.css')).status).toBe(200);
  });

  it('answers a dashboard form with too many fields with 413', async () => {
    const fields = Array.from({ length: 12 }, (_, i) => `f${i}=x`).join('&');
    const res = await h
      .request()
      .post('/dashboard/sign-in')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send(fields);
    expect(res.status).toBe(413);
  });

  it('answers a client key longer than 200 characters with 400', async () => {
    const res = await h.request().get(`/api/features/${'k'.repeat(201)}`);
    expect(res.status).toBe(400);
    expectErrorShape(res.body);
  });

  it('refuses events dated before the accepted window and stores none of them', async () => {
    const res = await h.request().post('/v1/events').set(auth(h.keys.app)).send({
      eventId: 'ancient-1',
      customerId: 'c1',
      type: 'conversion',
      name: 'x',
      occurredAt: '0001-01-01T00:00:00Z',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields[0]).toMatchObject({ path: 'occurredAt' });
    expect(res.body.error.details.fields[0].reason).toMatch(/days in the past/);
    expect(await eventModel(h.connection).countDocuments({ _id: 'ancient-1' })).toBe(0);
  });

  it('skips a CSV row whose variant cell is "constructor" as an unknown variant', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'nudgelab-proto-'));
    try {
      await insertExperiment(h.connection, 'proto-import', {
        status: 'concluded',
        variants: [
          { key: 'control', weight: 0.5 },
          { key: 'b', weight: 0.5 },
        ],
        metrics: [
          {
            key: 'bought',
            kind: 'conversion',
            role: 'primary',
            event: 'bought',
            windowHours: 24,
            lowerIsBetter: false,
            margin: 0,
          },
        ],
      });
      const file = path.join(tmp, 'proto.csv');
      writeFileSync(
        file,
        ['uid,when,arm,done', 'u1,2017-01-02 10:00:00,constructor,1', 'u2,2017-01-02 10:00:00,b,0'].join(
          '\n',
        ),
      );
      const quiet = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
      const { summary } = await runImportCommand(
        h.services,
        [
          '--experiment',
          'proto-import',
          '--customer',
          'uid',
          '--variant',
          'arm',
          '--time',
          'when',
          '--converted',
          'done',
          file,
        ],
        quiet,
      );
      expect(summary.skipped.map((s) => s.reason)).toEqual(['unknown arm "constructor"']);
      expect(summary.exposures.inserted).toBe(1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('the SDK payload and client keys', () => {
  it('serves a scoped client key only its touchpoints, without names or QA customer ids', async () => {
    const created = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'banner-only', role: 'app', scope: { touchpoints: ['checkout.banner'] } });
    expect(created.status).toBe(201);
    expect(created.body.key.scope).toEqual({ touchpoints: ['checkout.banner'] });
    const res = await h.request().get(`/api/features/${created.body.key.clientKey}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.features)).toEqual(['checkout.banner']);
    expect(res.text).not.toContain('qa.person@example.com');
    expect(res.text).not.toContain('"name"');
    expect(res.headers['cache-control']).toMatch(/^private/);

    const byChannel = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'email-only', role: 'app', scope: { channels: ['email'] } });
    const email = await h.request().get(`/api/features/${byChannel.body.key.clientKey}`);
    expect(Object.keys(email.body.features)).toEqual(['apply.reminder']);
  });

  it('stops serving a revoked client key at once', async () => {
    const created = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'soon-gone', role: 'app' });
    const url = `/api/features/${created.body.key.clientKey}`;
    expect((await h.request().get(url)).status).toBe(200);
    expect((await h.request().delete('/v1/keys/soon-gone').set(auth(h.keys.admin))).status).toBe(200);
    expect((await h.request().get(url)).status).toBe(404);
  });

  it('refuses a scoped app key assignments and events outside its touchpoints and channels', async () => {
    const created = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({
        name: 'banner-web',
        role: 'app',
        scope: { touchpoints: ['checkout.banner'], channels: ['web'] },
      });
    const key = created.body.secret as string;
    const ok = await h
      .request()
      .post('/v1/assignments')
      .set(auth(key))
      .send({ customerId: 'c1', touchpoint: 'checkout.banner', channel: 'web' });
    expect(ok.status).toBe(200);
    const other = await h
      .request()
      .post('/v1/assignments')
      .set(auth(key))
      .send({ customerId: 'c1', touchpoint: 'apply.reminder', channel: 'web' });
    expect(other.status).toBe(403);
    expect(other.body.error.details.fields[0].path).toBe('touchpoint');
    const wrongChannel = await h
      .request()
      .post('/v1/assignments')
      .set(auth(key))
      .send({ customerId: 'c1', touchpoint: 'checkout.banner', channel: 'app' });
    expect(wrongChannel.status).toBe(403);
    const events = await h
      .request()
      .post('/v1/events')
      .set(auth(key))
      .send({
        events: [
          {
            eventId: 'scoped-1',
            customerId: 'c1',
            type: 'conversion',
            name: 'x',
            touchpoint: 'apply.reminder',
            occurredAt: new Date().toISOString(),
          },
        ],
      });
    expect(events.status).toBe(403);
  });

  it('refuses a scope on a key that is not an app key', async () => {
    const res = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'scoped-viewer', role: 'viewer', scope: { channels: ['web'] } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields[0].path).toBe('scope');
  });
});

describe('key material', () => {
  it('keeps client keys and characters of secrets out of the audit log and the key list', async () => {
    const created = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'audited-app', role: 'app' });
    const { secret } = created.body as { secret: string };
    const audit = await h
      .request()
      .get('/v1/audit?kind=api-key&key=audited-app')
      .set(auth(h.keys.strategist));
    expect(audit.status).toBe(200);
    const text = JSON.stringify(audit.body);
    expect(text).not.toContain(created.body.key.clientKey);
    expect(text).not.toContain(secret.slice(4, 10));
    expect(text).not.toContain('"prefix"');
    expect(created.body.key.prefix).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(created.body.key.prefix).not.toContain(secret.slice(4, 10));
  });

  it('stores a chosen bootstrap secret under scrypt, keeps a revoked one revoked and rotates a changed one', async () => {
    const chosen = 'an-operator-chosen-secret-of-some-length';
    expect(await h.services.apiKeys.ensureBootstrapKey(systemActor, chosen)).toBe('created');
    const stored = await apiKeyModel(h.connection).findOne({ name: 'bootstrap-admin' }).lean();
    expect(stored?.hash).toMatch(/^scrypt:[0-9a-f]{64}$/);
    expect(stored?.prefix).not.toContain(chosen.slice(0, 6));
    expect((await h.request().get('/v1/keys').set(auth(chosen))).status).toBe(200);
    // The same secret at the next start changes nothing.
    expect(await h.services.apiKeys.ensureBootstrapKey(systemActor, chosen)).toBe('exists');

    // Changing the variable rotates: the new secret works, the old one stops.
    const next = 'the-next-operator-chosen-secret-value';
    expect(await h.services.apiKeys.ensureBootstrapKey(systemActor, next)).toBe('created');
    expect((await h.request().get('/v1/keys').set(auth(next))).status).toBe(200);
    expect((await h.request().get('/v1/keys').set(auth(chosen))).status).toBe(401);

    // Revoked while still set: the next start goes on and the key stays revoked.
    const name = (await h.services.apiKeys.list()).find(
      (k) => !k.revokedAt && k.name.startsWith('bootstrap-admin'),
    )?.name as string;
    expect((await h.request().delete(`/v1/keys/${name}`).set(auth(h.keys.admin))).status).toBe(200);
    expect(await h.services.apiKeys.ensureBootstrapKey(systemActor, next)).toBe('revoked');
    expect((await h.request().get('/v1/keys').set(auth(next))).status).toBe(401);
  });
});

describe('limits, metrics and proxies', () => {
  const logger = createLogger('silent');
  const limited = (limits: { perKey?: number; failedAuth?: number; signIn?: number }) =>
    createApp({
      services: h.services,
      logger,
      bodyLimit: '1mb',
      version: 'test',
      security: {
        rateLimits: { windowMs: 60_000, perKey: 0, failedAuth: 0, signIn: 0, ...limits },
      },
    });

  it('answers 429 with Retry-After once a key passes its limit, and other keys still pass', async () => {
    const app = limited({ perKey: 3 });
    for (let i = 0; i < 3; i++) {
      expect((await supertest(app).get('/v1/journeys').set(auth(h.keys.viewer))).status).toBe(200);
    }
    const refused = await supertest(app).get('/v1/journeys').set(auth(h.keys.viewer));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.error.code).toBe('rate_limited');
    expect((await supertest(app).get('/v1/journeys').set(auth(h.keys.strategist))).status).toBe(200);
  });

  it('refuses an address that failed too many keys, whatever X-Forwarded-For it claims', async () => {
    const app = limited({ failedAuth: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await supertest(app)
        .get('/v1/journeys')
        .set(auth(`nlk_wrong${i}`))
        .set('x-forwarded-for', `203.0.113.${i}`);
      expect(res.status).toBe(401);
    }
    const refused = await supertest(app)
      .get('/v1/journeys')
      .set(auth(h.keys.viewer))
      .set('x-forwarded-for', '198.51.100.7');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('lets an address in again once its failures are a window old, and refuses it within the window (connections closed with each answer)', async () => {
    const app = createApp({
      services: h.services,
      logger,
      bodyLimit: '1mb',
      version: 'test',
      security: { rateLimits: { windowMs: 1000, perKey: 0, failedAuth: 2, signIn: 0 } },
    });
    const status = async (key: string) =>
      (await supertest(app).get('/v1/journeys').set(auth(key)).set('connection', 'close')).status;
    expect(await status('nlk_wrong0')).toBe(401);
    expect(await status('nlk_wrong1')).toBe(401);
    expect(await status(h.keys.viewer)).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await status(h.keys.viewer)).toBe(200);
    // Counting starts again from nothing: one more failure does not refuse the address.
    expect(await status('nlk_wrong2')).toBe(401);
    expect(await status(h.keys.viewer)).toBe(200);
  });

  it('limits failed dashboard sign-ins per address', async () => {
    const app = limited({ signIn: 2 });
    const attempt = () =>
      supertest(app).post('/dashboard/sign-in').type('form').send({ apiKey: 'nlk_wrong', csrf: 'x' });
    expect((await attempt()).status).toBe(403);
    expect((await attempt()).status).toBe(403);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('answers /metrics only to an admin key or the metrics token', async () => {
    expect((await h.request().get('/metrics')).status).toBe(401);
    expect((await h.request().get('/metrics').set(auth(h.keys.viewer))).status).toBe(403);
    expect((await h.request().get('/metrics').set(auth(h.keys.admin))).status).toBe(200);
    const token = 'a-metrics-token-for-the-scraper';
    const app = createApp({
      services: h.services,
      logger,
      bodyLimit: '1mb',
      version: 'test',
      security: { metricsToken: token },
    });
    const scraped = await supertest(app).get('/metrics').set(auth(token));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('nudgelab_exposures_enqueued_total');
  });

  it('does not trust X-Forwarded-Proto by default', async () => {
    const res = await h.request().get('/dashboard/sign-in').set('x-forwarded-proto', 'https');
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).not.toContain('Secure');
  });
});

describe('dashboard sign-out', () => {
  it('ends the session: the old cookie no longer opens a page', async () => {
    const agent = supertest.agent(h.app);
    const form = await agent.get('/dashboard/sign-in');
    const formToken = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] as string;
    const signedIn = await agent
      .post('/dashboard/sign-in')
      .type('form')
      .send({ apiKey: h.keys.viewer, csrf: formToken });
    expect(signedIn.status).toBe(303);
    const cookie = String(signedIn.headers['set-cookie']).match(/nl_session=[^;]+/)?.[0] as string;
    const page = await supertest(h.app).get('/dashboard').set('cookie', cookie);
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const out = await supertest(h.app)
      .post('/dashboard/sign-out')
      .set('cookie', cookie)
      .type('form')
      .send({ csrf });
    expect(out.status).toBe(303);
    const after = await supertest(h.app).get('/dashboard').set('cookie', cookie);
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/dashboard\/sign-in/);
  });
});

describe('the embedded database port', () => {
  it("chooses the port from the data folder and refuses a server on it that is not this folder's", async () => {
    const a = mkdtempSync(path.join(tmpdir(), 'nudgelab-port-a-'));
    const b = mkdtempSync(path.join(tmpdir(), 'nudgelab-port-b-'));
    const portA = embeddedPort(path.join(a, 'db'));
    expect(portA).toBeGreaterThanOrEqual(27100);
    expect(portA).toBeLessThan(28100);
    expect(embeddedPort(path.join(b, 'db'))).toBe(embeddedPort(path.join(b, 'db')));
    const stranger: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => stranger.listen(portA, '127.0.0.1', resolve));
    try {
      await expect(openDatabase({ dataDir: a }, createLogger('silent'))).rejects.toThrow(
        /not with the embedded database/,
      );
    } finally {
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
});

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import pino from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { LANE, type Lane } from '../../src/http/fast-lane.js';
import { createHttpServer } from '../../src/http/server.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let scoped = '';
const lines: Record<string, unknown>[] = [];

/** An app on the real services, with rate limits and a logger whose lines the tests read. */
function appWith(perKey: number): Express {
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  return createApp({
    services: h.services,
    logger,
    bodyLimit: '2kb',
    version: 'test',
    security: { rateLimits: { windowMs: 60_000, perKey, failedAuth: 0, signIn: 0 } },
  });
}

/** The app's own HTTP server (with the lane), counting the requests its lane answered. */
async function served(app: Express): Promise<{ url: string; taken: () => number; server: Server }> {
  const lane = app.locals[LANE] as Lane;
  let taken = 0;
  app.locals[LANE] = (req: IncomingMessage, res: ServerResponse) => {
    const took = lane(req, res);
    if (took) taken++;
    return took;
  };
  const server = createHttpServer(app).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, taken: () => taken, server };
}

let app: Express;
let lane: Awaited<ReturnType<typeof served>>;

beforeAll(async () => {
  h = await createHarness();
  await seedTouchpoint(h.connection, 'checkout.banner');
  await seedNudge(h.connection, 'banner', 'checkout.banner');
  await seedExperiment(h.connection, 'banner', 'checkout.banner', { key: 'banner-test' });
  await h.services.capture.assignments.refresh();
  const created = await h
    .request()
    .post('/v1/keys')
    .set(auth(h.keys.admin))
    .send({ name: 'lane-scoped', role: 'app', scope: { touchpoints: ['other.place'] } });
  scoped = created.body.secret as string;
  app = appWith(1000);
  lane = await served(app);
});
afterAll(async () => {
  await new Promise<void>((resolve) => lane.server.close(() => resolve()));
  await h.close();
});

type Send = (agent: supertest.Agent) => supertest.Test;

/** What must be the same both ways: status, JSON body (request id aside) and the headers that matter. */
function shape(res: supertest.Response) {
  const body = structuredClone(res.body) as { error?: { requestId?: unknown } };
  if (body.error) body.error.requestId = typeof body.error.requestId;
  return {
    status: res.status,
    body,
    type: res.headers['content-type'],
    requestId: typeof res.headers['x-request-id'],
    retryAfter: res.headers['retry-after'] === undefined,
    rateLimit: typeof res.headers.ratelimit,
  };
}

async function bothWays(send: Send, lanes = 1) {
  const before = lane.taken();
  const viaLane = await send(supertest.agent(lane.url));
  expect(lane.taken() - before).toBe(lanes);
  const viaRouter = await send(supertest.agent(app));
  expect(shape(viaLane)).toEqual(shape(viaRouter));
  return viaLane;
}

const post =
  (key = h.keys.app) =>
  (agent: supertest.Agent) =>
    agent.post('/v1/assignments').set(auth(key));
const good = { customerId: 'lane-1', touchpoint: 'checkout.banner', channel: 'web' };

describe('the assignment lane answers as the router does', () => {
  it('a well-formed request: the same variant and payload, request id and rate-limit headers', async () => {
    const res = await bothWays((a) => post()(a).send(good));
    expect(res.status).toBe(200);
    expect(res.body.assignments[0].experiment).toBe('banner-test');
    expect(res.headers['x-request-id']).toMatch(/^req_/);
    expect(res.headers.ratelimit).toMatch(/remaining=/);
  });

  it("keeps the caller's request id", async () => {
    const res = await bothWays((a) => post()(a).set('x-request-id', 'trace-12345678').send(good));
    expect(res.headers['x-request-id']).toBe('trace-12345678');
  });

  it.each([
    [
      'malformed JSON',
      400,
      'invalid_json',
      (a: supertest.Agent) => post()(a).type('json').send('{"customerId":'),
    ],
    ['a JSON scalar', 400, 'invalid_json', (a: supertest.Agent) => post()(a).type('json').send('"text"')],
    [
      'too large',
      413,
      'payload_too_large',
      (a: supertest.Agent) => post()(a).send({ ...good, customerId: 'x'.repeat(3000) }),
    ],
    [
      'nested too deep',
      400,
      'validation_failed',
      (a: supertest.Agent) =>
        post()(a)
          .type('json')
          .send(`{"attributes":${'['.repeat(200)}${']'.repeat(200)}}`),
    ],
    ['not JSON', 415, 'unsupported_media_type', (a: supertest.Agent) => post()(a).type('text').send('hello')],
    [
      'an unknown encoding',
      415,
      'unsupported_media_type',
      (a: supertest.Agent) => post()(a).set('content-encoding', 'x-foo').type('json').send('{}'),
    ],
    ['no key', 401, 'unauthenticated', (a: supertest.Agent) => a.post('/v1/assignments').send(good)],
    ['an unknown key', 401, 'unauthenticated', (a: supertest.Agent) => post('nlk_unknown')(a).send(good)],
    ['a viewer key', 403, 'forbidden', (a: supertest.Agent) => post(h.keys.viewer)(a).send(good)],
    ['a key scoped elsewhere', 403, 'forbidden', (a: supertest.Agent) => post(scoped)(a).send(good)],
    [
      'a $ key',
      400,
      'validation_failed',
      (a: supertest.Agent) => post()(a).send({ ...good, attributes: { $where: 'x' } }),
    ],
    [
      'a missing channel',
      400,
      'validation_failed',
      (a: supertest.Agent) => post()(a).send({ customerId: 'c', touchpoint: 'checkout.banner' }),
    ],
    [
      'an unknown touchpoint',
      404,
      'touchpoint_not_found',
      (a: supertest.Agent) => post()(a).send({ ...good, touchpoint: 'no.such-place' }),
    ],
  ])('%s: %i %s', async (_what, status, code, send) => {
    const res = await bothWays(send);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('leaves other spellings of the path, a query and other methods to the router', async () => {
    await bothWays((a) => post()(a).query({ x: '1' }).send(good), 0);
    await bothWays((a) => a.post('/v1/assignments/').set(auth(h.keys.app)).send(good), 0);
    await bothWays((a) => a.post('/V1/Assignments').set(auth(h.keys.app)).send(good), 0);
    await bothWays((a) => a.get('/v1/assignments').set(auth(h.keys.app)), 0);
  });

  it('counts its requests in the same metrics series and writes the same refused-request line', async () => {
    const metrics = () =>
      supertest(app)
        .get('/metrics')
        .set(auth(h.keys.admin))
        .then((r) => r.text);
    const count = (text: string) =>
      Number(
        /http_requests_total\{method="POST",route="\/v1\/assignments",status_code="401"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    const before = count(await metrics());
    lines.length = 0;
    const res = await supertest(lane.url).post('/v1/assignments').send(good);
    expect(res.status).toBe(401);
    expect(count(await metrics())).toBe(before + 1);
    const line = lines.find((l) => l.msg === 'request');
    expect(line).toMatchObject({
      requestId: res.headers['x-request-id'],
      req: { method: 'POST', url: '/v1/assignments' },
      res: { status: 401 },
    });
  });

  it('shares the rate limit with the router: a key past its limit is refused both ways', async () => {
    const limited = appWith(2);
    const own = await served(limited);
    try {
      const send = (url: string | Express) =>
        supertest(url).post('/v1/assignments').set(auth(h.keys.app)).send(good);
      expect((await send(own.url)).status).toBe(200);
      expect((await send(limited)).status).toBe(200);
      const viaLane = await send(own.url);
      const viaRouter = await send(limited);
      expect(own.taken()).toBe(2);
      for (const refused of [viaLane, viaRouter]) {
        expect(refused.status).toBe(429);
        expect(refused.body.error.code).toBe('rate_limited');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }
    } finally {
      await new Promise<void>((resolve) => own.server.close(() => resolve()));
    }
  });
});

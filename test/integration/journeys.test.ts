import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

const journey = {
  key: 'home-loan',
  name: 'Home-loan application',
  industry: 'banking',
  stages: [
    { key: 'consider', name: 'Consider' },
    { key: 'apply', name: 'Apply' },
  ],
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe('journeys', () => {
  it('creates a journey with a prefixed id, reads it back and audits the change', async () => {
    const created = await h.request().post('/v1/journeys').set(auth(h.keys.strategist)).send(journey);
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^jrn_/);
    expect(created.body.version).toBe(1);
    const read = await h.request().get('/v1/journeys/home-loan').set(auth(h.keys.viewer));
    expect(read.status).toBe(200);
    expect(read.body.stages).toEqual(journey.stages);
    const audit = await h.request().get('/v1/audit?kind=journey&key=home-loan').set(auth(h.keys.strategist));
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ actor: 'test-strategist', action: 'create', before: null });
  });

  it('refuses a second journey with the same key with 409 conflict', async () => {
    const res = await h.request().post('/v1/journeys').set(auth(h.keys.strategist)).send(journey);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict' });
    expect(res.body.error.requestId).toBeTruthy();
  });

  it('lists each failing field of a bad journey and stores nothing', async () => {
    const res = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .send({ key: 'Bad Key', name: 5, stages: [], colour: 'red' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = res.body.error.details.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['key', 'name', 'stages', '(root)']));
    const list = await h.request().get('/v1/journeys').set(auth(h.keys.viewer));
    expect(list.body.items.map((j: { key: string }) => j.key)).toEqual(['home-loan']);
  });

  it('refuses $-prefixed keys, non-JSON bodies and oversized bodies with their codes', async () => {
    const dollar = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .send({ ...journey, key: 'x-journey', $where: '1' });
    expect(dollar.status).toBe(400);
    expect(dollar.body.error.details.fields[0].path).toBe('$where');
    const text = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .set('content-type', 'text/plain')
      .send('hi');
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    const big = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .send({ ...journey, description: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const malformed = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.strategist))
      .set('content-type', 'application/json')
      .send('{"key":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');
  });

  it('answers 401 without a key, 401 for an unknown key and 403 for an app key', async () => {
    expect((await h.request().get('/v1/journeys')).status).toBe(401);
    expect((await h.request().get('/v1/journeys').set(auth('nlk_unknown'))).status).toBe(401);
    const app = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.app))
      .send({ ...journey, key: 'other' });
    expect(app.status).toBe(403);
    expect(app.body.error.code).toBe('forbidden');
    const viewer = await h
      .request()
      .post('/v1/journeys')
      .set(auth(h.keys.viewer))
      .send({ ...journey, key: 'other' });
    expect(viewer.status).toBe(403);
    expect(await h.services.journeys.repo.getByKey('other')).toBeNull();
  });

  it('replaces a journey, bumps its version and records before and after', async () => {
    const res = await h
      .request()
      .put('/v1/journeys/home-loan?version=1')
      .set(auth(h.keys.strategist))
      .send({ ...journey, name: 'Home loan' });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
    const stale = await h
      .request()
      .put('/v1/journeys/home-loan?version=1')
      .set(auth(h.keys.strategist))
      .send({ ...journey, name: 'Stale' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    const audit = await h.request().get('/v1/audit?key=home-loan&action=update').set(auth(h.keys.admin));
    expect(audit.body.items[0].before.name).toBe('Home-loan application');
    expect(audit.body.items[0].after.name).toBe('Home loan');
  });

  it('serves health, readiness and an OpenAPI 3.1 document listing the routes', async () => {
    expect((await h.request().get('/healthz')).body.status).toBe('ok');
    expect((await h.request().get('/readyz')).status).toBe(200);
    const doc = await h.request().get('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/journeys', '/v1/journeys/{key}', '/v1/keys']),
    );
    const notFound = await h.request().get('/v1/nothing');
    expect(notFound.status).toBe(404);
    expect(notFound.body.error.code).toBe('route_not_found');
  });
});

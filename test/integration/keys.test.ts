import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand } from '../../src/cli/keys-command.js';
import { DomainError } from '../../src/domain/errors.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const names = async () => (await h.services.apiKeys.list()).map((k) => k.name).sort();

describe('API keys over HTTP', () => {
  it('creates an app key shown once with a client key; it works for app routes only', async () => {
    const res = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'web-shop', role: 'app' });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^nlk_/);
    expect(res.body.key).toMatchObject({ name: 'web-shop', role: 'app', createdBy: 'test-admin' });
    expect(res.body.key.clientKey).toMatch(/^sdk-/);
    const list = await h.request().get('/v1/keys').set(auth(h.keys.admin));
    const listed = JSON.stringify(list.body);
    expect(listed).not.toContain(res.body.secret);
    expect(listed).not.toMatch(/hash/i);
    expect((await h.request().get('/v1/journeys').set(auth(res.body.secret))).status).toBe(403);
  });

  it('refuses a bad key body (unknown role, unknown field, $ key, duplicate name) and stores nothing', async () => {
    const before = await names();
    const cases: [object, number, string][] = [
      [{ name: 'x-key', role: 'root' }, 400, 'role'],
      [{ name: 'x-key', role: 'app', scopes: ['all'] }, 400, '(root)'],
      [{ name: 'x-key', role: 'app', $set: {} }, 400, '$set'],
      [{ role: 'app' }, 400, 'name'],
      [{ name: 'web-shop', role: 'viewer' }, 409, 'name'],
    ];
    for (const [body, status, path] of cases) {
      const res = await h.request().post('/v1/keys').set(auth(h.keys.admin)).send(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    expect(await names()).toEqual(before);
  });

  it('revokes a key: it answers 401 from then on, and the revocation is audited', async () => {
    const created = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'temp', role: 'viewer' });
    expect((await h.request().get('/v1/journeys').set(auth(created.body.secret))).status).toBe(200);
    const revoked = await h.request().delete('/v1/keys/temp').set(auth(h.keys.admin));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeTruthy();
    expect((await h.request().get('/v1/journeys').set(auth(created.body.secret))).status).toBe(401);
    const audit = await h.request().get('/v1/audit?kind=api-key&key=temp').set(auth(h.keys.strategist));
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['revoke', 'create']);
    expect((await h.request().delete('/v1/keys/temp').set(auth(h.keys.admin))).status).toBe(404);
  });

  it('when one key name is created and then revoked by eight requests at once, then one of each wins and the others get 409 and 404', async () => {
    const admin = auth(h.keys.admin);
    const created = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.request().post('/v1/keys').set(admin).send({ name: 'burst-key', role: 'viewer' }),
      ),
    );
    expect(created.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of created.filter((c) => c.status === 409)) {
      expect(r.body.error.code).toBe('conflict');
      expect(r.body.error.details.fields[0].path).toBe('name');
    }
    expect((await names()).filter((n) => n === 'burst-key')).toEqual(['burst-key']);
    // The one secret answered is the stored key's.
    const secret = created.find((r) => r.status === 201)?.body.secret as string;
    expect((await h.request().get('/v1/journeys').set(auth(secret))).status).toBe(200);

    const revoked = await Promise.all(
      Array.from({ length: 8 }, () => h.request().delete('/v1/keys/burst-key').set(admin)),
    );
    expect(revoked.map((r) => r.status).sort()).toEqual([200, 404, 404, 404, 404, 404, 404, 404]);
    expect((await h.request().get('/v1/journeys').set(auth(secret))).status).toBe(401);
    const audit = await h.request().get('/v1/audit?kind=api-key&key=burst-key').set(auth(h.keys.strategist));
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['revoke', 'create']);
  });

  it('refuses an unknown audit filter', async () => {
    const res = await h.request().get('/v1/audit?who=me').set(auth(h.keys.admin));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('keys command line', () => {
  it('creates an app key and prints the key and the client key, then lists and revokes it', async () => {
    const created = await runKeysCommand(h.services, ['create', '--role', 'app', '--name', 'mobile-app']);
    const secret = /^key:\s+(nlk_\S+)$/m.exec(created.join('\n'))?.[1];
    expect(secret).toBeDefined();
    expect(created.join('\n')).toMatch(/^client key: sdk-\S+/m);
    expect(await h.services.apiKeys.authenticate(secret!)).toMatchObject({ name: 'mobile-app', role: 'app' });
    const listed = await runKeysCommand(h.services, ['list']);
    expect(listed.find((l) => l.startsWith('mobile-app'))).toMatch(/app\s+fp_[0-9a-f]{10}\s+active$/);
    expect(await runKeysCommand(h.services, ['revoke', '--name', 'mobile-app'])).toEqual([
      'revoked app key "mobile-app"',
    ]);
    const audit = (await h.services.audit.list({ kind: 'api-key', key: 'mobile-app', limit: 10 })).items;
    expect(audit.map((e) => `${e.actor}:${e.action}`)).toEqual(['cli:revoke', 'cli:create']);
  });

  it('refuses an unknown role or command with validation_failed and creates nothing', async () => {
    const before = await names();
    await expect(
      runKeysCommand(h.services, ['create', '--role', 'boss', '--name', 'x-y']),
    ).rejects.toBeInstanceOf(DomainError);
    await expect(runKeysCommand(h.services, ['rotate'])).rejects.toThrow(/usage/);
    expect(await names()).toEqual(before);
  });
});

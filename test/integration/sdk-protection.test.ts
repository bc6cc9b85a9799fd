import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GrowthBook } from '@growthbook/growthbook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecureValue } from '../../src/domain/assignment/sdk-payload.js';
import { createHttpServer } from '../../src/http/server.js';
import { seedExperiment, seedNudge, seedTouchpoint } from '../helpers/capture-fixtures.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let server: Server;
let baseUrl = '';

const three = [
  { key: 'control', weight: 0.5 },
  { key: 'one', weight: 0.3 },
  { key: 'two', weight: 0.2 },
];

beforeAll(async () => {
  h = await createHarness();
  const c = h.connection;
  await seedTouchpoint(c, 'apply.offer');
  for (const n of ['offer-a', 'offer-b']) await seedNudge(c, n, 'apply.offer', ['control', 'one', 'two']);
  await seedExperiment(c, 'offer-a', 'apply.offer', {
    key: 'offer-a',
    coverage: 0.5,
    variants: three,
    startedAt: '2026-01-01T00:00:00.000Z',
  });
  await seedExperiment(c, 'offer-b', 'apply.offer', {
    key: 'offer-b',
    targeting: { segment: { $in: ['gold', 'silver'] } },
    variants: three,
    startedAt: '2026-01-02T00:00:00.000Z',
  });
  await h.services.capture.assignments.refresh();
  await h.services.capture.attribution.stop();
  server = createHttpServer(h.app).listen(0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

interface CreatedKey {
  key: {
    name: string;
    clientKey: string;
    sdk?: { decryptionKey?: string; secureAttributes?: string[]; secureAttributeSalt?: string };
  };
  secret: string;
}

async function createKey(name: string, sdk?: Record<string, unknown>): Promise<CreatedKey> {
  const res = await h
    .request()
    .post('/v1/keys')
    .set(auth(h.keys.admin))
    .send({ name, role: 'app', ...(sdk ? { sdk } : {}) });
  expect(res.status).toBe(201);
  return res.body as CreatedKey;
}

const segments = ['gold', 'silver', 'bronze', 'none'];

describe('GrowthBook encrypted features and secure attributes', () => {
  it('when a client key has both on, then the real SDK decrypts the payload and assigns as /v1/assignments does', {
    timeout: 120_000,
  }, async () => {
    const { key, secret } = await createKey('sdk-protected', {
      encryptFeatures: true,
      secureAttributes: ['segment'],
    });
    const decryptionKey = key.sdk?.decryptionKey as string;
    const salt = key.sdk?.secureAttributeSalt as string;
    expect(Buffer.from(decryptionKey, 'base64')).toHaveLength(16);
    expect(salt).toMatch(/^[0-9a-f]{32}$/);

    const served = await fetch(`${baseUrl}/api/features/${key.clientKey}`);
    const text = await served.text();
    const body = JSON.parse(text) as { features: Record<string, unknown>; encryptedFeatures?: string };
    expect(body.features).toEqual({});
    expect(body.encryptedFeatures).toMatch(/^[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    // Nothing readable in transit: no feature keys, no segment names.
    for (const clear of ['apply.offer', 'gold', 'silver', 'control']) expect(text).not.toContain(clear);

    const gb = new GrowthBook({ apiHost: baseUrl, clientKey: key.clientKey, decryptionKey });
    expect((await gb.init({ timeout: 5000 })).success).toBe(true);
    expect(Object.keys(gb.getFeatures())).toEqual(['apply.offer']);
    // The decrypted conditions name hashes, never the segments themselves.
    const decrypted = JSON.stringify(gb.getFeatures());
    expect(decrypted).not.toContain('gold');
    expect(decrypted).toContain(hashSecureValue(salt, 'gold'));

    const n = 2000;
    let mismatches = 0;
    const tally = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const segment = segments[i % 4] as string;
      const res = await h
        .request()
        .post('/v1/assignments')
        .set(auth(secret))
        .send({
          customerId: `cust-${i}`,
          touchpoint: 'apply.offer',
          channel: 'web',
          attributes: { segment },
        });
      const hit = (
        res.body.assignments as { experiment: string; inExperiment: boolean; variant: string }[]
      ).find((a) => a.inExperiment);
      const expected = hit ? `${hit.experiment}:${hit.variant}` : null;
      // The app hashes the secure attribute with the key's salt before handing it to the SDK.
      await gb.setAttributes({
        customerId: `cust-${i}`,
        channel: 'web',
        segment: hashSecureValue(salt, segment),
      });
      const v = gb.getFeatureValue('apply.offer', null) as { experiment?: string; variant?: string } | null;
      const got = v ? `${v.experiment}:${v.variant}` : null;
      if (got !== expected) mismatches++;
      if (expected)
        tally.set(expected.split(':')[0] as string, (tally.get(expected.split(':')[0] as string) ?? 0) + 1);
    }
    gb.destroy();
    expect(mismatches).toBe(0);
    // Both paths exercised: the untargeted experiment and the one targeted on the secure attribute.
    expect(tally.get('offer-a')).toBeGreaterThan(200);
    expect(tally.get('offer-b')).toBeGreaterThan(200);
  });

  it('keeps the SDK keys out of the audit log and leaves a key without the options in plain text', async () => {
    await createKey('sdk-audited', { encryptFeatures: true, secureAttributes: ['segment'] });
    const plain = await createKey('sdk-plain');
    expect(plain.key.sdk).toBeUndefined();
    const served = (await (await fetch(`${baseUrl}/api/features/${plain.key.clientKey}`)).json()) as {
      features: Record<string, unknown>;
      encryptedFeatures?: string;
    };
    expect(Object.keys(served.features)).toEqual(['apply.offer']);
    expect(served.encryptedFeatures).toBeUndefined();
    const audit = await h.request().get('/v1/audit').set(auth(h.keys.admin));
    const entry = JSON.stringify(
      (audit.body.items as { entity: string; after?: { name?: string } }[]).find(
        (e) => e.after?.name === 'sdk-audited',
      ),
    );
    expect(entry).toContain('"encryptFeatures":true');
    expect(entry).not.toContain('decryptionKey');
    expect(entry).not.toContain('secureAttributeSalt');
  });

  it('refuses secure bucketing ids and SDK settings on keys other than app keys', async () => {
    const bad = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'sdk-bad', role: 'app', sdk: { secureAttributes: ['customerId'] } });
    expect(bad.status).toBe(400);
    const viewer = await h
      .request()
      .post('/v1/keys')
      .set(auth(h.keys.admin))
      .send({ name: 'sdk-viewer', role: 'viewer', sdk: { encryptFeatures: true } });
    expect(viewer.status).toBe(400);
  });

  it('when a key is revoked, then its client key gets 404 at once on the instance that revoked it', async () => {
    const { key } = await createKey('sdk-revoked', { encryptFeatures: true });
    expect((await fetch(`${baseUrl}/api/features/${key.clientKey}`)).status).toBe(200);
    const revoked = await h.request().delete(`/v1/keys/${key.name}`).set(auth(h.keys.admin));
    expect(revoked.status).toBe(200);
    const after = await fetch(`${baseUrl}/api/features/${key.clientKey}`);
    expect(after.status).toBe(404);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

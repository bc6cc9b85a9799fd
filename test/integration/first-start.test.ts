import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/roles.js';
import { startBanner } from '../../src/http/start-banner.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const buildScript = path.resolve('scripts/build-ferretdb.mjs');

describe('the first start', () => {
  it('when no admin key is stored, then one is created whose secret works on /v1, and only once', async () => {
    await h.services.apiKeys.revoke(systemActor, 'test-admin');
    const first = await h.services.apiKeys.ensureFirstAdminKey(systemActor);
    expect(first?.secret).toMatch(/^nlk_/);
    expect(first?.key).toMatchObject({ name: 'first-admin', role: 'admin' });
    const res = await h
      .request()
      .get('/v1/keys')
      .set(auth(first?.secret ?? ''));
    expect(res.status).toBe(200);
    expect(await h.services.apiKeys.ensureFirstAdminKey(systemActor)).toBeNull();
  });

  it('when an admin key exists, then none is created', async () => {
    const before = (await h.services.apiKeys.list()).length;
    expect(await h.services.apiKeys.ensureFirstAdminKey(systemActor)).toBeNull();
    expect((await h.services.apiKeys.list()).length).toBe(before);
  });

  it('prints the URLs of the API, the docs and the dashboard, and the new key once', () => {
    const text = startBanner({ host: '0.0.0.0', port: 3000, firstAdminSecret: 'nlk_secret' });
    expect(text).toContain('http://localhost:3000/v1');
    expect(text).toContain('http://localhost:3000/docs');
    expect(text).toContain('http://localhost:3000/dashboard');
    expect(text.match(/nlk_secret/g)).toHaveLength(1);
    expect(startBanner({ host: '127.0.0.1', port: 8080 })).not.toContain('nlk_');
  });

  it('when MONGODB_URI is set, then the embedded database is neither built nor needed', () => {
    const out = spawnSync(process.execPath, [buildScript], {
      env: { PATH: '/nonexistent', MONGODB_URI: 'mongodb://db.example:27017/nudgelab' },
      encoding: 'utf8',
    });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('not needed (MONGODB_URI is set)');
  });

  it('when Go is missing and nothing is built, then one line says what to install or set', () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'nudgelab-nogo-'));
    try {
      const out = spawnSync(process.execPath, [buildScript], {
        env: { PATH: '/nonexistent', FERRETDB_CACHE_DIR: cache },
        encoding: 'utf8',
      });
      expect(out.status).toBe(1);
      const lines = out.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('Go 1.22');
      expect(lines[0]).toContain('MONGODB_URI');
      expect(out.stderr).not.toContain('ENOENT');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { SessionCodec } from '../../../src/http/dashboard/session.js';

const viewer = { keyId: 'key_1', name: 'ops-viewer', role: 'viewer' as const };

describe('dashboard sessions', () => {
  it('reads back a session it opened until it expires', () => {
    const codec = new SessionCodec({ secret: 'a-secret-of-sixteen+', ttlMinutes: 10 });
    const { token, session } = codec.open(viewer, 1_000_000);
    expect(codec.read(token, 1_000_000 + 9 * 60_000)).toEqual(session);
    expect(codec.read(token, 1_000_000 + 10 * 60_000)).toBeNull();
  });

  it('refuses a token whose payload was changed, one signed with another secret, and garbage', () => {
    const codec = new SessionCodec({ secret: 'a-secret-of-sixteen+', ttlMinutes: 10 });
    const { token } = codec.open(viewer);
    const [body, sig] = token.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url')}.${sig}`;
    expect(codec.read(forged)).toBeNull();
    const other = new SessionCodec({ secret: 'another-secret-16chars', ttlMinutes: 10 });
    expect(other.read(token)).toBeNull();
    expect(codec.read('not-a-token')).toBeNull();
    expect(codec.read(`${token}.extra`)).toBeNull();
    expect(codec.read(undefined)).toBeNull();
  });

  it('accepts only the CSRF token derived from the same session', () => {
    const codec = new SessionCodec({ ttlMinutes: 10 });
    expect(codec.randomSecret).toBe(true);
    const a = codec.open(viewer).session;
    const b = codec.open(viewer).session;
    expect(codec.checkCsrf(a, codec.csrfToken(a))).toBe(true);
    expect(codec.checkCsrf(a, codec.csrfToken(b))).toBe(false);
    expect(codec.checkCsrf(a, undefined)).toBe(false);
    expect(codec.checkCsrf(a, '')).toBe(false);
  });
});

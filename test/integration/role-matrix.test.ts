import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

type Method = 'get' | 'post' | 'put' | 'delete';
interface Route {
  method: Method;
  path: string;
  allowed: Role[];
}

/**
 * Allowed calls are made so that they fail after authorisation (unknown key -> 404, invalid
 * body -> 400) or only read, so the matrix changes nothing; what matters is 401/403 or not.
 */
const routes: Route[] = [
  ...['journeys', 'touchpoints', 'nudges', 'experiments'].flatMap((kind): Route[] => [
    { method: 'get', path: `/v1/${kind}`, allowed: ['admin', 'strategist', 'viewer'] },
    { method: 'get', path: `/v1/${kind}/no-such-key`, allowed: ['admin', 'strategist', 'viewer'] },
    { method: 'post', path: `/v1/${kind}`, allowed: ['admin', 'strategist'] },
    { method: 'put', path: `/v1/${kind}/no-such-key`, allowed: ['admin', 'strategist'] },
    { method: 'delete', path: `/v1/${kind}/no-such-key`, allowed: ['admin', 'strategist'] },
  ]),
  ...['start', 'pause', 'stop', 'conclude'].map(
    (action): Route => ({
      method: 'post',
      path: `/v1/experiments/no-such-key/${action}`,
      allowed: ['admin', 'strategist'],
    }),
  ),
  { method: 'get', path: '/v1/keys', allowed: ['admin'] },
  { method: 'post', path: '/v1/keys', allowed: ['admin'] },
  { method: 'delete', path: '/v1/keys/no-such-key', allowed: ['admin'] },
  { method: 'get', path: '/v1/audit', allowed: ['admin', 'strategist'] },
];

const roles: Role[] = ['admin', 'strategist', 'app', 'viewer'];

function call(route: Route, secret?: string) {
  const req = h.request()[route.method](route.path);
  if (secret) req.set(auth(secret));
  return route.method === 'post' || route.method === 'put' ? req.send({}) : req;
}

describe('role matrix', () => {
  for (const route of routes) {
    it(`${route.method.toUpperCase()} ${route.path}: ${route.allowed.join(', ')} may; others get 403; no key gets 401`, async () => {
      expect((await call(route)).status).toBe(401);
      for (const role of roles) {
        const res = await call(route, h.keys[role]);
        if (route.allowed.includes(role)) {
          expect([200, 400, 404], `${role}: ${JSON.stringify(res.body)}`).toContain(res.status);
        } else {
          expect(res.status, role).toBe(403);
          expect(res.body.error.code).toBe('forbidden');
        }
      }
    });
  }

  it('changed nothing while probing: no definitions and only the four test keys', async () => {
    for (const kind of ['journeys', 'touchpoints', 'nudges', 'experiments'] as const) {
      expect(await h.services[kind].list()).toEqual([]);
    }
    expect((await h.services.apiKeys.list()).map((k) => k.name).sort()).toEqual([
      'test-admin',
      'test-app',
      'test-strategist',
      'test-viewer',
    ]);
  });
});

import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role, roles } from '../../src/domain/roles.js';
import { routesOf } from '../../src/http/app.js';
import { allowedRoles, type Route, routeId } from '../../src/http/route.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';
import { type Probe, type ProbeRequest, routeProbes, seedProbeWorld } from '../helpers/route-probes.js';

let h: Harness;
let probes: Record<string, Probe>;
beforeAll(async () => {
  h = await createHarness();
  await seedProbeWorld(h);
  probes = routeProbes(h);
}, 120_000);
afterAll(async () => {
  await h.close();
});

function send(agent: supertest.Agent, route: Route, r: ProbeRequest, secret?: string) {
  let req = agent[route.method](r.path).redirects(0);
  if (r.query) req = req.query(r.query);
  if (secret) req = req.set(auth(secret));
  if (r.form) return req.type('form').send(r.form);
  return r.body ? req.send(r.body) : req;
}

/** A fresh browser-like agent; signed in with the key when one is given (the dashboard's form). */
async function agentFor(secret?: string): Promise<{ agent: supertest.Agent; signIn?: number }> {
  const agent = supertest.agent(h.app);
  if (!secret) return { agent };
  const page = await agent.get('/dashboard/sign-in');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const res = await agent.post('/dashboard/sign-in').type('form').send({ apiKey: secret, csrf });
  return { agent, signIn: res.status };
}

function declared(id: string): Route {
  const route = routesOf(h.app).find((r) => routeId(r) === id);
  if (!route) throw new Error(`${id} is not declared`);
  return route;
}

/** What a caller without credentials gets from a route that needs them. */
function expectRefused(route: Route, res: supertest.Response, label: string) {
  if (route.access.via === 'session') {
    if (route.method === 'get') {
      expect(res.status, label).toBe(303);
      expect(res.headers.location, label).toMatch(/^\/dashboard\/sign-in\?next=/);
    } else {
      expect(res.status, label).toBe(401);
      expect(res.type, label).toBe('text/html');
    }
    return;
  }
  expect(res.status, label).toBe(401);
  expect(res.body.error.code, label).toBe('unauthenticated');
}

describe('the role matrix, from the route declarations', () => {
  it('has a probe for every declared route and none for a route that is not declared', () => {
    expect(Object.keys(probes).sort()).toEqual(routesOf(h.app).map(routeId).sort());
  });

  it('lets no app key open a dashboard session', async () => {
    expect((await agentFor(h.keys.app)).signIn).toBe(403);
    for (const role of ['admin', 'strategist', 'viewer'] as const) {
      expect((await agentFor(h.keys[role])).signIn, role).toBe(303);
    }
  });

  // The probe list is fixed before the app exists, so each case is looked up when it runs.
  const ids = Object.keys(routeProbes({} as Harness));
  for (const id of ids) {
    it(`${id}: every role and no credentials get the exact status`, async () => {
      const route = declared(id);
      const probe = probes[id]!;
      const allowed = allowedRoles(route.access);

      const anon = await agentFor();
      const none = await send(anon.agent, route, await probe.build('none', anon.agent));
      if (!allowed) expect(none.status, 'no credentials').toBe(probe.status);
      else expectRefused(route, none, 'no credentials');

      for (const role of roles as readonly Role[]) {
        const label = `${role} key`;
        if (route.access.via === 'session') {
          const { agent } = await agentFor(role === 'app' ? undefined : h.keys[role]);
          const res = await send(agent, route, await probe.build(role, agent));
          if (allowed?.includes(role))
            expect(res.status, `${role} session: ${res.text.slice(0, 200)}`).toBe(probe.status);
          // An app key cannot sign in (above), so its caller has no session.
          else if (role === 'app') expectRefused(route, res, `${role} without a session`);
          // A signed-in role the route does not allow (a viewer on an edit route) is refused outright.
          else {
            expect(res.status, `${role} session`).toBe(403);
            expect(res.type, `${role} session`).toBe('text/html');
          }
          continue;
        }
        const { agent } = await agentFor();
        const res = await send(agent, route, await probe.build(role, agent), h.keys[role]);
        if (!allowed || allowed.includes(role)) {
          expect(res.status, `${label}: ${res.text.slice(0, 300)}`).toBe(probe.status);
        } else {
          expect(res.status, label).toBe(403);
          expect(res.body.error.code, label).toBe('forbidden');
        }
      }

      if (route.access.via === 'key-or-session') {
        for (const role of ['admin', 'strategist', 'viewer'] as const) {
          const { agent } = await agentFor(h.keys[role]);
          const res = await send(agent, route, await probe.build(`${role}-session`, agent));
          expect(res.status, `${role} session`).toBe(allowed?.includes(role) ? probe.status : 403);
        }
      }
    });
  }
});

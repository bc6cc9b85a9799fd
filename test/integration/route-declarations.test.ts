import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, routesOf } from '../../src/http/app.js';
import { allowedRoles, routeId } from '../../src/http/route.js';
import { withRouteTable } from '../../src/http/route-table.js';
import { createLogger } from '../../src/logger.js';
import { journeyBody, seedDefinitions } from '../helpers/definitions.js';
import { auth, createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await seedDefinitions(h, false);
});
afterAll(async () => {
  await h.close();
});

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD path` an Express router answers, nested routers included. */
function mounted(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const { path, methods } = layer.route;
      return Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`);
    }
    return layer.handle?.stack ? mounted(layer.handle.stack) : [];
  });
}

function routerOf(app: Express): Layer[] {
  return (app as unknown as { router: { stack: Layer[] } }).router.stack;
}

describe('route declarations', () => {
  it('when the app is built, then every route it answers is declared and every declaration is mounted', () => {
    const declared = routesOf(h.app).map(routeId).sort();
    expect(mounted(routerOf(h.app)).sort()).toEqual(declared);
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('when a route is added to the router without a declaration, then the two lists differ', () => {
    const app = createApp({
      services: h.services,
      logger: createLogger('silent'),
      bodyLimit: '1mb',
      version: 't',
    });
    app.get('/v1/undeclared', (_req, res) => {
      res.end();
    });
    const extra = mounted(routerOf(app)).filter((id) => !routesOf(app).map(routeId).includes(id));
    expect(extra).toEqual(['GET /v1/undeclared']);
  });

  it("when the README's route table is compared with the declarations, then it is the generated one", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const generated = withRouteTable(readme, routesOf(h.app));
    expect(generated, 'README.md has no route-table markers').toBeDefined();
    expect(readme, 'run `npm run routes:readme`').toBe(generated);
  });

  it('when /openapi.json is read, then it has each visible declared route with its roles, and no other', async () => {
    const doc = (await h.request().get('/openapi.json')).body as {
      paths: Record<string, Record<string, { 'x-roles'?: string[] }>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        id: `${method.toUpperCase()} ${path}`,
        roles: op['x-roles'],
      })),
    );
    const visible = routesOf(h.app)
      .filter((r) => !r.hidden)
      .map((r) => ({ id: routeId(r).replace(/:(\w+)/g, '{$1}'), roles: allowedRoles(r.access) }));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(documented.sort(byId)).toEqual(
      visible.map((v) => (v.roles ? v : { id: v.id, roles: undefined })).sort(byId),
    );
  });

  it('when a declared query gets an unknown key, then every route refuses it the same way', async () => {
    const put = await h
      .request()
      .put(`/v1/journeys/${journeyBody.key}?foo=1`)
      .set(auth(h.keys.strategist))
      .send(journeyBody);
    expect(put.status).toBe(400);
    expect(put.body.error.details.fields).toEqual([
      { path: '(root)', reason: expect.stringContaining('foo') },
    ]);
    const list = await h.request().get('/v1/journeys?foo=1').set(auth(h.keys.viewer));
    expect(list.status).toBe(400);
    expect(list.body.error.code).toBe('validation_failed');
    const stored = await h.services.journeys.get(journeyBody.key);
    expect(stored.version).toBe(1);
  });
});

import express, { type RequestHandler } from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../../../src/domain/errors.js';
import type { Role } from '../../../src/domain/roles.js';
import { jsonBody } from '../../../src/http/body.middleware.js';
import { errorMiddleware } from '../../../src/http/error.middleware.js';
import { mountRoutes } from '../../../src/http/mount-routes.js';
import { openApiDocument } from '../../../src/http/openapi.js';
import { requestContext } from '../../../src/http/request-context.middleware.js';
import { defineRoute, empty, type Route } from '../../../src/http/route.js';
import { routeTable } from '../../../src/http/route-table.js';
import { createLogger } from '../../../src/logger.js';

/** A key guard that knows one caller per role from the `x-role` header. */
const key =
  (roles: readonly Role[]): RequestHandler =>
  (req, _res, next) => {
    const role = req.get('x-role') as Role | undefined;
    if (!role) throw new DomainError('unauthenticated');
    if (role !== 'admin' && !roles.includes(role)) throw new DomainError('forbidden');
    req.actor = { keyId: role, name: role, role };
    next();
  };

const itemSchema = z.object({ id: z.string(), n: z.number().int() });

const routes: Route[] = [
  defineRoute({
    method: 'put',
    path: '/items/:id',
    tag: 'items',
    summary: 'Replace an item',
    access: { via: 'key', roles: ['strategist'] },
    params: z.object({ id: z.string().regex(/^[a-z]+$/) }),
    query: z.object({ version: z.coerce.number().int().optional() }),
    body: z.strictObject({ n: z.number().int() }),
    responses: { 200: itemSchema },
    errors: ['not_found'],
  }).handle(({ params, query, body, actor }) => ({
    status: 200,
    headers: { 'x-actor': actor.name, 'x-version': String(query.version ?? '-') },
    body: { id: params.id, n: body.n },
  })),
  defineRoute({
    method: 'get',
    path: '/ping',
    tag: 'items',
    summary: 'Ping',
    access: { via: 'none' },
    responses: { 204: empty('Nothing to say') },
  }).handle(() => ({ status: 204 })),
  defineRoute({
    method: 'get',
    path: '/items/:id',
    tag: 'items',
    summary: 'Read an item',
    access: { via: 'none' },
    params: z.object({ id: z.string() }),
    responses: { 200: itemSchema },
  }).handle(({ params }) => ({ status: 200, body: { id: `${params.id}-é`, n: 1 } })),
  // Only reachable by bypassing the types: a status the declaration does not list.
  defineRoute({
    method: 'get',
    path: '/wrong',
    tag: 'items',
    summary: 'Answers what it does not declare',
    access: { via: 'none' },
    responses: { 200: itemSchema },
  }).handle(() => ({ status: 201 }) as never),
];

function app() {
  const a = express();
  a.use(requestContext(createLogger('silent')));
  mountRoutes(a.router, routes, { guards: { key }, json: jsonBody('10kb') });
  a.use(errorMiddleware());
  return supertest(a);
}

describe('mountRoutes', () => {
  it('when an allowed caller sends a valid request, then the handler gets the parsed values and its reply is sent', async () => {
    const res = await app().put('/items/abc?version=3').set('x-role', 'strategist').send({ n: 7 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'abc', n: 7 });
    expect(res.headers['x-actor']).toBe('strategist');
    expect(res.headers['x-version']).toBe('3');
  });

  it('when a JSON reply is sent, then it has its type and byte length, and HEAD gets the same headers without it', async () => {
    const got = await app().get('/items/abc');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(got.text)));
    expect(got.body).toEqual({ id: 'abc-é', n: 1 });
    const head = await app().head('/items/abc');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(got.headers['content-length']);
    expect(head.headers['content-type']).toBe(got.headers['content-type']);
    expect(head.text ?? '').toBe('');
  });

  it('when the caller has no key or the wrong role, then the access check answers before anything is parsed', async () => {
    const none = await app().put('/items/abc').send('not json').type('json');
    expect(none.status).toBe(401);
    const viewer = await app().put('/items/abc').set('x-role', 'viewer').send({ n: 1 });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.code).toBe('forbidden');
  });

  it('when params, query or body are invalid, then each is a validation_failed naming the field', async () => {
    const call = (url: string, body: object) => app().put(url).set('x-role', 'admin').send(body);
    const params = await call('/items/ABC', { n: 1 });
    expect(params.status).toBe(400);
    expect(params.body.error.details.fields[0].path).toBe('id');
    const unknownQuery = await call('/items/abc?foo=1', { n: 1 });
    expect(unknownQuery.status).toBe(400);
    expect(unknownQuery.body.error.details.fields[0].reason).toContain('foo');
    const body = await call('/items/abc', { n: 1.5 });
    expect(body.status).toBe(400);
    expect(body.body.error.details.fields[0].path).toBe('n');
  });

  it('when a route declares an empty reply, then no body is sent', async () => {
    const res = await app().get('/ping');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('when a handler answers a status it does not declare, then the caller gets a 500 and not the reply', async () => {
    const res = await app().get('/wrong');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
  });
});

describe('what is derived from the declarations', () => {
  it('when the document is built, then each operation has its roles, parameters, body and every status it may answer', () => {
    const doc = openApiDocument('t', routes) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const put = doc.paths['/items/{id}']?.put as {
      'x-roles': string[];
      parameters: { name: string; in: string }[];
      requestBody: { required: boolean };
      responses: Record<string, unknown>;
    };
    expect(put['x-roles']).toEqual(['admin', 'strategist']);
    expect(put.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:version']);
    expect(put.requestBody.required).toBe(true);
    expect(Object.keys(put.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '413',
      '415',
      '429',
      '503',
    ]);
    expect(Object.keys(doc.paths['/ping']?.get?.responses as object).sort()).toEqual(['204', '429', '503']);
  });

  it('when the table is built, then each route is one row with its query keys and roles', () => {
    const rows = routeTable(routes).split('\n').slice(2);
    expect(rows[0]).toBe('| `PUT /items/:id?version=` | strategist | Replace an item. |');
    expect(rows[1]).toBe('| `GET /ping` | none | Ping. |');
    expect(rows).toHaveLength(routes.length);
  });
});

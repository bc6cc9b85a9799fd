import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';

interface Seen {
  requestProto: boolean;
  responseProto: boolean;
}

/** An app that answers with what Express gave the handler, on a server that records each request's prototypes before Express sees it. */
function appOn(make: (app: express.Express) => Server): { server: Server; seen: Seen[] } {
  const app = express();
  app.use(express.json());
  app.post('/echo/:id', (req, res) => {
    res.status(201).json({
      id: req.params.id,
      body: req.body,
      query: req.query,
      sameApp: req.app === app,
      path: req.path,
      header: req.get('x-probe') ?? null,
    });
  });
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ error: 'none' });
  });
  const server = make(app);
  const seen: Seen[] = [];
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      requestProto: Object.getPrototypeOf(req) === app.request,
      responseProto: Object.getPrototypeOf(res) === app.response,
    });
  });
  return { server, seen };
}

const open: Server[] = [];
async function listen(server: Server): Promise<string> {
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe('createHttpServer', () => {
  it("makes each request and response with the app's prototypes, which a stock server does not", async () => {
    const ours = appOn(createHttpServer);
    const stock = appOn((app) => createServer(app));
    for (const { server } of [ours, stock]) {
      const url = await listen(server);
      const res = await fetch(`${url}/echo/abc?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":[1,2]}',
      });
      expect(res.status).toBe(201);
    }
    expect(ours.seen).toEqual([{ requestProto: true, responseProto: true }]);
    expect(stock.seen).toEqual([{ requestProto: false, responseProto: false }]);
  });

  it('serves Express as usual: params, parsed body, query, headers, app, status and the fallback', async () => {
    const { server, seen } = appOn(createHttpServer);
    const url = await listen(server);
    const res = await fetch(`${url}/echo/k-1?x=1&y=two`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-probe': 'p' },
      body: '{"a":[1,2],"b":{"c":"d"}}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      id: 'k-1',
      body: { a: [1, 2], b: { c: 'd' } },
      query: { x: '1', y: 'two' },
      sameApp: true,
      path: '/echo/k-1',
      header: 'p',
    });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'none' });
    // Kept-alive connections carry several requests, each made the same way.
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${url}/echo/${i}`, { method: 'POST' })).status).toBe(201);
    expect(seen).toHaveLength(5);
    expect(seen.every((s) => s.requestProto && s.responseProto)).toBe(true);
  });
});

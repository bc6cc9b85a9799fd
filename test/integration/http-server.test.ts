import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { closeHttpServer, createHttpServer } from '../../src/http/server.js';

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

/** Sends one kept-alive request on a raw connection; resolves with the ms until the server closed it (or null after `waitMs`). */
async function idleClose(
  url: string,
  waitMs: number,
): Promise<{ answered: boolean; closedAfterMs: number | null }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let answered = false;
  let answeredAt = 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answered, closedAfterMs: null });
    }, waitMs);
    socket.on('data', (chunk) => {
      if (!answered && chunk.toString('latin1').startsWith('HTTP/1.1 201')) {
        answered = true;
        answeredAt = Date.now();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answered, closedAfterMs: answered ? Date.now() - answeredAt : 0 });
    });
    socket.write(
      `POST /echo/ka HTTP/1.1\r\nHost: ${hostname}\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n`,
    );
  });
}

describe('kept-alive connections', () => {
  it('when nothing is configured, then idle connections are kept 65 s (past the 60 s of common load balancers), headers allowed longer', () => {
    const server = createHttpServer(express());
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBeGreaterThan(65_000);
    expect(loadConfig({}).KEEP_ALIVE_TIMEOUT_MS).toBe(65_000);
    expect(loadConfig({ KEEP_ALIVE_TIMEOUT_MS: '90000' }).KEEP_ALIVE_TIMEOUT_MS).toBe(90_000);
    for (const bad of ['10', '9999999', 'long'])
      expect(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: bad })).toThrow(/KEEP_ALIVE_TIMEOUT_MS/);
  });

  it('when a connection idles past the configured time, then the server closes it, and not before', async () => {
    const short = appOn((app) => createHttpServer(app, { keepAliveTimeoutMs: 1000 }));
    const long = appOn((app) => createHttpServer(app, { keepAliveTimeoutMs: 30_000 }));
    const [closed, kept] = await Promise.all([
      listen(short.server).then((url) => idleClose(url, 4000)),
      listen(long.server).then((url) => idleClose(url, 2500)),
    ]);
    expect(closed.answered).toBe(true);
    expect(closed.closedAfterMs).not.toBeNull();
    expect(closed.closedAfterMs as number).toBeGreaterThanOrEqual(900);
    expect(kept).toEqual({ answered: true, closedAfterMs: null });
  });
});

describe('closeHttpServer', () => {
  it('when a kept-alive connection is answering at close time, then it is answered and the close ends soon after, not after its keep-alive time', async () => {
    const app = express();
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.json({ done: true }), 300);
    });
    const server = createHttpServer(app, { keepAliveTimeoutMs: 120_000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString('latin1');
    });
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    // Without the cut, this close would wait for the 120 s keep-alive and the test would time out.
    await closeHttpServer(server);
    await socketClosed;
    expect(reply.startsWith('HTTP/1.1 200')).toBe(true);
    expect(reply).toContain('{"done":true}');
    expect(server.listening).toBe(false);
  });
});

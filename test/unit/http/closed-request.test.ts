import { type AddressInfo, connect } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody } from '../../../src/http/body.middleware.js';
import { errorMiddleware } from '../../../src/http/error.middleware.js';
import { requestContext } from '../../../src/http/request-context.middleware.js';

const lines: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
/** What the error middleware answered, per request. */
const answered: { status: number; code?: string }[] = [];

const app = express();
app.use(requestContext(logger));
// As the key check does: an asynchronous step before the body is read; here it waits until the
// client has closed its connection.
app.post(
  '/after-close',
  (req: Request, _res: Response, next: NextFunction) => {
    if (req.socket.destroyed) return next();
    req.socket.once('close', () => next());
  },
  jsonBody('1kb'),
  (_req, res) => {
    res.json({ ok: true });
  },
);
// A bug: the body read twice on a live connection.
app.post('/read-twice', jsonBody('1kb'), jsonBody('1kb'), (_req, res) => {
  res.json({ ok: true });
});
const errors = errorMiddleware();
app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
  const json = res.json.bind(res);
  res.json = (body: { error?: { code?: string } }) => {
    answered.push({ status: res.statusCode, code: body.error?.code });
    return json(body);
  };
  errors(err, req, res, next);
});

let port = 0;
let server: ReturnType<typeof app.listen>;
beforeAll(async () => {
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('a request whose body can no longer be read', () => {
  it('when the client closed the connection before its body was read, then it is a client error, not a logged 500', async () => {
    const before = answered.length;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /after-close HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n',
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await until(() => answered.length > before);
    expect(answered.slice(before)).toEqual([{ status: 400, code: 'validation_failed' }]);
    expect(lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
  });

  it('when the body is read twice on a live connection, then it stays a logged 500 (a bug)', async () => {
    const before = answered.length;
    const res = await fetch(`http://127.0.0.1:${port}/read-twice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(500);
    expect(answered.slice(before)).toEqual([{ status: 500, code: 'internal_error' }]);
    expect(lines.some((l) => l.includes('unhandled error') && l.includes('stream is not readable'))).toBe(
      true,
    );
  });
});
